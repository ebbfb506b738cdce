"""Ingest into a real Chroma store with the real MiniLM: incremental, replacing, atomic per article."""
from __future__ import annotations

import pytest

from conftest import SEEDS, write_jsonl
from index.store import StoreMismatch
from qa import Assistant


def _article(n: int, text: str | None = None, **extra) -> dict:
    body = text or f"Article number {n} reports that the council approved budget item {n} on Tuesday. Officials said more votes follow."
    return {"url": f"https://example.com/news/{n}", "title": f"Council story {n}", "text": body,
            "authors": ["A. Writer"], "published": "2022/05/0" + str(n % 9 + 1), **extra}


def _chunk_hashes(a: Assistant, article_id: str) -> set[str]:
    return {m["text_hash"] for _, _, m in a._store.iter_chunks(["metadatas"], where={"article_id": article_id})}


def test_reingest_is_incremental_and_changed_articles_replace(tmp_path):
    a = Assistant(tmp_path / "store", model="none")
    docs = write_jsonl(tmp_path / "a.jsonl", [_article(1), _article(2)])
    first = a.ingest([docs])
    assert (first.articles, first.skipped, first.replaced) == (2, 0, 0)
    count = a._store.count()

    again = a.ingest([docs])
    assert (again.articles, again.chunks, again.skipped) == (0, 0, 2)
    assert a._store.count() == count

    write_jsonl(docs, [_article(1), _article(2, "The council rejected budget item 2 after a long debate. The mayor was absent.")])
    changed = a.ingest([docs])
    assert (changed.articles, changed.replaced, changed.skipped) == (1, 1, 1)
    assert len(_chunk_hashes(a, "https://example.com/news/2")) == 1  # no stale chunks of the old text
    assert "rejected" in a.ask("What did the council do with budget item 2?", mode="extract").text


def test_a_corrected_date_or_byline_reaches_the_store_without_embedding_again(tmp_path):
    """Same text, another date and byline: the stored chunks take them, and so do the as-of filters."""
    import datetime as dt

    a = Assistant(tmp_path / "store", model="none")
    docs = write_jsonl(tmp_path / "a.jsonl", [_article(1), _article(2)])
    a.ingest([docs])
    count, question = a._store.count(), "What did the council approve on Tuesday?"
    assert a.retrieve(question, as_of="2022-05-20", articles=["https://example.com/news/2"])
    write_jsonl(docs, [_article(1), _article(2, published="2022/06/30", authors=["B. Editor"])])
    again = a.ingest([docs])
    assert (again.articles, again.chunks, again.skipped, again.updated) == (0, 0, 1, 1)
    assert "metadata updated 1" in again.summary() and a._store.count() == count
    [stored] = [s for s in a._store.articles() if s.id == "https://example.com/news/2"]
    assert stored.published == dt.date(2022, 6, 30)
    assert {m["authors"] for _, _, m in a._store.iter_chunks(["metadatas"], where={"article_id": stored.id})} \
        == {"B. Editor"}
    # Published after the question's date now: not evidence as of then.
    assert not a.retrieve(question, as_of="2022-05-20", articles=["https://example.com/news/2"])
    assert a.ingest([docs]).updated == 0


def test_malformed_jsonl_line_is_reported_and_the_rest_ingested(tmp_path):
    a = Assistant(tmp_path / "store", model="none")
    docs = write_jsonl(tmp_path / "mixed.jsonl", [_article(1), '{"url": "https://example.com/broken", "title": ', _article(3)])
    seen = []
    report = a.ingest([docs], on_issue=seen.append)
    assert report.articles == 2 and report.rejected == 1
    assert [(str(i.source).endswith("mixed.jsonl"), i.line) for i in seen] == [(True, 2)]
    assert "mixed.jsonl:2" in str(seen[0])
    stored = {art.id: art for art in a.articles()}
    assert set(stored) == {"https://example.com/news/1", "https://example.com/news/3"}
    # Every stored article has all of its chunks.
    for art in stored.values():
        assert len(a._store.chunk_ids(art.id)) == art.chunks


def test_remove_and_list(tmp_path):
    a = Assistant(tmp_path / "store", model="none")
    a.ingest([SEEDS, write_jsonl(tmp_path / "b.jsonl", [_article(4)])])
    assert len(a.articles()) == 2
    assert a.remove("https://example.com/news/4") > 0
    assert [art.title for art in a.articles()] == ["US Conducts Airstrikes on Shi’ite Militias in Iraq and Syria"]
    assert a.stats()["chunks"] == a._store.count()


def test_store_refuses_another_embedder_or_chunker(tmp_path):
    a = Assistant(tmp_path / "store", model="none")
    a.ingest([SEEDS])
    other = Assistant(tmp_path / "store", model="none", chunk_tokens=120)
    with pytest.raises(StoreMismatch, match="was built with"):
        other.ingest([SEEDS])


def test_second_client_sees_a_swap_with_the_same_chunk_count(tmp_path):
    """BM25 follows the collection even when one article is swapped for another of the same size."""
    one = {"url": "https://example.com/one", "title": "Ferry timetable changes", "published": "2022-05-01",
           "text": "The harbor ferry will run every thirty minutes from Monday."}
    two = {"url": "https://example.com/two", "title": "Zoo welcomes okapi calf", "published": "2022-05-02",
           "text": "The city zoo welcomed a newborn okapi calf named Pemba on Sunday."}
    writer = Assistant(tmp_path / "store", model="none")
    writer.ingest([write_jsonl(tmp_path / "one.jsonl", [one])])
    reader = Assistant(tmp_path / "store", model="none")
    assert reader.retrieve("harbor ferry timetable")[0].url == one["url"]
    before = reader._store.count()
    writer.remove(one["url"])
    writer.ingest([write_jsonl(tmp_path / "two.jsonl", [two])])
    assert reader._store.count() == before
    lexical_ids = set(reader.retriever().lexical.ids)
    assert lexical_ids == {cid for cid, _, _ in writer._store.iter_chunks([])}
    assert any(cid.startswith(two["url"]) for cid in lexical_ids)
    assert reader.retrieve("okapi calf Pemba")[0].url == two["url"]
