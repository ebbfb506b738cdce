"""A BM25 index derived from the Chroma collection, cached on disk beside it.

It is rebuilt whenever the collection's chunk ids change, or their dates and sites are
rewritten in place (a corrected date re-ingested), so every client of a shared
collection sees the same lexical index, and a crash can never leave the two disagreeing.
Each version lives in a folder named by its fingerprint, written elsewhere and renamed into
place whole, so processes sharing a store never read one that is half-written.
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy as np

from .store import Store, embedding_input, parse_chunk_id


@dataclass
class LexicalIndex:
    """bm25s over ``title + chunk text``, with per-chunk arrays used as query-time filters."""

    bm25: object
    ids: list[str]
    days: np.ndarray
    sites: np.ndarray
    fingerprint: str

    @cached_property
    def rows(self) -> dict[str, int]:
        """Row of each chunk id in the per-chunk arrays."""
        return {cid: i for i, cid in enumerate(self.ids)}

    @cached_property
    def articles(self) -> np.ndarray:
        """Article id of each chunk, read from the chunk ids."""
        return np.array([parse_chunk_id(cid)[0] for cid in self.ids], dtype=object)

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Top-``k`` ``(chunk_id, score)`` with a positive score, among chunks where ``mask`` is true."""
        if not self.ids:
            return []
        tokens = _tokenize([query])
        if not tokens.vocab:
            return []
        k = min(k, len(self.ids))
        docs, scores = self.bm25.retrieve(tokens, k=k, weight_mask=None if mask is None else mask.astype(np.float32), show_progress=False)
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]


_lock = threading.Lock()
# Cache folders unused for this long are pruned; younger ones may still be read by another process.
_PRUNE_AFTER_S = 60


@cache
def _stemmer():
    # Built once: a query pays for tokenising, not for a new stemmer (PyStemmer holds the GIL while stemming).
    import Stemmer

    return Stemmer.Stemmer("english")


def _tokenize(texts: list[str]):
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)


def _fingerprint(ids: list[str], described: str) -> str:
    """The chunk ids, and the token of the last in-place metadata rewrite (none: the ids alone)."""
    h = hashlib.sha256()
    for i in sorted(ids):
        h.update(i.encode())
        h.update(b"\0")
    h.update(described.encode())
    return h.hexdigest()[:24]


def load_lexical(store: Store, cache_dir: Path) -> LexicalIndex:
    """The BM25 index for the store's current chunks: from the cache when it is current, else rebuilt."""
    with _lock:
        described = store.metadata_version()
        fp = _fingerprint([cid for cid, _, _ in store.iter_chunks([])], described)
        try:
            return _load(cache_dir / fp, fp)
        except (OSError, ValueError, KeyError):  # absent, or pruned by another process meanwhile
            pass
        index = _build(store, described)
        _save(index, cache_dir)
        return index


def _build(store: Store, described: str) -> LexicalIndex:
    import bm25s

    ids, texts, days, sites = [], [], [], []
    for cid, doc, meta in store.iter_chunks(["documents", "metadatas"]):
        ids.append(cid)
        texts.append(embedding_input(meta["title"], doc))
        days.append(meta["published_day"])
        sites.append(meta["site"])
    bm25 = bm25s.BM25()
    # bm25s sets its own logger to DEBUG: once anything configures the root logger (the ONNX
    # export on a first run does), every build would print "Building index from IDs objects".
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    if ids:
        bm25.index(_tokenize(texts), show_progress=False)
    # Fingerprinted by what was read, which an ingest running meanwhile may have changed.
    return LexicalIndex(bm25, ids, np.array(days, dtype=np.int64), np.array(sites, dtype=object),
                        _fingerprint(ids, described))


def _save(index: LexicalIndex, cache_dir: Path) -> None:
    """Write to a private folder, rename it to the fingerprint, prune stale versions."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=cache_dir))
    if index.ids:
        index.bm25.save(str(tmp / "bm25"))
    np.savez(tmp / "arrays.npz", days=index.days, sites=index.sites.astype(str))
    (tmp / "ids.json").write_text(json.dumps(index.ids))
    try:
        tmp.rename(cache_dir / index.fingerprint)
    except OSError:  # another process saved the same version first
        shutil.rmtree(tmp, ignore_errors=True)
    for entry in cache_dir.iterdir():
        try:
            if entry.name != index.fingerprint and time.time() - entry.stat().st_mtime > _PRUNE_AFTER_S:
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        except OSError:  # pruned by another process meanwhile
            pass


def _load(folder: Path, fp: str) -> LexicalIndex:
    import bm25s

    ids = json.loads((folder / "ids.json").read_text())
    arrays = np.load(folder / "arrays.npz")
    bm25 = bm25s.BM25.load(str(folder / "bm25")) if ids else bm25s.BM25()
    return LexicalIndex(bm25, ids, arrays["days"], arrays["sites"].astype(object), fp)
