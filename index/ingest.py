"""load → clean → chunk → embed → store, incrementally: unchanged articles cost nothing."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable, Iterable

from .chunking import chunk_article
from .embedding import MAX_WORDPIECES, Embedder, Tokenizer
from .lexical import load_lexical
from .loading import load_paths
from .models import Article, Chunk, IngestReport, LoadIssue
from .store import Store, chunk_id, chunk_metadata, embedding_input

# Chunks embedded and written per step: big enough for efficient batches, small enough
# that a kill mid-ingest loses little work.
BATCH_CHUNKS = 256


def store_settings(embedder: Embedder, chunk_tokens: int, overlap: int) -> dict[str, str | int]:
    """What a store must have been built with for its vectors to be comparable."""
    return {"embedding_model": embedder.name, "chunk_tokens": chunk_tokens, "overlap_sentences": overlap}


def ingest(
    paths: Iterable[str | Path],
    store: Store,
    embedder: Embedder,
    tokenizer: Tokenizer,
    lexical_dir: Path,
    *,
    chunk_tokens: int = 200,
    overlap: int = 1,
    limit: int | None = None,
    max_file_bytes: int = 64 * 1024 * 1024,
    progress: bool = True,
    on_issue: Callable[[LoadIssue], None] | None = None,
) -> IngestReport:
    """Ingest files/folders into ``store``; report articles, chunks, skipped, replaced, rejected."""
    from tqdm import tqdm

    started = time.perf_counter()
    store.ensure_compatible(store_settings(embedder, chunk_tokens, overlap))
    report = IngestReport()
    known = {m["article_id"]: m["text_hash"] for _, _, m in store.iter_chunks(["metadatas"], where={"chunk_index": 0})}
    seen: set[str] = set()
    batch: list[tuple[Article, list[Chunk]]] = []
    bar = tqdm(total=limit, unit=" articles", file=sys.stderr, disable=not progress, dynamic_ncols=True)
    for item in load_paths(paths, limit=limit, max_file_bytes=max_file_bytes):
        if isinstance(item, LoadIssue):
            report.issues.append(item)
            report.rejected += item.fatal
            if on_issue:
                on_issue(item)
            else:
                tqdm.write(str(item), file=sys.stderr)  # above the bar, not through it
            continue
        bar.update(1)
        if item.id in seen or known.get(item.id) == item.text_hash:
            report.skipped += 1
            continue
        seen.add(item.id)
        title_tokens = tokenizer.count([item.title])[0] + 1 if item.title else 0
        budget = max(32, min(chunk_tokens, MAX_WORDPIECES - 2 - title_tokens))
        chunks = chunk_article(item, tokenizer, budget, overlap)
        report.replaced += item.id in known
        batch.append((item, chunks))
        if sum(len(c) for _, c in batch) >= BATCH_CHUNKS:
            _flush(store, embedder, batch, known, report)
    _flush(store, embedder, batch, known, report)
    bar.close()
    if report.articles or not lexical_dir.exists():
        load_lexical(store, lexical_dir)
    report.seconds = time.perf_counter() - started
    return report


def _flush(store: Store, embedder: Embedder, batch: list[tuple[Article, list[Chunk]]], known: dict[str, str], report: IngestReport) -> None:
    """Embed and store whole articles, then drop the superseded chunks of replaced ones."""
    if not batch:
        return
    ids, docs, metas, inputs = [], [], [], []
    for article, chunks in batch:
        for c in chunks:
            ids.append(chunk_id(article, c))
            docs.append(c.text)
            metas.append(chunk_metadata(article, c, len(chunks)))
            inputs.append(embedding_input(article.title, c.text))
    vectors = embedder.embed(inputs)
    store.add(ids, vectors, docs, metas)
    fresh = set(ids)
    for article, _ in batch:
        if article.id in known:
            store.delete([cid for cid in store.chunk_ids(article.id) if cid not in fresh])
        known[article.id] = article.text_hash
    report.articles += len(batch)
    report.chunks += len(ids)
    batch.clear()
