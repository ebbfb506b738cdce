"""Hybrid retrieval through llama-index: BM25 and dense candidates, fused (``fusion``), diversity."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.vector_stores import FilterCondition, FilterOperator, MetadataFilter, MetadataFilters
from llama_index.vector_stores.chroma import ChromaVectorStore
from pydantic import PrivateAttr

from index.embedding import Embedder
from index.lexical import LexicalIndex
from index.store import Store, day_from_number, day_number, parse_chunk_id

from .fusion import LinearFusion, Ranking, rrf
from .types import Passage


class MiniLMEmbedding(BaseEmbedding):
    """llama-index adapter over the packaged MiniLM :class:`Embedder`."""

    _embedder: Embedder = PrivateAttr()

    def __init__(self, embedder: Embedder, **kwargs: Any) -> None:
        super().__init__(model_name=embedder.name, **kwargs)
        self._embedder = embedder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed([query])[0].tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


@dataclass(frozen=True)
class Filters:
    """Restrictions on what may be retrieved: publication window, sites (domains), articles (ids).

    Undated articles (day 0) pass both date bounds: they are kept and labelled "date unknown".
    """

    as_of: dt.date | None = None
    sites: tuple[str, ...] = ()
    since: dt.date | None = None
    articles: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.as_of or self.since or self.sites or self.articles)

    def admits(self, meta: dict[str, Any]) -> bool:
        """Whether a chunk with this metadata passes (the same rule as the Chroma filter and the BM25 mask)."""
        day = meta["published_day"]
        return ((not self.as_of or day <= day_number(self.as_of))
                and (not self.since or day == 0 or day >= day_number(self.since))
                and (not self.sites or meta.get("site") in self.sites)
                and (not self.articles or meta.get("article_id") in self.articles))


# Dense retrieval under a filter, measured on the whole RealTime QA corpus (59k chunks): a Chroma
# query with its own metadata filter costs 216 ms; unfiltered, asking for ids and distances only,
# 2 ms for 30 results and 3 ms for 300; restricted to given ids, 9-14 ms for 1,000-8,000 ids but
# 40 ms for 100 (the sparser the allow-list, the slower), while fetching 100-600 stored vectors
# and ranking them exactly costs 2.5-12 ms. So when at least 1/OVERFETCH of the chunks pass, the
# nearest OVERFETCH x candidates are filtered here (for every dated benchmark question the 30th
# passing chunk ranked 139th or better); when fewer pass, up to EXACT_MAX are ranked exactly,
# more by an id-restricted query.
OVERFETCH = 10
EXACT_MAX = 800


@lru_cache(maxsize=1)
def _fetcher() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="newsqa-vectors")


class HybridRetriever(BaseRetriever):
    """BM25 + dense candidates fused by a fitted linear score (``fusion``) or by weighted reciprocal
    rank, at most N chunks per article."""

    def __init__(self, store: Store, lexical: LexicalIndex, embedder: Embedder, *, filters: Filters = Filters(),
                 top_k: int = 4, candidates: int = 30, max_per_article: int = 2,
                 bm25_weight: float = 1.0, dense_weight: float = 0.7, rrf_k: int = 60, current: bool = True,
                 fusion: LinearFusion | None = None) -> None:
        """``current``: whether ``lexical`` holds every stored chunk (not while an ingest adds some);
        ``fusion``: None fuses by rank (``bm25_weight``, ``dense_weight``, ``rrf_k``)."""
        super().__init__()
        self.store, self.lexical, self.embedder, self.filters = store, lexical, embedder, filters
        self.current, self.fusion = current, fusion
        self.top_k, self.candidates, self.max_per_article = top_k, candidates, max_per_article
        self.weights, self.rrf_k = (bm25_weight, dense_weight), rrf_k
        index = VectorStoreIndex.from_vector_store(ChromaVectorStore(chroma_collection=store.collection),
                                                   embed_model=MiniLMEmbedding(embedder))
        # Chroma's own filter: the reference the fast paths in _dense must equal.
        self.dense = index.as_retriever(similarity_top_k=candidates, filters=self._metadata_filters())
        self._plain = index.as_retriever(similarity_top_k=candidates) if filters else self.dense

    def _metadata_filters(self) -> MetadataFilters | None:
        found: list[MetadataFilter | MetadataFilters] = []
        if self.filters.as_of:
            found.append(MetadataFilter(key="published_day", value=day_number(self.filters.as_of), operator=FilterOperator.LTE))
        if self.filters.since:
            found.append(MetadataFilters(filters=[
                MetadataFilter(key="published_day", value=day_number(self.filters.since), operator=FilterOperator.GTE),
                MetadataFilter(key="published_day", value=0, operator=FilterOperator.EQ)], condition=FilterCondition.OR))
        if self.filters.sites:
            found.append(MetadataFilter(key="site", value=list(self.filters.sites), operator=FilterOperator.IN))
        if self.filters.articles:
            found.append(MetadataFilter(key="article_id", value=list(self.filters.articles), operator=FilterOperator.IN))
        return MetadataFilters(filters=found) if found else None

    def _lexical_mask(self) -> np.ndarray | None:
        mask = np.ones(len(self.lexical.ids), dtype=bool)
        if self.filters.as_of:
            mask &= self.lexical.days <= day_number(self.filters.as_of)
        if self.filters.since:
            mask &= (self.lexical.days >= day_number(self.filters.since)) | (self.lexical.days == 0)
        if self.filters.sites:
            mask &= np.isin(self.lexical.sites, list(self.filters.sites))
        if self.filters.articles:
            mask &= np.isin(self.lexical.articles, list(self.filters.articles))
        return None if mask.all() else mask

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        lexical, dense = self.candidates_of(query_bundle)
        fused = self.fusion.scores(lexical, dense, self.day_of) if self.fusion and lexical and dense \
            else rrf(lexical, dense, self.weights, self.rrf_k)
        return self._diverse_top(sorted(fused, key=fused.get, reverse=True), fused)

    def candidates_of(self, query: QueryBundle | str) -> tuple[Ranking, Ranking]:
        """The BM25 and the dense candidates that pass the filters, best first. A ranker weighted 0
        is not run: the other alone is the ranking (as evals compare them)."""
        query_bundle = QueryBundle(query) if isinstance(query, str) else query
        # No store.count() here: it costs 6 ms on 59k chunks, a sixth of a query.
        if self.current and not self.lexical.ids:
            return [], []
        mask = self._lexical_mask()
        bm25_weight, dense_weight = self.weights
        lexical = self.lexical.search(query_bundle.query_str, self.candidates, mask) if bm25_weight else []
        return lexical, self._dense(query_bundle, mask) if dense_weight else []

    def day_of(self, cid: str) -> int:
        """A chunk's publication date as an ordinal, 0 when unknown (or added since the BM25 index was built)."""
        row = self.lexical.rows.get(cid)
        day = day_from_number(int(self.lexical.days[row])) if row is not None else None
        return day.toordinal() if day else 0

    def passages(self, ids: list[str]) -> list[Passage]:
        """The stored chunks of these ids (those still stored), as passages."""
        return [to_passage(n) for n in self._nodes(ids, {})]

    def _nodes(self, ids: list[str], scores: dict[str, float]) -> list[NodeWithScore]:
        """The chunks of these ids that are still stored, fetched, in order."""
        found = self.store.get(ids)
        return [NodeWithScore(node=TextNode(id_=cid, text=found[cid][0], metadata=found[cid][1]), score=scores.get(cid))
                for cid in ids if cid in found]

    def _diverse_top(self, ordered: list[str], scores: dict[str, float]) -> list[NodeWithScore]:
        """The best ``top_k`` with at most ``max_per_article`` per article, texts fetched for them only.

        Article ids are read from the chunk ids; as many again are fetched in case some were
        removed since the lexical index was built.
        """
        per_article: Counter[str] = Counter()
        picks = []
        for cid in ordered:
            article = parse_chunk_id(cid)[0]
            if per_article[article] < self.max_per_article:
                per_article[article] += 1
                picks.append(cid)
                if len(picks) == 2 * self.top_k:
                    break
        return self._nodes(picks, scores)[: self.top_k]

    def _dense(self, query_bundle: QueryBundle, mask: np.ndarray | None) -> list[tuple[str, float]]:
        """The filtered dense top candidates as ``(chunk id, cosine)``, best first.

        When enough of the nearest neighbours pass, they are exactly the filtered top (nothing
        that passes ranks between them). Otherwise the filter is selective, and the chunks the
        BM25 mask admits are ranked among themselves, when that index holds every chunk (not
        during an ingest, whose new chunks only Chroma's own filter finds).
        """
        if not self.filters or (mask is None and self.current):
            return _pairs(self._plain.retrieve(query_bundle))
        admit = np.ones(len(self.lexical.ids), dtype=bool) if mask is None else mask
        selective = self.current and admit.sum() * OVERFETCH < len(admit)
        ids = self._ids(admit) if selective else []
        if selective and not ids:
            return []
        # A small admitted set's vectors do not depend on the question: fetched while it is encoded
        # (the fetch and the encoding take 13 ms each on the whole corpus; overlapped, 26 ms -> 21).
        stored = _fetcher().submit(self.store.vectors, ids) if 0 < len(ids) <= EXACT_MAX else None
        vector = self.embedder.embed([query_bundle.query_str])[0]
        if not selective:
            k = self.candidates * OVERFETCH
            ranked = self.store.nearest(vector, k)
            admitted = self._admitted(ranked, admit)
            if len(admitted) >= self.candidates or len(ranked) < k:
                return admitted[: self.candidates]
            if not self.current:
                return _pairs(self.dense.retrieve(query_bundle))
            ids = self._ids(admit)
        if len(ids) > EXACT_MAX:
            return self.store.nearest(vector, self.candidates, ids=ids)
        found, vectors = stored.result() if stored else self.store.vectors(ids)
        scores = vectors @ vector
        return [(found[i], float(scores[i])) for i in np.argsort(-scores)[: self.candidates]]

    def _ids(self, admit: np.ndarray) -> list[str]:
        return [self.lexical.ids[i] for i in np.flatnonzero(admit)]

    def _admitted(self, ranked: list[tuple[str, float]], admit: np.ndarray) -> list[tuple[str, float]]:
        """The ranked chunks that pass: by the BM25 mask, or for chunks added since it was built, by metadata."""
        rows = self.lexical.rows
        added = {cid: meta for cid, (_, meta) in self.store.get([cid for cid, _ in ranked if cid not in rows]).items()}
        return [(cid, score) for cid, score in ranked
                if (admit[rows[cid]] if cid in rows else cid in added and self.filters.admits(added[cid]))]


def _pairs(nodes: list[NodeWithScore]) -> list[tuple[str, float]]:
    return [(n.node.node_id, float(n.score or 0.0)) for n in nodes]


def to_passage(node: NodeWithScore) -> Passage:
    m = node.node.metadata
    return Passage(node.node.node_id, m["article_id"], m["title"], m["url"], day_from_number(m["published_day"]),
                   node.node.get_content(), m["start"], m["end"], float(node.score or 0.0), m.get("authors", ""))
