"""load → clean → chunk → embed → store, incrementally: unchanged articles cost nothing.

Three stages run at once so the embedder, the bottleneck, never waits: a thread loads, cleans
and chunks the next batch while the current one is embedded, and another writes the previous
batch to Chroma.
"""
from __future__ import annotations

import queue
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import numpy as np

from .chunking import chunk_article
from .embedding import MAX_WORDPIECES, Embedder, Tokenizer
from .lexical import load_lexical
from .models import Article, Chunk, IngestReport, LoadIssue
from .store import Store, article_metadata, chunk_id, chunk_metadata, embedding_input

# Chunks embedded and written per step: big enough for efficient batches, small enough
# that a kill mid-ingest loses little work.
BATCH_CHUNKS = 256

T = TypeVar("T")


def store_settings(embedder: Embedder, chunk_tokens: int, overlap: int) -> dict[str, str | int]:
    """What a store must have been built with for its vectors to be comparable: the model and its
    numeric variant (not the backend or CPU kernel, which give the same vectors) and the chunker."""
    return {"embedding_model": embedder.name, "embedding_variant": embedder.variant, "chunk_tokens": chunk_tokens,
            "overlap_sentences": overlap}


def article_chunks(article: Article, tokenizer: Tokenizer, chunk_tokens: int, overlap: int) -> list[Chunk]:
    """The article's chunks, sized so that headline + chunk fit the embedder unclipped."""
    title_tokens = tokenizer.count([article.title])[0] + 1 if article.title else 0
    budget = max(32, min(chunk_tokens, MAX_WORDPIECES - 2 - title_tokens))
    return chunk_article(article, tokenizer, budget, overlap)


@dataclass
class _Batch:
    """Whole articles' chunks, ready to embed, plus the bookkeeping of the articles read for it."""

    articles: list[Article] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    metas: list[dict] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    read: int = 0
    skipped: int = 0
    replaced: int = 0
    described: list[Article] = field(default_factory=list)  # same text, new date, byline or address
    vectors: np.ndarray | None = None


def ingest_records(
    records: Iterator[Article | LoadIssue],
    store: Store,
    embedder: Embedder,
    tokenizer: Tokenizer,
    lexical_dir: Path,
    *,
    chunk_tokens: int = 200,
    overlap: int = 1,
    total: int | None = None,
    progress: bool = True,
    on_issue: Callable[[LoadIssue], None] | None = None,
) -> IngestReport:
    """Ingest a stream of articles and load issues (files, fetched pages, feeds); ``total``: how many
    articles the progress bar expects, if known."""
    from tqdm import tqdm

    started = time.perf_counter()
    store.ensure_compatible(store_settings(embedder, chunk_tokens, overlap))
    store.repair()  # whatever a killed ingest left half-done, before deciding what is known
    report = IngestReport()
    heads = {m["article_id"]: m for _, _, m in store.iter_chunks(["metadatas"], where={"chunk_index": 0})}
    known = {article_id: m["text_hash"] for article_id, m in heads.items()}
    batches = _batches(records, heads, tokenizer, chunk_tokens, overlap, report.stages)
    # A context: an abort closes the bar first, so its message gets a line of its own.
    with tqdm(total=total, unit=" articles", file=sys.stderr, disable=not progress, dynamic_ncols=True) as bar, \
            ThreadPoolExecutor(1, thread_name_prefix="chroma-insert") as writer:
        writing: Future | None = None
        for item in _in_background(batches):
            if isinstance(item, LoadIssue):
                report.issues.append(item)
                report.rejected += item.fatal
                if on_issue:
                    on_issue(item)
                else:
                    tqdm.write(str(item), file=sys.stderr)  # above the bar, not through it
                continue
            bar.update(item.read)
            report.skipped += item.skipped
            report.replaced += item.replaced
            with _timed(report.stages, "embed"):
                item.vectors = embed_once(embedder, item.inputs)
            if writing:
                writing.result()  # one batch in flight: writes stay in order, errors surface here
            writing = writer.submit(_write, store, item, known, report)
        if writing:
            writing.result()
    if report.articles or report.updated or not lexical_dir.exists():  # BM25 keeps each chunk's date and site
        with _timed(report.stages, "bm25"):
            load_lexical(store, lexical_dir)
    report.seconds = time.perf_counter() - started
    return report


