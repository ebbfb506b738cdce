"""A BM25 index derived from the Chroma collection, cached on disk beside it.

It is rebuilt whenever the collection's chunk ids change, so every client of a shared
collection sees the same lexical index, and a crash can never leave the two disagreeing.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .store import Store, embedding_input


@dataclass
class LexicalIndex:
    """bm25s over ``title + chunk text``, with per-chunk arrays used as query-time filters."""

    bm25: object
    ids: list[str]
    days: np.ndarray
    sites: np.ndarray
    fingerprint: str

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


def _tokenize(texts: list[str]):
    import bm25s
    import Stemmer

    return bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False)


def _fingerprint(ids: list[str]) -> str:
    h = hashlib.sha256()
    for i in sorted(ids):
        h.update(i.encode())
        h.update(b"\0")
    return h.hexdigest()[:24]


def load_lexical(store: Store, cache_dir: Path) -> LexicalIndex:
    """The BM25 index for the store's current chunks: from the cache when it is current, else rebuilt."""
    with _lock:
        ids = [cid for cid, _, _ in store.iter_chunks([])]
        fp = _fingerprint(ids)
        stamp = cache_dir / "fingerprint.json"
        if stamp.exists() and json.loads(stamp.read_text()).get("fingerprint") == fp:
            return _load(cache_dir, fp)
        return _build(store, cache_dir, fp)


def _build(store: Store, cache_dir: Path, fp: str) -> LexicalIndex:
    import bm25s

    ids, texts, days, sites = [], [], [], []
    for cid, doc, meta in store.iter_chunks(["documents", "metadatas"]):
        ids.append(cid)
        texts.append(embedding_input(meta["title"], doc))
        days.append(meta["published_day"])
        sites.append(meta["site"])
    bm25 = bm25s.BM25()
    if ids:
        bm25.index(_tokenize(texts), show_progress=False)
    index = LexicalIndex(bm25, ids, np.array(days, dtype=np.int64), np.array(sites, dtype=object), fp)
    # Write to a fresh folder and swap it in, so a reader never sees a half-written index.
    tmp = cache_dir.with_name(cache_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if ids:
        bm25.save(str(tmp / "bm25"))
    np.savez(tmp / "arrays.npz", days=index.days, sites=index.sites.astype(str))
    (tmp / "ids.json").write_text(json.dumps(ids))
    (tmp / "fingerprint.json").write_text(json.dumps({"fingerprint": fp}))
    shutil.rmtree(cache_dir, ignore_errors=True)
    tmp.rename(cache_dir)
    return index


def _load(cache_dir: Path, fp: str) -> LexicalIndex:
    import bm25s

    ids = json.loads((cache_dir / "ids.json").read_text())
    arrays = np.load(cache_dir / "arrays.npz")
    bm25 = bm25s.BM25.load(str(cache_dir / "bm25")) if ids else bm25s.BM25()
    return LexicalIndex(bm25, ids, arrays["days"], arrays["sites"].astype(object), fp)
