"""`newsqa eval qa`: a Q&A file (seeds/seed_qa.jsonl schema) against a store built from documents."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from qa import Config
from qa.markers import strip_markers

from . import report as rp
from .citation_quality import citation_quality
from .judge import make_judge
from .matching import matches_all, shares_run
from .replay import Replayed, recorded
from .runs import ResultCache, config_settings, run_all, run_dir, write_json
from .stores import build_store, fingerprint

# Depth of the evidence hit@k curve (the assistant itself answers from its top_k).
CURVE_K = 10


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    answer: str
    must_include: list[str]
    evidence: str
    answerable: bool
    history: tuple[str, ...] = ()  # earlier questions of the same conversation, oldest first


def load_qa(path: Path) -> list[QAItem]:
    """Rows with ``id, question, answer, must_include, evidence, answerable`` (and optionally
    ``history``, the earlier questions of a conversation); a bad row is an error."""
    if not path.is_file():
        raise ValueError(f"{path}: no such Q&A file")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            item = QAItem(str(row["id"]), row["question"], row.get("answer", ""), list(row.get("must_include", [])),
                          row.get("evidence", ""), bool(row["answerable"]), tuple(row.get("history") or ()))
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise ValueError(f"{path}:{number}: not a Q&A row ({type(e).__name__}: {e})") from e
        items.append(item)
    if not items:
        raise ValueError(f"{path}: no questions")
    return items


def evaluate_qa(file: Path, docs: list[Path], config: Config, out: str | None = None,
                store: Path | None = None, judge_spec: str = "auto", replay: Path | None = None) -> tuple[Path, dict]:
    """Answer every question, score it, and write ``results.json``, ``report.md`` and plots to the run
    folder. With ``replay`` (an earlier run folder of the same file), the model's replies recorded there
    are reused where it is shown the same evidence (see :mod:`evals.replay`)."""
    from qa import Assistant

    items = load_qa(file)
    replies = recorded(replay) if replay else None
    run = run_dir(out, "qa")
    store_path, ingest = build_store(docs, config, store)
    assistant = Assistant(store_path, config)
    cfg = assistant.config
    judge = make_judge(judge_spec, cfg, assistant.llm if judge_spec == "auto" else None)
    settings = {"kind": "qa", **config_settings(cfg), "judge": judge.name, "questions": fingerprint([file]),
                "store": str(store_path), **({"replay": str(replay)} if replay else {})}
    replayed = None
    if replies is not None and assistant.llm is not None:
        replayed = assistant.llm = Replayed(assistant.llm, replies)

    def evaluate(item: QAItem) -> dict:
        if replayed:
            replayed.start(item.id)
        answer = assistant.ask(item.question, history=item.history)
        passages = assistant.retrieve(item.question, history=item.history, top_k=max(CURVE_K, cfg.top_k))
        started = time.perf_counter()
        quality = citation_quality(answer, judge)
        judged = time.perf_counter() - started
        found = not answer.abstained and matches_all(strip_markers(answer.text), item.must_include)
        evidence = item.evidence
        return {
            "question": item.question, "evidence": evidence, "answerable": item.answerable,
            "abstained": answer.abstained, "correct": found if item.answerable else answer.abstained,
            "abstention_correct": answer.abstained != item.answerable,
            "citation_recall": quality.recall, "citation_precision": quality.precision,
            "cited_evidence": any(shares_run(c.quote, evidence) for c in answer.citations) if evidence else None,
            "evidence_rank": next((i for i, p in enumerate(passages, 1) if shares_run(p.text, evidence)), None)
            if evidence else None,
            "seconds": answer.seconds, "judge_seconds": judged, "answer": answer.text, "draft": answer.draft, "mode": answer.mode,
            "read": answer.evidence, "replies": answer.replies,
            "model": answer.model, "opening_logprob": answer.opening_logprob,
            "citations": [{"n": c.n, "url": c.url, "quote": c.quote} for c in answer.citations],
        }

    rows, reused = run_all(items, lambda i: i.id, evaluate, ResultCache(run, settings))
    results = {"kind": "qa", "file": str(file), "docs": [str(d) for d in docs], "store": str(store_path),
               "ingest": ingest, "judge": judge.name, "settings": settings, "reused_results": reused,
               "replies": {"replayed": replayed.replayed, "generated": replayed.generated} if replayed else None,
               "summary": _summary(rows, cfg.top_k), "questions": [{"id": i.id, **r} for i, r in zip(items, rows)]}
    write_json(run / "results.json", results)
    _write_report(run, results)
    return run, results


def _summary(rows: list[dict], top_k: int) -> dict:
    answerable = [r for r in rows if r["answerable"]]
    ranks = [r["evidence_rank"] for r in rows if r["evidence"]]
    curve = rp.hit_curve(ranks, CURVE_K)
    return {
        "questions": len(rows), "answerable": len(answerable),
        "correct": rp.rate(r["correct"] for r in rows),
        "answer_correct": rp.rate(r["correct"] for r in answerable),
        "abstention_correct": rp.rate(r["abstention_correct"] for r in rows),
        "abstained_when_unanswerable": rp.rate(r["abstained"] for r in rows if not r["answerable"]),
        "abstained_when_answerable": rp.rate(r["abstained"] for r in answerable),
        "citation_recall": rp.mean(r["citation_recall"] for r in rows),
        "citation_precision": rp.mean(r["citation_precision"] for r in rows),
        "cited_evidence": rp.rate(r["cited_evidence"] for r in rows),
        f"evidence_hit_at_{top_k}": rp.rate(r is not None and r <= top_k for r in ranks),
        "evidence_hit_at_k": curve,
        "latency": rp.latency([r["seconds"] for r in rows]),
        "judge_latency": rp.latency([r["judge_seconds"] for r in rows]),
    }


def summary_rows(results: dict) -> list[tuple[str, str]]:
    s, top_k = results["summary"], results["settings"]["top_k"]
    return [
        ("questions", f"{s['questions']} ({s['answerable']} answerable)"),
        ("correct (answerable: all must_include; unanswerable: abstained)", rp.fmt(s["correct"])),
        ("answer correct, answerable questions", rp.fmt(s["answer_correct"])),
        ("abstention correct", rp.fmt(s["abstention_correct"])),
        ("abstained when unanswerable", rp.fmt(s["abstained_when_unanswerable"])),
        ("abstained when answerable", rp.fmt(s["abstained_when_answerable"])),
        ("citation recall (ALCE), answered", rp.fmt(s["citation_recall"])),
        ("citation precision (ALCE), answered", rp.fmt(s["citation_precision"])),
        ("a cited span overlaps the gold evidence", rp.fmt(s["cited_evidence"])),
        (f"evidence retrieved in top {top_k}", rp.fmt(s[f"evidence_hit_at_{top_k}"])),
        ("answer latency", rp.fmt_latency(s["latency"])),
        ("citation judge", results["judge"]),
    ]


def _write_report(run: Path, results: dict) -> None:
    s, st = results["summary"], results["settings"]
    curves = {"evidence in top k": s["evidence_hit_at_k"]}
    plots = rp.write_plots(run, curves, "Gold evidence retrieved in the top k passages",
                           [q["seconds"] for q in results["questions"]])
    setup = (f"- questions: `{results['file']}`\n- documents: {', '.join(results['docs'])} "
             f"(store `{results['store']}`; {results['ingest']['summary']}"
             f"{', reused' if results['ingest'].get('reused') else ''})\n"
             f"- model `{st['model']}`, mode `{st['mode']}`, top_k {st['top_k']}\n"
             f"- citation judge: {results['judge']} (not the pipeline's own verifier)\n"
             f"- results reused from an earlier, interrupted run: {results['reused_results']}\n"
             + (f"- replies replayed from `{st['replay']}` where the evidence was the same: "
                f"{results['replies']['replayed']} replayed, {results['replies']['generated']} generated; "
                "the judge ran live, latency is not an answer's\n" if results.get("replies") else ""))
    summary = rp.markdown_table(["metric", "value"], [list(r) for r in summary_rows(results)])
    curve = rp.markdown_table(["k"] + [str(k) for k in range(1, CURVE_K + 1)],
                              [["evidence hit@k"] + [f"{v:.0%}" for v in s["evidence_hit_at_k"]]])
    per_question = rp.markdown_table(
        ["id", "answerable", "correct", "abstained", "cit. recall", "cit. precision", "cites evidence",
         "evidence rank", "seconds", "answer"],
        [[q["id"], _yn(q["answerable"]), _yn(q["correct"]), _yn(q["abstained"]), _num(q["citation_recall"]),
          _num(q["citation_precision"]), _yn(q["cited_evidence"]), str(q["evidence_rank"] or "-"),
          f"{q['seconds']:.2f}", q["answer"].replace("|", "\\|").replace("\n", " ")[:160]]
         for q in results["questions"]])
    rp.write_report(run, "newsqa eval qa", [
        "## Setup\n", setup, "## Summary\n", summary,
        "Citation recall and precision follow ALCE (Gao et al. 2023): recall = share of answer sentences "
        "supported by their cited passages together; precision = share of citations on supported sentences "
        "that are not irrelevant. Means over answered questions.\n",
        "## Evidence retrieval\n", curve, "## Per question\n", per_question], plots)


def _yn(flag: bool | None) -> str:
    return "-" if flag is None else ("yes" if flag else "no")


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
