"""The two measured phases, each run in its own process by :mod:`bench.run`."""
from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Iterator

import numpy as np


def ingest(args: argparse.Namespace) -> dict:
    """Raw embedding limit on the corpus's own chunks, then the real ingest, then an unchanged re-ingest."""
    from index.embedding import Embedder, Tokenizer
    from index.ingest import article_chunks
    from index.loading import load_paths
    from index.models import Article
    from index.store import embedding_input
    from qa import Assistant, Config

    cfg = Config.from_env(store=args.store, model="none")
    limit = args.limit or None
    articles = [a for a in load_paths([args.corpus], limit=limit) if isinstance(a, Article)]
    tokenizer = Tokenizer()
    inputs = [embedding_input(a.title, c.text) for a in articles
              for c in article_chunks(a, tokenizer, cfg.chunk_tokens, cfg.chunk_overlap_sentences)]
    embedder = Embedder(cfg.embed_batch_size, cfg.embed_bf16, cfg.embed_variant, cfg.embed_backend, cfg.embed_threads)
    started = time.perf_counter()
    embedder.embed(["warm up"])
    model_load = time.perf_counter() - started
    sample = inputs[: args.raw_sample] if args.raw_sample else inputs
    started = time.perf_counter()
    vectors = embedder.embed(sample)
    raw_rate = len(sample) / (time.perf_counter() - started)
    np.save(args.out.with_suffix(".npy"), vectors)  # compared across embedders by bench.run
    del articles, inputs

    assistant = Assistant(args.store, config=cfg)
    report = assistant.ingest([args.corpus], limit=limit)
    again = assistant.ingest([args.corpus], limit=limit)
    return {
        "embedder": f"{embedder.backend} {embedder.variant}, {embedder.threads} threads, {_kernel(embedder)}",
        "model_load_s": model_load,
        "raw_chunks_per_s": raw_rate,
        "raw_sample_chunks": len(sample),
        "articles": report.articles,
        "chunks": report.chunks,
        "rejected": report.rejected,
        "seconds": report.seconds,
        "stages_s": report.stages,
        "reingest_s": again.seconds,
        "reingest_embedded_chunks": again.chunks,
        "store_bytes": sum(p.stat().st_size for p in Path(args.store).rglob("*") if p.is_file()),
        "peak_rss_bytes": _peak_rss(),
    }


def _kernel(embedder) -> str:
    if embedder.backend == "torch":
        return "torch" + (" bf16 autocast" if embedder.bf16 else "")
    from index.onnx_embedding import cpu_kernels

    return f"MLAS {cpu_kernels()[embedder.variant]}"


def serve(args: argparse.Namespace) -> dict:
    """Retrieval latencies, answer-recall@5, then answer latencies with the LLM, in one serving process."""
    from evals.retrieval import answer_hit  # one definition of answer-recall for bench and evals
    from qa import Assistant

    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    assistant = Assistant(args.store, model=args.model)
    started = time.perf_counter()
    assistant.retrieve("warm up")
    first_retrieve = time.perf_counter() - started
    retriever = assistant.retriever()  # the serving indexes themselves: a second copy would inflate peak RSS
    candidates = assistant.config.candidates
    timed = questions[: args.latency_questions]
    latency = {
        "bm25": _times(lambda q: retriever.lexical.search(q["question"], candidates), timed),
        "dense": _times(lambda q: retriever.dense.retrieve(q["question"]), timed),
        "hybrid": _times(lambda q: assistant.retrieve(q["question"], as_of=q["date"]), timed),
    }

    stored = {a.url for a in assistant.articles()}
    answerable = [q for q in questions if q["answer_in_corpus"] and stored & set(q["answer_urls"])]
    url_hits = text_hits = 0
    for q in answerable:
        passages = assistant.retrieve(q["question"], as_of=q["date"], top_k=5)
        url_hits += any(p.url in q["answer_urls"] for p in passages)
        text_hits += any(answer_hit(p, q["answer"]) for p in passages)

    result = {
        "first_retrieve_s": first_retrieve,
        "latency_questions": len(timed),
        "retrieval_ms": {k: _percentiles(v, (50, 95, 99)) for k, v in latency.items()},
        "recall_questions": len(answerable),
        "article_recall_at_5": url_hits / len(answerable) if answerable else None,
        "answer_recall_at_5": text_hits / len(answerable) if answerable else None,
    }
    if args.answers:
        result["answers"] = _answer_latency(assistant, answerable or questions, args.answers)
    result["peak_rss_bytes"] = _peak_rss()
    return result


