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


def test_dense_fast_paths_match_chromas_filter(dated):
    from llama_index.core.schema import QueryBundle

    from qa.retrieval import OVERFETCH, Filters, HybridRetriever

    days = sorted({a.published for a in dated.articles() if a.published})
    assert len(days) > 10
    candidates = 5
    lexical = dated._current_lexical()
    selective = broad = 0
    for as_of, question in itertools.product(days[1::4] + [days[-1] + dt.timedelta(days=1)], QUESTIONS):
        r = HybridRetriever(dated.store, lexical, dated.embedder, filters=Filters(as_of=as_of), candidates=candidates)
        bundle = QueryBundle(question)
        expected = [n.node.node_id for n in r.dense.retrieve(bundle)]
        wide = r._wide.retrieve(bundle)
        passing = sum(r.filters.admits(n.node.metadata) for n in wide)
        selective += passing < candidates and len(wide) == candidates * OVERFETCH
        broad += passing >= candidates
        for current in (True, False):
            got = [n.node.node_id for n in r._dense(bundle, r._lexical_mask(), current)]
            assert set(got) == set(expected), (as_of, question, current)
    assert selective and broad, "both paths exercised"


def test_filters_admit_like_the_bm25_mask(dated):
    from qa.retrieval import Filters, HybridRetriever

    lexical = dated._current_lexical()
    day = sorted(a.published for a in dated.articles() if a.published)[20]
    site = lexical.sites[0]
    metas = {cid: m for cid, _, m in dated.store.iter_chunks(["metadatas"])}
    for filters in (Filters(as_of=day), Filters(since=day), Filters(sites=(site,)), Filters(day, (site,), day)):
        mask = HybridRetriever(dated.store, lexical, dated.embedder, filters=filters)._lexical_mask()
        assert [filters.admits(metas[cid]) for cid in lexical.ids] == ([True] * len(lexical.ids) if mask is None else list(mask))
