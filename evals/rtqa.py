"""`newsqa eval rtqa`: RealTime QA (Kasai et al.) questions asked as of their quiz date.

A data folder holds ``articles.jsonl.gz`` (url, title, text, authors, published) and
``questions.jsonl`` (id, date, question, choices, answer_index, answer, answer_in_corpus,
answer_urls, retrieved_urls); ``leaderboard_baselines.txt`` is optional.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from qa import Config
from qa.markers import strip_markers

from . import report as rp
from .choices import argmax, choice_support, evidence_read, letter_shares, picking_llm
from .matching import contains
from .runs import ResultCache, config_settings, run_all, run_dir, write_json
from .stores import build_store, evals_cache, fingerprint

CURVE_K = 10
# The leaderboard row to compare with: GPT-3 reading the same search results as this corpus.
HEADLINE_BASELINE = "open_gpt3_gcs"


@dataclass(frozen=True)
class RTQAQuestion:
    id: str
    date: dt.date
    question: str
    choices: list[str]
    answer_index: int
    answer: str
    answer_in_corpus: bool
    answer_urls: tuple[str, ...]
    retrieved_urls: tuple[str, ...]

    @property
    def urls(self) -> frozenset[str]:
        """answer_urls + retrieved_urls: the articles this question can need."""
        return frozenset(self.answer_urls + self.retrieved_urls)

    @property
    def week(self) -> str:
        """The quiz the question comes from (the ``id`` prefix, ``YYYYMMDD``)."""
        return self.id.split("_")[0]


def parse_date(raw: str) -> dt.date:
    """``YYYY/MM/DD`` or ``YYYY-MM-DD``."""
    return dt.date.fromisoformat(raw.strip().replace("/", "-"))


def load_questions(path: Path) -> list[RTQAQuestion]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            questions.append(RTQAQuestion(
                str(r["id"]), parse_date(r["date"]), r["question"], list(r["choices"]), int(r["answer_index"]),
                r.get("answer") or r["choices"][int(r["answer_index"])], bool(r.get("answer_in_corpus", False)),
                tuple(r.get("answer_urls", [])), tuple(r.get("retrieved_urls", []))))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, IndexError) as e:
            raise ValueError(f"{path}:{number}: not a RealTime QA question ({type(e).__name__}: {e})") from e
    return questions


def load_folder(data: Path) -> list[RTQAQuestion]:
    """The questions of a RealTime QA folder, checked to hold its articles too."""
    if not (data / "questions.jsonl").is_file() or not (data / "articles.jsonl.gz").is_file():
        raise ValueError(f"{data} is not a RealTime QA folder (articles.jsonl.gz + questions.jsonl); use --data")
    return load_questions(data / "questions.jsonl")


def select(questions: list[RTQAQuestion], limit: int | None) -> list[RTQAQuestion]:
    """``limit`` questions spread evenly over the file (it runs in date order), or all."""
    if limit is not None and limit < 1:
        raise ValueError("--limit must be at least 1")
    if limit is None or limit >= len(questions):
        return questions
    return [questions[i * len(questions) // limit] for i in range(limit)]


def corpus(data: Path, questions: list[RTQAQuestion], everything: bool) -> Path:
    """The articles file to ingest: all of them, or (cached) only those the questions can need."""
    articles = data / "articles.jsonl.gz"
    if everything:
        return articles
    return subset(data, set().union(*(q.urls for q in questions)))


def subset(data: Path, wanted_urls: set[str]) -> Path:
    """A cached JSONL file of the articles of ``data`` whose URL is wanted."""
    articles = data / "articles.jsonl.gz"
    urls = sorted(wanted_urls)
    key = hashlib.sha256(json.dumps([fingerprint([articles]), urls]).encode()).hexdigest()[:16]
    path = evals_cache() / f"rtqa-articles-{key}.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        with gzip.open(articles, "rt", encoding="utf-8") as src, tmp.open("w", encoding="utf-8") as dst:
            dst.writelines(line for line in src if line.strip() and json.loads(line).get("url") in wanted_urls)
        tmp.replace(path)
    return path


def evaluate_rtqa(data: Path, config: Config, out: str | None = None, store: Path | None = None,
                  limit: int | None = None, mc: str = "auto") -> tuple[Path, dict]:
    """Ask each selected question as of its date; score retrieval, answers, multiple choice, abstention."""
    from qa import Assistant

    every = load_folder(data)
    questions = select(every, limit)
    run = run_dir(out, "rtqa")
    store_path, ingest = build_store([corpus(data, questions, len(questions) == len(every))], config, store)
    assistant = Assistant(store_path, config)
    cfg = assistant.config
    mc_llm = picking_llm(cfg, assistant.llm, mc)
    settings = {"kind": "rtqa", **config_settings(cfg), "data": fingerprint([data / "questions.jsonl"]),
                "store": str(store_path), "mc_llm": mc_llm.name if mc_llm else None}

    def evaluate(q: RTQAQuestion) -> dict:
        passages = assistant.retrieve(q.question, as_of=q.date, top_k=max(CURVE_K, cfg.top_k))
        answer = assistant.ask(q.question, as_of=q.date)
        texts = [f"{p.title}\n{p.text}" for p in passages]
        support = choice_support(q.choices, texts)
        row = {
            "question": q.question, "date": q.date.isoformat(), "gold": q.answer,
            "answer_in_corpus": q.answer_in_corpus,
            "recall_rank": next((i for i, t in enumerate(texts, 1) if contains(t, q.answer)), None),
            "answer": answer.text, "draft": answer.draft, "abstained": answer.abstained, "seconds": answer.seconds, "mode": answer.mode,
            "contains_gold": not answer.abstained and contains(strip_markers(answer.text), q.answer),
            "mc_support": support, "mc_lexical": argmax(support), "mc_tied": support.count(max(support)) > 1,
            "answer_index": q.answer_index, "mc_llm": None, "mc_llm_shares": None, "mc_llm_seconds": None,
        }
        if mc_llm:
            started = time.perf_counter()
            shares = letter_shares(mc_llm, q.question, q.date, q.choices, evidence_read(answer))
            row.update(mc_llm=argmax(shares), mc_llm_shares=shares, mc_llm_seconds=time.perf_counter() - started)
        return row

    rows, reused = run_all(questions, lambda q: q.id, evaluate, ResultCache(run, settings))
    from .retrieval import answerable, compare, summarise  # it builds on this module

    rankers = compare(store_path, cfg, answerable(questions, data))
    results = {"kind": "rtqa", "data": str(data), "store": str(store_path), "ingest": ingest,
               "selected": len(questions), "of": len(every), "settings": settings, "reused_results": reused,
               "mc_llm": settings["mc_llm"], "leaderboard": leaderboard(data),
               "summary": _summary(rows), "rankers": {name: summarise(r) for name, r in rankers.items()},
               "questions": [{"id": q.id, **r} for q, r in zip(questions, rows)]}
    write_json(run / "results.json", results)
    _write_report(run, results)
    return run, results


def leaderboard(data: Path) -> list[list[str]]:
    """``leaderboard_baselines.txt`` as rows of cells (header first), or [] when absent."""
    path = data / "leaderboard_baselines.txt"
    if not path.is_file():
        return []
    return [[c.strip() for c in line.split("|")] for line in path.read_text().splitlines() if "|" in line]


def _summary(rows: list[dict]) -> dict:
    aic = [r for r in rows if r["answer_in_corpus"]]
    nic = [r for r in rows if not r["answer_in_corpus"]]
    llm = [r for r in rows if r["mc_llm"] is not None]
    return {
        "questions": len(rows), "answer_in_corpus": len(aic),
        "answer_recall_at_k": rp.hit_curve([r["recall_rank"] for r in rows], CURVE_K),
        "answer_recall_at_k_in_corpus": rp.hit_curve([r["recall_rank"] for r in aic], CURVE_K),
        "contains_gold_in_corpus": rp.rate(r["contains_gold"] for r in aic),
        "mc_lexical": rp.rate(r["mc_lexical"] == r["answer_index"] for r in rows),
        "mc_lexical_in_corpus": rp.rate(r["mc_lexical"] == r["answer_index"] for r in aic),
        "mc_lexical_tied": rp.rate(r["mc_tied"] for r in rows),
        "mc_llm": rp.rate(r["mc_llm"] == r["answer_index"] for r in llm),
        "mc_llm_in_corpus": rp.rate(r["mc_llm"] == r["answer_index"] for r in llm if r["answer_in_corpus"]),
        "abstained_not_in_corpus": rp.rate(r["abstained"] for r in nic),
        "abstained_in_corpus": rp.rate(r["abstained"] for r in aic),
        # The "not in corpus" label is noisy: the gold string often appears in a headline or another article.
        "not_in_corpus_but_in_top_k": rp.rate(r["recall_rank"] is not None for r in nic),
        "latency": rp.latency([r["seconds"] for r in rows]),
        "mc_llm_latency": rp.latency([r["mc_llm_seconds"] for r in llm]),
    }


def _mc_headline(s: dict) -> tuple[str, dict, dict]:
    if s["mc_llm"]["n"]:
        return "LLM letter pick over the evidence it read", s["mc_llm"], s["mc_llm_in_corpus"]
    return "lexical support in the top passages", s["mc_lexical"], s["mc_lexical_in_corpus"]


def summary_rows(results: dict) -> list[tuple[str, str]]:
    s = results["summary"]
    curve, curve_aic = s["answer_recall_at_k"], s["answer_recall_at_k_in_corpus"]
    how, mc_all, mc_aic = _mc_headline(s)
    rows = [
        ("questions", f"{s['questions']} of {results['of']} ({s['answer_in_corpus']} answer_in_corpus)"),
        ("answer recall@1/@5/@10, all", " / ".join(f"{curve[k - 1]:.1%}" for k in (1, 5, 10))),
        ("answer recall@1/@5/@10, answer_in_corpus", " / ".join(f"{curve_aic[k - 1]:.1%}" for k in (1, 5, 10))),
        ("answer text contains gold, answer_in_corpus", rp.fmt(s["contains_gold_in_corpus"])),
        (f"MC accuracy, all ({how})", rp.fmt(mc_all)),
        (f"MC accuracy, answer_in_corpus ({how})", rp.fmt(mc_aic)),
        ("abstained, not answer_in_corpus (noisy label)", rp.fmt(s["abstained_not_in_corpus"])),
        ("abstained, answer_in_corpus", rp.fmt(s["abstained_in_corpus"])),
        ("answer latency", rp.fmt_latency(s["latency"])),
    ]
    if s["mc_llm"]["n"]:
        rows.insert(6, ("MC accuracy, all (lexical support only)", rp.fmt(s["mc_lexical"])))
        rows.append(("MC LLM latency (one letter pick per cyclic order)", rp.fmt_latency(s["mc_llm_latency"])))
    baseline = next((r for r in results["leaderboard"] if r and r[0] == HEADLINE_BASELINE), None)
    if baseline:
        rows.append((f"leaderboard {HEADLINE_BASELINE} (GPT-3 + search), MC all / in corpus",
                     " / ".join(baseline[1:3])))
    return rows


def pool_note(results: dict) -> str:
    """What a ``--limit`` run's pool is: only the selected questions' articles (a smaller, easier
    pool), or a given store holding more, such as the whole corpus."""
    if results["selected"] == results["of"]:
        return ""
    ingest = results["ingest"]
    named = ingest["articles"] + ingest["skipped"]
    pool = (f"the store holds {ingest['stored_articles']} articles, more than the {named} they name"
            if ingest["stored_articles"] > named else
            "the store holds only the articles their retrieved_urls/answer_urls name, a smaller and easier pool "
            "than the full one")
    return f" (the {results['selected']} questions are spread evenly over the file; {pool})"


def _write_report(run: Path, results: dict) -> None:
    s, st, ingest = results["summary"], results["settings"], results["ingest"]
    plots = rp.write_plots(run, {"all questions": s["answer_recall_at_k"],
                                 "answer_in_corpus": s["answer_recall_at_k_in_corpus"]},
                           "Gold answer in the top k passages (as of the quiz date)",
                           [q["seconds"] for q in results["questions"]])
    how, mc_all, mc_aic = _mc_headline(s)
    subset = pool_note(results)
    setup = (f"- data: `{results['data']}`; {results['selected']} of {results['of']} questions{subset}\n"
             f"- store `{results['store']}`: {ingest['stored_articles']} articles, {ingest['stored_chunks']} chunks "
             f"({ingest['summary']}{', reused' if ingest.get('reused') else ''})\n"
             f"- model `{st['model']}`, mode `{st['mode']}`, top_k {st['top_k']}; every question asked as of its date\n"
             f"- multiple choice: {how}"
             f"{' (' + results['mc_llm'] + ')' if results['mc_llm'] else ''}\n"
             f"- results reused from an earlier, interrupted run: {results['reused_results']}\n")
    summary = rp.markdown_table(["metric", "value"], [list(r) for r in summary_rows(results)])
    curve = rp.markdown_table(
        ["k"] + [str(k) for k in range(1, CURVE_K + 1)],
        [["all"] + [f"{v:.1%}" for v in s["answer_recall_at_k"]],
         ["answer_in_corpus"] + [f"{v:.1%}" for v in s["answer_recall_at_k_in_corpus"]]])
    from .retrieval import table

    n = next(iter(results["rankers"].values()))["n"]
    side = (f"The {n} questions with an answer article on or before their date, each ranker alone "
            "(BM25 frozen) and the hybrid, every question asked as of its date:\n\n"
            + rp.markdown_table(*table({"summary": results["rankers"]})))
    board = results["leaderboard"]
    ours = [f"newsqa, this run ({how}; {results['selected']} questions)", rp.fmt(mc_all), rp.fmt(mc_aic)]
    leader = (rp.markdown_table(board[0], board[1:] + [ours]) if board
              else "No leaderboard_baselines.txt in the data folder.\n")
    rp.write_report(run, "newsqa eval rtqa", [
        "## Setup\n", setup, "## Summary\n", summary,
        "- answer recall@k: the gold answer (quotes and dashes straightened, case folded, whole words) occurs in "
        "one of the top-k retrieved passages or their headlines.\n"
        "- contains gold: the assistant's answer text contains the gold answer (answer_in_corpus questions).\n"
        "- multiple choice, lexical: each choice scored by its occurrence (whole phrase = 1, else half its share of "
        "distinctive words) in each of the top 10 passages, weighted 1/rank; ties go to the first choice "
        f"({rp.fmt(s['mc_lexical_tied'])} of questions tied).\n"
        "- abstention: the answer_in_corpus=false label is noisy; the gold answer appears in the top "
        f"{CURVE_K} passages anyway for {rp.fmt(s['not_in_corpus_but_in_top_k'])} of those questions (and in "
        "headlines or earlier articles more often), so abstaining there is not always right.\n",
        "## Answer recall@k\n", curve, "## Rankers side by side\n", side,
        "## Leaderboard (multiple-choice accuracy)\n", leader,
        "The baselines were scored on all 708 questions; a --limit run covers a subset.\n"], plots)
