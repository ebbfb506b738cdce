"""The persistent Chroma collection of chunks: the single source of truth of a store.

Article-level facts (title, url, dates, text hash) ride on every chunk's metadata, so
there is no second table that could drift from the vectors.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
import uuid
from collections import defaultdict
from functools import cached_property
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

import numpy as np

from .models import Article, Chunk, Feed, StoredArticle, StoreMismatch

COLLECTION = "newsqa_chunks"
# A reindex fills a collection aside, then swaps it in by two renames (see Store.swap_in).
REBUILT = f"{COLLECTION}_rebuilt"
REPLACED = f"{COLLECTION}_replaced"
FEEDS = "newsqa_feeds"
# Chroma stores a vector with every record; a feed needs none, so each gets this constant one.
_NO_VECTOR = [1.0]


def day_number(d: dt.date | None) -> int:
    """Dates as YYYYMMDD integers so Chroma can range-filter them; 0 means unknown."""
    return d.year * 10000 + d.month * 100 + d.day if d else 0


def day_from_number(n: int) -> dt.date | None:
    return dt.date(n // 10000, n // 100 % 100, n % 100) if n else None


def chunk_id(article: Article, chunk: Chunk) -> str:
    # The text hash in the id lets a changed article's new chunks coexist with the old ones
    # until the old ones are deleted, so a crash never leaves the article missing.
    return f"{article.id}@{article.text_hash}#{chunk.index}"


def parse_chunk_id(cid: str) -> tuple[str, str, int]:
    """``(article_id, text_hash, chunk_index)`` of a :func:`chunk_id` (article ids may hold ``@`` and ``#``)."""
    rest, _, index = cid.rpartition("#")
    article_id, _, text_hash = rest.rpartition("@")
    return article_id, text_hash, int(index)


def article_metadata(article: Article) -> dict:
    """What every chunk's metadata says of its article."""
    return {
        "article_id": article.id,
        "title": article.title,
        "url": article.url,
        "site": urlparse(article.url).netloc.lower().removeprefix("www.") if article.url else "",
        "authors": "; ".join(article.authors),
        "published_day": day_number(article.published),
        "source": article.source,
        "text_hash": article.text_hash,
    }


def chunk_metadata(article: Article, chunk: Chunk, n_chunks: int) -> dict:
    return {
        **article_metadata(article),
        "chunk_index": chunk.index,
        "n_chunks": n_chunks,
        "start": chunk.start,
        "end": chunk.end,
    }


def embedding_input(title: str, text: str) -> str:
    """What gets embedded and BM25-indexed: the headline travels with every chunk."""
    return f"{title}\n{text}" if title else text


class Store:
    """A Chroma collection on disk (or on a Chroma server when ``chroma_url`` is set)."""

    def __init__(self, path: Path | str, chroma_url: str = "") -> None:
        import chromadb
        from chromadb.config import Settings

        self.path = Path(path)
        settings = Settings(anonymized_telemetry=False)
        if chroma_url:
            u = urlparse(chroma_url)
            self.client = chromadb.HttpClient(host=u.hostname, port=u.port or 8000, ssl=u.scheme == "https", settings=settings)
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            self.client = chromadb.PersistentClient(path=str(self.path / "chroma"), settings=settings)
        self._finish_swap()
        self.collection = self.client.get_or_create_collection(COLLECTION, metadata={"hnsw:space": "cosine"})

    def settings(self) -> dict[str, str | int] | None:
        """The embedder/chunker settings the store was built with (None before its first ingest)."""
        meta = self.collection.metadata or {}
        if "newsqa_settings" not in meta:
            return None
        # Stores from before the variant was recorded were all embedded in fp32.
        return {"embedding_variant": "fp32", **json.loads(meta["newsqa_settings"])}

    def ensure_compatible(self, settings: dict[str, str | int]) -> None:
        """Record the embedder/chunker settings on first use; refuse to mix in other ones later."""
        recorded = self.settings()
        if recorded is None:
            if self.collection.count():
                raise StoreMismatch(f"store {self.path} holds chunks from an unknown embedder; ingest into a new store")
            meta = dict(self.collection.metadata or {})
            meta.pop("hnsw:space", None)  # immutable once set; Chroma refuses to "modify" it
            self.collection.modify(metadata={**meta, "newsqa_settings": json.dumps(settings, sort_keys=True)})
        elif recorded.get("embedding_variant") != settings.get("embedding_variant"):
            raise StoreMismatch(
                f"store {self.path} holds {recorded['embedding_variant']} embeddings, not "
                f"{settings['embedding_variant']}: run `newsqa reindex` to re-embed it "
                f"(or set NEWSQA_EMBED_VARIANT={recorded['embedding_variant']})"
            )
        elif recorded != settings:
            raise StoreMismatch(
                f"store {self.path} was built with {recorded}, not {settings}: "
                "use another --store, or remove this one and ingest again"
            )

    def count(self) -> int:
        return self.collection.count()

    def rebuild_aside(self, settings: dict[str, str | int]):
        """An empty collection beside the store's, recording ``settings``, for :meth:`swap_in`
        (what a killed rebuild left there is dropped: it starts over)."""
        if REBUILT in self._collection_names():
            self.client.delete_collection(REBUILT)
        return self.client.create_collection(REBUILT, metadata={"hnsw:space": "cosine",
                                                                "newsqa_settings": json.dumps(settings, sort_keys=True)})

    def add_aside(self, collection, ids: list[str], vectors: np.ndarray, documents: list[str], metadatas: list[dict]) -> None:
        """Copy chunks into the collection being rebuilt, as they are but for their vectors."""
        for start in range(0, len(ids), self.max_batch):
            end = start + self.max_batch
            collection.add(ids=ids[start:end], embeddings=vectors[start:end], documents=documents[start:end],
                           metadatas=metadatas[start:end])

    def swap_in(self, rebuilt) -> None:
        """Make a fully rebuilt collection the store's. Each rename is atomic in Chroma; a kill between
        them leaves the old collection under ``REPLACED``, put back when the store is next opened."""
        self.collection.modify(name=REPLACED)
        rebuilt.modify(name=COLLECTION)
        self.client.delete_collection(REPLACED)
        self.collection = rebuilt
        self._touch()

    def _finish_swap(self) -> None:
        """Complete or undo a swap a kill interrupted: the store is then the new collection or the old one, whole."""
        names = self._collection_names()
        if REPLACED in names:
            if COLLECTION in names:  # killed after both renames: only the old copy is left to drop
                self.client.delete_collection(REPLACED)
            else:  # killed between them: the old collection, whole, becomes the store's again
                self.client.get_collection(REPLACED).modify(name=COLLECTION)
                if REBUILT in names:
                    self.client.delete_collection(REBUILT)

    def _collection_names(self) -> set[str]:
        return {c.name for c in self.client.list_collections()}

    @cached_property
    def feeds(self) -> FeedList:
        """The followed feeds, kept beside the chunks (and shared with a Chroma server's other clients)."""
        return FeedList(self.client)

    def version(self) -> str:
        """A token that changes whenever any client adds, deletes or rewrites chunks (read fresh from Chroma)."""
        return self._token("newsqa_version")

    def metadata_version(self) -> str:
        """A token that changes whenever stored chunks' metadata is rewritten in place ("" if never)."""
        return self._token("newsqa_described")

    def _token(self, key: str) -> str:
        return str((self.client.get_collection(COLLECTION).metadata or {}).get(key, ""))

    def _touch(self, described: bool = False) -> None:
        # Other clients of a shared server compare this token to know their BM25 index is stale.
        meta = dict(self.client.get_collection(COLLECTION).metadata or {})
        meta.pop("hnsw:space", None)  # immutable once set; Chroma refuses to "modify" it
        meta["newsqa_version"] = uuid.uuid4().hex
        if described:  # BM25 keeps each chunk's date and site: its cached copy is stale too
            meta["newsqa_described"] = uuid.uuid4().hex
        self.collection.modify(metadata=meta)

    def add(self, ids: list[str], vectors: np.ndarray, documents: list[str], metadatas: list[dict]) -> None:
        """Add chunks stamped with the time, so that :meth:`repair` can tell versions apart.

        Chroma applies one call as a unit; a batch over its limit takes several calls, and if
        one fails the earlier ones are taken back (a crash between them is left to ``repair``).
        """
        stamp = time.time_ns()
        metadatas = [{**m, "added": stamp} for m in metadatas]
        step, start = self.max_batch, 0
        try:
            for start in range(0, len(ids), step):
                end = start + step
                self.collection.add(ids=ids[start:end], embeddings=vectors[start:end],
                                    documents=documents[start:end], metadatas=metadatas[start:end])
        except Exception:
            self.delete(ids[:start])
            raise
        self._touch()

    def describe(self, article: Article) -> None:
        """Give the stored chunks of ``article`` (same text) its metadata: a corrected date or byline."""
        got = self.collection.get(ids=self.chunk_ids(article.id), include=["metadatas"])
        fields = article_metadata(article)
        self.collection.update(ids=got["ids"], metadatas=[{**m, **fields} for m in got["metadatas"]])
        self._touch(described=True)

    def delete(self, ids: list[str]) -> None:
        for i in range(0, len(ids), self.max_batch):
            self.collection.delete(ids=ids[i:i + self.max_batch])
        if ids:
            self._touch()

    @cached_property
    def max_batch(self) -> int:
        """The most records Chroma takes in one call (5461 for a local store)."""
        return self.client.get_max_batch_size()

    def repair(self) -> int:
        """Undo what an interrupted ingest can leave: keep each article's newest complete version.

        A version (article id + text hash) is complete when it holds chunks 0..n-1; incomplete
        versions, and older complete ones (an ingest killed between adding an article's new
        chunks and deleting its old ones), are deleted. Returns the number of chunks deleted.
        Ids carry the version and index, so only first chunks' metadata is read (10x faster).
        """
        versions: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        for cid, _, _ in self.iter_chunks([]):
            article, text_hash, index = parse_chunk_id(cid)
            versions[article, text_hash].append((index, cid))
        heads = {(m["article_id"], m["text_hash"]): m for _, _, m in self.iter_chunks(["metadatas"], where={"chunk_index": 0})}
        newest: dict[str, tuple[int, str]] = {}
        for (article, text_hash), chunks in versions.items():
            head = heads.get((article, text_hash))
            added = head.get("added", 0) if head else 0  # stores from before stamps: 0
            complete = head is not None and sorted(i for i, _ in chunks) == list(range(head["n_chunks"]))
            if complete and added >= newest.get(article, (-1, ""))[0]:
                newest[article] = (added, text_hash)
        stale = [cid for (article, text_hash), chunks in versions.items()
                 if newest.get(article, (0, ""))[1] != text_hash for _, cid in chunks]
        self.delete(stale)
        return len(stale)

    def iter_chunks(self, include: list[str], where: dict | None = None, page: int = 5000) -> Iterator[tuple[str, str | None, dict]]:
        """Every matching chunk as ``(id, document, metadata)``, paged."""
        offset = 0
        while True:
            got = self.collection.get(where=where, include=include, limit=page, offset=offset)
            docs = got.get("documents") or [None] * len(got["ids"])
            metas = got.get("metadatas") or [{}] * len(got["ids"])
            yield from zip(got["ids"], docs, metas)
            if len(got["ids"]) < page:
                return
            offset += page

    def chunk_ids(self, article_id: str) -> list[str]:
        return [cid for cid, _, _ in self.iter_chunks([], where={"article_id": article_id})]

    def get(self, ids: list[str]) -> dict[str, tuple[str, dict]]:
        """Documents and metadata of the given chunk ids (missing ids are absent)."""
        if not ids:
            return {}
        got = self.collection.get(ids=ids, include=["documents", "metadatas"])
        return {i: (d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}

    def nearest(self, vector: np.ndarray, k: int, ids: list[str] | None = None) -> list[tuple[str, float]]:
        """The ``k`` chunks (among ``ids``, if given) nearest a unit vector, as ``(id, cosine)``, best first.

        Only ids and distances are asked for: hydrating documents and metadata is what makes a
        wide Chroma query slow (1,000 results in 7 ms this way, 66 ms with metadata, on 59k chunks).
        """
        got = self.collection.query(query_embeddings=[vector], n_results=k, ids=ids, include=["distances"])
        return [(cid, 1.0 - d) for cid, d in zip(got["ids"][0], got["distances"][0])]

    def vectors(self, ids: list[str]) -> tuple[list[str], np.ndarray]:
        """The stored embeddings of the given chunk ids (missing ids are absent), as ids and a matrix."""
        got = self.collection.get(ids=ids, include=["embeddings"])
        return got["ids"], np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1)

    def articles(self) -> list[StoredArticle]:
        """One entry per stored article, from its first chunk's metadata."""
        found = {}
        for _, _, m in self.iter_chunks(["metadatas"], where={"chunk_index": 0}):
            found[m["article_id"]] = StoredArticle(
                m["article_id"], m["title"], m["url"], day_from_number(m["published_day"]),
                m["n_chunks"], m["text_hash"], m["source"],
            )
        return sorted(found.values(), key=lambda a: (a.published or dt.date.min, a.title), reverse=True)

    def remove(self, key: str) -> int:
        """Delete the article whose id or URL is ``key``; returns the number of chunks removed."""
        ids = self.chunk_ids(key) or [cid for cid, _, _ in self.iter_chunks([], where={"url": key})]
        self.delete(ids)
        return len(ids)


class FeedList:
    """Followed feeds, one record each in a collection of their own.

    Not in the chunk collection's metadata, which every add rewrites read-modify-write: a refresh
    writes only its own feeds' records, so clients of one Chroma server do not undo each other.
    A record's document holds the feed's ``seen`` entries as JSON; the rest is metadata.
    """

    def __init__(self, client) -> None:
        self.collection = client.get_or_create_collection(FEEDS, embedding_function=None)

    def all(self) -> list[Feed]:
        got = self.collection.get(include=["documents", "metadatas"])
        feeds = [Feed(seen=json.loads(doc or "{}"), **meta) for doc, meta in zip(got["documents"], got["metadatas"])]
        return sorted(feeds, key=lambda f: f.url)

    def add(self, feeds: list[Feed]) -> list[Feed]:
        """Follow the feeds not followed yet; returns those added."""
        known = self._followed(feeds)
        new = list({f.url: f for f in feeds if f.url not in known}.values())
        if new:
            self.collection.add(**self._records(new))
        return new

    def update(self, feeds: list[Feed]) -> None:
        """Record a refresh's outcome for the feeds still followed (one removed meanwhile stays removed)."""
        known = self._followed(feeds)
        if kept := [f for f in feeds if f.url in known]:
            self.collection.upsert(**self._records(kept))

    def remove(self, url: str) -> bool:
        if not self.collection.get(ids=[url], include=[])["ids"]:
            return False
        self.collection.delete(ids=[url])
        return True

    def _followed(self, feeds: list[Feed]) -> set[str]:
        return set(self.collection.get(ids=[f.url for f in feeds], include=[])["ids"]) if feeds else set()

    @staticmethod
    def _records(feeds: list[Feed]) -> dict:
        return {"ids": [f.url for f in feeds], "embeddings": [_NO_VECTOR] * len(feeds),
                "documents": [json.dumps(f.seen, sort_keys=True) for f in feeds],
                "metadatas": [{k: v for k, v in dataclasses.asdict(f).items() if k != "seen"} for f in feeds]}
