"""`newsqa eval reading`: the reader's development set, RealTime QA 2022 as reading comprehension.

Each question is asked as of its quiz date over only the articles its web search returned
(``retrieved_urls``, the leaderboard's "search results" setting), so what is measured is reading,
not corpus-wide retrieval. Questions are split by quiz week, since one week's questions share
articles: tune on ``tune``, report on ``test``; the other weeks stay unused.

A question is answerable when its gold answer occurs in one of those articles published on or
before its date. Its unanswerable twin is the same question over the remaining articles (the
``answer_urls`` and every article holding the gold answer left out), kept when any remain.
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from qa import Config
from qa.markers import strip_markers

from . import report as rp
from .choices import argmax, choice_support, evidence_read, letter_shares, picking_llm
from .matching import contains, words
from .replay import Replayed, recorded
from .rtqa import RTQAQuestion, load_folder, parse_date, select, subset
from .runs import ResultCache, config_settings, run_all, run_dir, write_json
from .stores import build_store, fingerprint

# Quiz weeks, in date order, are dealt round-robin into this many groups; a split is one group.
WEEK_GROUPS = 4
SPLITS = {"tune": 1, "test": 3}
# A right answer is short: the gold answer inside a 60-word essay is not an answer.
MAX_WORDS = 60
OUTCOMES = ("right", "abstained", "wrong", "other")
# Passages the lexical multiple-choice pick scores, as in `eval rtqa`.
CHOICE_PASSAGES = 10


@dataclass(frozen=True)
class ReadingItem:
    """One question over a fixed set of articles; ``twin`` is the unanswerable copy."""

    id: str
    question: str
    date: dt.date
    gold: str
    wrong: tuple[str, ...]  # the other multiple-choice options
    articles: tuple[str, ...]
    answerable: bool


def split(questions: list[RTQAQuestion], name: str) -> list[RTQAQuestion]:
    """The questions of the quiz weeks in split ``name``."""
    if name not in SPLITS:
        raise ValueError(f"unknown split {name!r}; choose one of {', '.join(SPLITS)}")
    weeks = sorted({q.week for q in questions})
    chosen = {w for i, w in enumerate(weeks) if i % WEEK_GROUPS == SPLITS[name]}
    return [q for q in questions if q.week in chosen]


def read_articles(path: Path, urls: set[str]) -> dict[str, tuple[dt.date | None, str]]:
    """``url -> (published, title + text)`` for the wanted articles of a JSONL(.gz) file."""
    found = {}
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip() and (r := json.loads(line)).get("url") in urls:
                published = parse_date(r["published"]) if r.get("published") else None
                found[r["url"]] = (published, f"{r.get('title') or ''}\n{r['text']}")
    return found


def build_items(questions: list[RTQAQuestion], articles: dict[str, tuple[dt.date | None, str]]) -> list[ReadingItem]:
    """Answerable questions and their unanswerable twins, as defined in the module docstring."""
    items = []
    for q in questions:
        pool = [u for u in dict.fromkeys(q.retrieved_urls + q.answer_urls)
                if u in articles and (articles[u][0] is None or articles[u][0] <= q.date)]
        holding = {u for u in pool if contains(articles[u][1], q.answer)}
        if not holding:
            continue  # the gold answer is in no article readable on the date: no label to score
        wrong = tuple(c for i, c in enumerate(q.choices) if i != q.answer_index)
        items.append(ReadingItem(q.id, q.question, q.date, q.answer, wrong, tuple(pool), True))
        rest = tuple(u for u in pool if u not in holding and u not in q.answer_urls)
        if rest:
            items.append(ReadingItem(f"{q.id}+twin", q.question, q.date, q.answer, wrong, rest, False))
    return items


def outcome(item: ReadingItem, text: str, abstained: bool) -> str:
    """right / abstained / wrong / other. For a twin, abstaining is right and any answer is not.

    Wrong: names a wrong option and not the gold one (a paraphrase of the right answer is "other").
    """
    if abstained:
        return "right" if not item.answerable else "abstained"
    answer = strip_markers(text)
    has_gold = contains(answer, item.gold)
    # An option inside the gold one ("Biden" in "Joe Biden") does not make an answer wrong.
    names_wrong = any(contains(answer, w) and not contains(item.gold, w) for w in item.wrong)
    if item.answerable and has_gold and not names_wrong and len(words(answer)) <= MAX_WORDS:
        return "right"
    return "wrong" if names_wrong and not has_gold else "other"


def token_f1(answer: str, gold: str) -> float:
    """SQuAD-style token F1 between an answer and the gold string."""
    a, g = Counter(words(strip_markers(answer))), Counter(words(gold))
    common = sum((a & g).values())
    if not common:
        return 0.0
    precision, recall = common / sum(a.values()), common / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def evaluate_reading(data: Path, split_name: str, config: Config, out: str | None = None,
                     store: Path | None = None, limit: int | None = None,
                     replay: Path | None = None, mc: bool = False) -> tuple[Path, dict]:
    """Ask every item of the split over its own articles; score right / abstained / wrong. With
    ``replay`` (an earlier run folder), the model's replies recorded there are reused where it is
    shown the same evidence (see :mod:`evals.replay`). With ``mc``, each item's multiple choice is
    picked too, by the model over the evidence it read and by support in the top passages."""
    from qa import Assistant

    replies = recorded(replay) if replay else None
    questions = split(load_folder(data), split_name)
    urls = set().union(*(q.urls for q in questions))
    articles_file = subset(data, urls)
    items = select(build_items(questions, read_articles(articles_file, urls)), limit)
    run = run_dir(out, f"reading-{split_name}")
    store_path, ingest = build_store([articles_file], config, store)
    assistant = Assistant(store_path, config)
    cfg = assistant.config
    picker = picking_llm(cfg, assistant.llm, "auto") if mc else None
    by_id = {q.id: q for q in questions}
    settings = {"kind": "reading", "split": split_name, **config_settings(cfg),
                "data": fingerprint([data / "questions.jsonl"]), **({"replay": str(replay)} if replay else {}),
                **({"mc": picker.name if picker else "lexical"} if mc else {})}
    replayed = None
    if replies is not None and assistant.llm is not None:
        replayed = assistant.llm = Replayed(assistant.llm, replies)

    def evaluate(item: ReadingItem) -> dict:
        if replayed:
            replayed.start(item.id)
        answer = assistant.ask(item.question, as_of=item.date, articles=item.articles)
        row = choices(item, answer) if mc else {}
        return {**row, "question": item.question, "date": item.date.isoformat(), "gold": item.gold,
                "answerable": item.answerable, "answer": answer.text, "draft": answer.draft,
                "evidence": answer.evidence, "replies": answer.replies,
                "abstained": answer.abstained, "opening_logprob": answer.opening_logprob,
                "outcome": outcome(item, answer.text, answer.abstained),
                "f1": None if answer.abstained else token_f1(answer.text, item.gold),
                "seconds": answer.seconds, "mode": answer.mode}

    def choices(item: ReadingItem, answer) -> dict:
        q = by_id[item.id.removesuffix("+twin")]
        passages = assistant.retrieve(item.question, as_of=item.date, articles=item.articles, top_k=CHOICE_PASSAGES)
        support = choice_support(q.choices, [f"{p.title}\n{p.text}" for p in passages])
        shares = letter_shares(picker, q.question, q.date, q.choices, evidence_read(answer)) if picker else None
        return {"answer_index": q.answer_index, "mc_lexical": argmax(support),
                "mc_llm": argmax(shares) if shares else None, "mc_llm_shares": shares}

    rows, reused = run_all(items, lambda i: i.id, evaluate, ResultCache(run, settings))
    results = {"kind": "reading", "split": split_name, "data": str(data), "store": str(store_path),
               "ingest": ingest, "settings": settings, "reused_results": reused, "summary": summarise(rows),
               "replies": {"replayed": replayed.replayed, "generated": replayed.generated} if replayed else None,
               "questions": [{"id": i.id, **r} for i, r in zip(items, rows)]}
    write_json(run / "results.json", results)
    rp.write_report(run, f"newsqa eval reading --split {split_name}", [
        "## Setup\n",
        f"- {len(items)} items ({results['summary']['answerable']['n']} answerable, "
        f"{results['summary']['twins']['n']} unanswerable twins) of split `{split_name}`; "
        f"store `{store_path}`: {ingest['stored_articles']} articles\n"
        f"- model `{cfg.model}`, mode `{cfg.mode}`; every question asked as of its date over its own articles\n"
        + (f"- replies replayed from `{replay}` where the evidence was the same: {replayed.replayed} replayed, "
           f"{replayed.generated} generated; the judge ran live, latency is not an answer's\n" if replayed else ""),
        "## Summary\n", rp.markdown_table(["metric", "value"], [list(r) for r in summary_rows(results)])], [])
    return run, results


def summarise(rows: list[dict]) -> dict:
    def shares(group: list[dict]) -> dict:
        counts = Counter(r["outcome"] for r in group)
        return {"n": len(group), **{o: counts[o] for o in OUTCOMES}}

    answerable = [r for r in rows if r["answerable"]]
    twins = [r for r in rows if not r["answerable"]]
    f1 = [r["f1"] or 0.0 for r in answerable]
    return {"answerable": shares(answerable), "twins": shares(twins),
            "f1_answerable": sum(f1) / len(f1) if f1 else None,
            "latency": rp.latency([r["seconds"] for r in rows]),
            **({"mc": {group: choice_counts(g) for group, g in (("answerable", answerable), ("twins", twins))}}
               if rows and "mc_lexical" in rows[0] else {})}


def choice_counts(rows: list[dict]) -> dict:
    """Right multiple-choice picks of the model and of the lexical support, and where they part."""
    paired = [(r["mc_llm"] == r["answer_index"], r["mc_lexical"] == r["answer_index"])
              for r in rows if r["mc_llm"] is not None]
    return {"n": len(rows), "llm": sum(m for m, _ in paired), "llm_n": len(paired),
            "lexical": sum(r["mc_lexical"] == r["answer_index"] for r in rows),
            "only_llm": sum(m and not x for m, x in paired), "only_lexical": sum(x and not m for m, x in paired)}


def summary_rows(results: dict) -> list[tuple[str, str]]:
    s = results["summary"]
    a, t = s["answerable"], s["twins"]

    def pct(k: int, n: int) -> str:
        return f"{k / n:.1%} ({k}/{n})" if n else "n/a"

    lat = s["latency"]
    picks = [(f"multiple choice, {group}: model / lexical (only model, only lexical)",
              f"{pct(c['llm'], c['llm_n'])} / {pct(c['lexical'], c['n'])} ({c['only_llm']}, {c['only_lexical']})")
             for group, c in s.get("mc", {}).items()]
    return [
        ("answerable: right / abstained / wrong / other",
         " / ".join(pct(a[o], a["n"]) for o in OUTCOMES)),
        ("unanswerable twins: abstained / wrong / other", " / ".join(pct(t[o], t["n"]) for o in ("right", "wrong", "other"))),
        ("token F1, answerable (abstention = 0)", f"{s['f1_answerable']:.3f}" if s["f1_answerable"] is not None else "n/a"),
        ("latency p50 / p95", f"{lat['median']:.2f}s / {lat['p95']:.2f}s" if lat["n"] else "n/a"),
        *picks,
    ]