def rankers(args: argparse.Namespace) -> dict:
    """BM25 alone (frozen), dense alone and the hybrid side by side over the stored articles, on one
    split's answerable questions whose answer articles are stored: ``newsqa eval retrieval``'s own
    comparison, in a process of its own (three indexes would inflate serving's peak RSS)."""
    from evals.reading import split
    from evals.retrieval import answerable, compare, summarise
    from evals.rtqa import load_folder
    from qa import Assistant, Config

    data = args.questions.parent
    every = load_folder(data)
    stored = {a.url for a in Assistant(args.store, model="none").articles()}
    questions = [q for q in answerable(every if args.split == "all" else split(every, args.split), data)
                 if stored & set(q.answer_urls)]
    rows = compare(args.store, Config.from_env(), questions)
    return {"split": args.split, "questions": len(questions), "summary": {n: summarise(r) for n, r in rows.items()}}


def _answer_latency(assistant, questions: list[dict], n: int) -> dict:
    """Extract mode over every question; the default mode (extractive answer first, then the
    model's verified one) over the first ``n``."""
    started = time.perf_counter()
    llm = assistant.llm
    model_load = time.perf_counter() - started
    first = _note_first_piece(llm)
    extract = _times(lambda q: assistant.ask(q["question"], as_of=q["date"], mode="extract"), questions)
    first_token, first_sentence, full, cited = [], [], [], 0
    for q in questions[:n]:
        first.clear()
        started, shown = time.perf_counter(), None
        for answer in assistant.ask_stream(q["question"], as_of=q["date"], mode="default"):
            if shown is None and not answer.abstained:
                shown = time.perf_counter() - started
        full.append(time.perf_counter() - started)
        if shown is not None:
            first_sentence.append(shown)
        cited += not answer.abstained
        if first:
            first_token.append(first[0] - started)
    return {
        "model": llm.name,
        "model_load_s": model_load,
        "extract_ms": _percentiles(extract, (50, 95)),
        "extract_questions": len(questions),
        "default_questions": len(full),
        "default_cited": cited,
        "default_ms": _percentiles(full, (50, 95)),
        "first_token_ms": _percentiles(first_token, (50, 95)),
        "first_text_ms": _percentiles(first_sentence, (50, 95)),
    }


def _note_first_piece(llm) -> list[float]:
    """Make ``llm.stream`` append the time of its first text piece to the returned list.

    The instance's own method is wrapped (not the model in a proxy), so the answer path sees
    the same model class and runs its judge as in production.
    """
    first: list[float] = []
    stream = llm.stream

    def noting(messages, max_tokens: int, stop: list[str] | None = None, schema: dict | None = None,
               tokens: list | None = None) -> Iterator[str]:
        for piece in stream(messages, max_tokens, stop, schema, tokens):
            if not first:
                first.append(time.perf_counter())
            yield piece

    llm.stream = noting
    return first


def _times(call, items: list) -> list[float]:
    out = []
    for item in items:
        started = time.perf_counter()
        call(item)
        out.append(time.perf_counter() - started)
    return out


def _percentiles(seconds: list[float], ps: tuple[int, ...]) -> dict[str, float | None]:
    if not seconds:
        return {f"p{p}": None for p in ps}
    return {f"p{p}": float(np.percentile(seconds, p)) * 1000 for p in ps}


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