def _batches(items: Iterator[Article | LoadIssue], heads: dict[str, dict], tokenizer: Tokenizer,
             chunk_tokens: int, overlap: int, stages: dict[str, float]) -> Iterator[_Batch | LoadIssue]:
    """Load issues as they come, and batches of at least ``BATCH_CHUNKS`` chunks of new or changed articles
    (``heads``: the stored first chunks' metadata, by article id)."""
    seen: dict[str, str] = {}  # id -> text hash of its first article in this run
    batch = _Batch()
    while True:
        with _timed(stages, "load+clean"):
            item = next(items, None)
        if item is None:
            break
        if isinstance(item, LoadIssue):
            yield item
            continue
        if seen.get(item.id, item.text_hash) != item.text_hash:  # the first is kept: a rerun changes nothing
            yield LoadIssue(item.source, f"another article in this run has the same id {item.id}; the first one is kept")
            continue
        batch.read += 1
        stored = heads.get(item.id)
        first = item.id not in seen
        seen[item.id] = item.text_hash
        if not first or stored and stored["text_hash"] == item.text_hash:
            if first and _stale(stored, item):
                batch.described.append(item)  # no text to embed again: its metadata is rewritten
            else:
                batch.skipped += 1
            continue
        batch.replaced += stored is not None
        with _timed(stages, "chunk"):
            chunks = article_chunks(item, tokenizer, chunk_tokens, overlap)
            batch.articles.append(item)
            for c in chunks:
                batch.ids.append(chunk_id(item, c))
                batch.docs.append(c.text)
                batch.metas.append(chunk_metadata(item, c, len(chunks)))
                batch.inputs.append(embedding_input(item.title, c.text))
        if len(batch.ids) >= BATCH_CHUNKS:
            yield batch
            batch = _Batch()
    if batch.read:
        yield batch


def _stale(head: dict, article: Article) -> bool:
    """Whether a stored article's date, byline or address differs from the same text loaded now (not
    the file it came from: the same folder ingested by another path rewrites nothing)."""
    return any(head.get(key) != value for key, value in article_metadata(article).items() if key != "source")


def embed_once(embedder: Embedder, inputs: list[str]) -> np.ndarray:
    """Vectors of ``inputs``, each distinct text embedded once."""
    # Syndicated copies and boilerplate bodies repeat chunks verbatim: each is embedded once.
    unique = list(dict.fromkeys(inputs))
    vectors = embedder.embed(unique)
    if len(unique) == len(inputs):
        return vectors
    row = {text: i for i, text in enumerate(unique)}
    return vectors[[row[text] for text in inputs]]


def _write(store: Store, batch: _Batch, known: dict[str, str], report: IngestReport) -> None:
    """Store whole articles, then drop the superseded chunks of replaced ones."""
    with _timed(report.stages, "insert"):
        store.add(batch.ids, batch.vectors, batch.docs, batch.metas)
        fresh = set(batch.ids)
        for article in batch.articles:
            if article.id in known:
                store.delete([cid for cid in store.chunk_ids(article.id) if cid not in fresh])
            known[article.id] = article.text_hash
        for article in batch.described:
            store.describe(article)
    report.articles += len(batch.articles)
    report.updated += len(batch.described)
    report.chunks += len(batch.ids)


@contextmanager
def _timed(stages: dict[str, float], stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        stages[stage] = stages.get(stage, 0.0) + time.perf_counter() - started


_END = object()


@dataclass(frozen=True)
class _Failed:
    error: BaseException


def _in_background(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield ``items`` produced by a thread running up to ``depth`` items ahead; its errors re-raise here."""
    ready: queue.Queue = queue.Queue(depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():  # give up once the consumer has gone away
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_END)
        except BaseException as e:  # handed to the consumer, which re-raises it
            put(_Failed(e))

    thread = threading.Thread(target=produce, name="ingest-load", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()
