"""`newsqa eval retrieval`: BM25 alone, dense alone and the hybrid side by side, on the same
RealTime QA questions and store, every question asked as of its date.

Give a store holding the whole corpus (``--store``, used as it is); without one, a store of the
questions' own articles is built, which flatters every ranker. A question counts when an article
it names in ``answer_urls``, dated on or before the question, holds the gold answer.
Answer-recall@k: the gold answer, as whole words, in the title or text of one of the top k
passages (:func:`answer_hit`, bench's definition too); article-recall@5: one of them is from an
answer article. The BM25 side is the yardstick and stays as it is: today's bm25s index and
tokenizer over the same chunks, with the same per-article cap, no dense part and none of the
hybrid's later additions.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from qa import Config, Passage

from . import report as rp
from .matching import contains
from .reading import read_articles, split
from .rtqa import RTQAQuestion, corpus, load_folder
from .runs import config_settings, run_dir, write_json
from .stores import build_store, fingerprint

KS = (1, 5, 10)
# Each ranker is the serving configuration with these fields replaced: BM25 (frozen) and dense
# alone, the hybrid as served (its fitted fusion), and the hybrid fusing by rank as it did before.
RANKERS = {"bm25": {"bm25_weight": 1.0, "dense_weight": 0.0, "candidates": 30, "max_per_article": 2},
           "dense": {"bm25_weight": 0.0}, "hybrid": {}, "hybrid-rrf": {"fusion": "rrf"}}


def answer_hit(passage: Passage, gold: str) -> bool:
    """Whether a passage holds the gold answer: as whole words, in its article's title or its text."""
    return contains(f"{passage.title}\n{passage.text}", gold)


def answerable(questions: list[RTQAQuestion], data: Path) -> list[RTQAQuestion]:
    """The questions with an answer article dated on or before them that holds the gold answer."""
    articles = read_articles(data / "articles.jsonl.gz", {u for q in questions for u in q.answer_urls})
    return [q for q in questions
            if any(u in articles and (articles[u][0] is None or articles[u][0] <= q.date)
                   and contains(articles[u][1], q.answer) for u in q.answer_urls)]


def evaluate_retrieval(data: Path, split_name: str, config: Config, out: str | None = None,
                       store: Path | None = None) -> tuple[Path, dict]:
    """Each ranker's answer-recall@1/5/10, article-recall@5, latency and top-5 text length."""
    every = load_folder(data)
    questions = answerable(every if split_name == "all" else split(every, split_name), data)
    store_path, ingest = (store, {"given": True}) if store else build_store([corpus(data, questions, False)], config)
    run = run_dir(out, f"retrieval-{split_name}")
    rows = compare(store_path, config, questions)
    results = {"kind": "retrieval", "split": split_name, "data": str(data), "store": str(store_path),
               "ingest": ingest,
               "settings": {**config_settings(config), "data": fingerprint([data / "questions.jsonl"])},
               "rankers": RANKERS, "summary": {name: summarise(r) for name, r in rows.items()},
               "questions": [{"id": q.id, "question": q.question, "gold": q.answer,
                              **{name: rows[name][i] for name in rows}} for i, q in enumerate(questions)]}
    write_json(run / "results.json", results)
    rp.write_report(run, f"newsqa eval retrieval --split {split_name}", [
        f"- {len(questions)} answerable questions of split `{split_name}`, each asked as of its date; "
        f"store `{store_path}`", "", rp.markdown_table(*table(results))], [])
    return run, results


def compare(store: Path, config: Config, questions: list[RTQAQuestion]) -> dict[str, list[dict]]:
    """Per ranker, per question: the rank of the first passage holding the gold answer and of the
    first from an answer article (None: not in the top 10), the top 5's length, seconds."""
    from qa import Assistant

    rows = {}
    for name, fields in RANKERS.items():
        assistant = Assistant(store, dataclasses.replace(config, **fields), model="none")
        assistant.retrieve("warm up")
        rows[name] = [_ask(assistant, q) for q in questions]
    return rows


def _ask(assistant, q: RTQAQuestion) -> dict:
    started = time.perf_counter()
    passages = assistant.retrieve(q.question, as_of=q.date, top_k=max(KS))
    seconds = time.perf_counter() - started
    return {"hit_rank": next((i for i, p in enumerate(passages, 1) if answer_hit(p, q.answer)), None),
            "article_rank": next((i for i, p in enumerate(passages, 1) if p.url in q.answer_urls), None),
            "top5_chars": sum(len(p.text) for p in passages[:5]), "seconds": seconds}


def summarise(rows: list[dict]) -> dict:
    n = len(rows) or 1
    return {"n": len(rows),
            **{f"answer_recall@{k}": sum(r["hit_rank"] is not None and r["hit_rank"] <= k for r in rows) / n
               for k in KS},
            "article_recall@5": sum(r["article_rank"] is not None and r["article_rank"] <= 5 for r in rows) / n,
            "top5_chars": sum(r["top5_chars"] for r in rows) / n,
            "latency": rp.latency([r["seconds"] for r in rows])}


def table(results: dict) -> tuple[list[str], list[list[str]]]:
    """``results["summary"]`` (ranker -> :func:`summarise`) as a markdown table's header and rows."""
    header = ["ranker", *(f"answer-recall@{k}" for k in KS), "article-recall@5", "top-5 chars", "p50 / p95 ms"]
    body = []
    for name, s in results["summary"].items():
        if not s["n"]:
            continue
        body.append([name, *(f"{s[f'answer_recall@{k}']:.1%}" for k in KS), f"{s['article_recall@5']:.1%}",
                     f"{s['top5_chars']:.0f}",
                     f"{1000 * s['latency']['median']:.0f} / {1000 * s['latency']['p95']:.0f}"])
    return header, body


def summary_rows(results: dict) -> list[tuple[str, str]]:
    header, body = table(results)
    return [(row[0], "  ".join(f"{h} {v}" for h, v in zip(header[1:], row[1:]))) for row in body]
