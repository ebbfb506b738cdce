"""Dense retrieval's fast paths return what Chroma's own metadata filter returns, on real articles."""
from __future__ import annotations

import datetime as dt
import gzip
import itertools
import json

import pytest

from conftest import RTQA, write_jsonl


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    """A store of 40 RealTime QA articles spread over their dates."""
    from qa import Assistant

    with gzip.open(RTQA / "articles.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in itertools.islice(f, 0, 4000, 100)]
    folder = tmp_path_factory.mktemp("dated")
    a = Assistant(folder / "store", model="none")
    a.ingest([write_jsonl(folder / "articles.jsonl", rows)])
    return a


QUESTIONS = ["Who won the election?", "How many people died in the storm?", "What did the company announce?"]


@pytest.mark.parametrize("exact_max", [None, 0], ids=["exact-ranking", "id-restricted-query"])
def test_dense_fast_paths_match_chromas_filter(dated, monkeypatch, exact_max):
    from llama_index.core.schema import QueryBundle

    from qa import retrieval
    from qa.retrieval import OVERFETCH, Filters, HybridRetriever

    if exact_max is not None:  # selective filters take the id-restricted Chroma query instead
        monkeypatch.setattr(retrieval, "EXACT_MAX", exact_max)
    days = sorted({a.published for a in dated.articles() if a.published})
    assert len(days) > 10
    candidates = 5
    lexical = dated.retriever().lexical
    selective = broad = 0
    for as_of, question in itertools.product(days[1::4] + [days[-1] + dt.timedelta(days=1)], QUESTIONS):
        r = HybridRetriever(dated._store, lexical, dated._embedder, filters=Filters(as_of=as_of), candidates=candidates)
        bundle = QueryBundle(question)
        expected = [n.node.node_id for n in r.dense.retrieve(bundle)]
        mask = r._lexical_mask()
        passing = len(lexical.ids) if mask is None else int(mask.sum())
        selective += passing * OVERFETCH < len(lexical.ids)
        broad += passing * OVERFETCH >= len(lexical.ids)
        for current in (True, False):  # False: as while an ingest adds chunks the BM25 index lacks
            r.current = current
            got = [cid for cid, _ in r._dense(bundle, mask)]
            assert set(got) == set(expected), (as_of, question, current)
    assert selective and broad, "both paths exercised"


def test_chunks_missing_from_the_bm25_index_are_filtered_by_metadata(dated):
    """While an ingest runs, dense hits the BM25 index lacks are admitted by their metadata."""
    from dataclasses import replace

    from llama_index.core.schema import QueryBundle

    from qa.retrieval import Filters, HybridRetriever

    full = dated.retriever().lexical
    older = replace(full, ids=full.ids[::2], days=full.days[::2], sites=full.sites[::2])
    as_of = sorted(a.published for a in dated.articles() if a.published)[-5]
    r = HybridRetriever(dated._store, older, dated._embedder, filters=Filters(as_of=as_of), candidates=5, current=False)
    bundle = QueryBundle(QUESTIONS[0])
    assert {cid for cid, _ in r._dense(bundle, r._lexical_mask())} == {n.node.node_id for n in r.dense.retrieve(bundle)}


def test_filters_admit_like_the_bm25_mask(dated):
    from qa.retrieval import Filters, HybridRetriever

    lexical = dated.retriever().lexical
    day = sorted(a.published for a in dated.articles() if a.published)[20]
    site = lexical.sites[0]
    metas = {cid: m for cid, _, m in dated._store.iter_chunks(["metadatas"])}
    article = dated.articles()[3].id
    for filters in (Filters(as_of=day), Filters(since=day), Filters(sites=(site,)), Filters(day, (site,), day),
                    Filters(articles=(article,))):
        mask = HybridRetriever(dated._store, lexical, dated._embedder, filters=filters)._lexical_mask()
        assert [filters.admits(metas[cid]) for cid in lexical.ids] == ([True] * len(lexical.ids) if mask is None else list(mask))


def test_only_the_given_articles_are_searched(dated):
    """``articles=`` restricts both retrievers to those articles, as Chroma's own filter does."""
    from llama_index.core.schema import QueryBundle

    from index.store import parse_chunk_id
    from qa.retrieval import Filters, HybridRetriever

    ids = [a.id for a in dated.articles()][5:8]
    for question in QUESTIONS:
        r = HybridRetriever(dated._store, dated.retriever().lexical, dated._embedder, filters=Filters(articles=tuple(ids)),
                            candidates=5)
        bundle = QueryBundle(question)
        got = {cid for cid, _ in r._dense(bundle, r._lexical_mask())}
        assert got == {n.node.node_id for n in r.dense.retrieve(bundle)}
        assert got and {parse_chunk_id(cid)[0] for cid in got} <= set(ids)
    passages = dated.retrieve(QUESTIONS[0], articles=ids)
    assert passages and {p.article_id for p in passages} <= set(ids)


def test_assistant_copies_its_config_and_takes_top_k_per_call(seeded_store):
    from dataclasses import replace

    from qa import Assistant, Config

    config = Config.from_env(model="none")
    before = replace(config)
    a = Assistant(seeded_store, config, top_k=1, max_per_article=5)
    assert config == before  # the caller's config is untouched; the overrides apply to the assistant's copy
    assert (a.config.store, a.config.top_k, a.config.model) == (seeded_store, 1, "none")
    assert len(a.retrieve("What proof was offered?")) == 1
    assert len(a.retrieve("What proof was offered?", top_k=3)) == 3
    assert a.config.top_k == 1
