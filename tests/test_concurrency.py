"""Eight threads asking through the Python API while another thread ingests into the same store."""
from __future__ import annotations

import threading

from conftest import assert_consistent, write_jsonl
from qa import Assistant

TOWNS = [a + b for a in ("Ash", "Brook", "Clay", "Dun", "Elm", "Fair") for b in ("ford", "ham", "wick", "ton", "by", "stead")]
MAYORS = [f"{a} {b}" for a in ("Ada", "Ben", "Cleo", "Dev", "Eva", "Finn") for b in ("Marsh", "Quill", "Rowe", "Stone", "Thorne", "Vale")]
ASKERS, ROUNDS = 8, 4
FIRST, LATER = range(12), range(12, 36)  # stored before the askers start / ingested while they ask


def _url(n: int) -> str:
    return f"https://example.com/mayor/{n}"


def _story(n: int) -> dict:
    return {"url": _url(n), "title": f"{TOWNS[n]} elects a new mayor", "published": "2022-06-01",
            "text": f"{MAYORS[n]} was elected mayor of {TOWNS[n]} on Tuesday. {MAYORS[n]} promised to repair "
                    f"the old bridge in {TOWNS[n]}. Turnout was {20 + n} per cent."}


def _question(n: int) -> str:
    return f"Who was elected mayor of {TOWNS[n]}?"


def test_eight_askers_and_an_ingest_share_one_assistant(tmp_path):
    a = Assistant(tmp_path / "store", model="none")
    a.ingest([write_jsonl(tmp_path / "first.jsonl", [_story(n) for n in FIRST])])
    later = [write_jsonl(tmp_path / f"later{k}.jsonl", [_story(n) for n in LATER[k::3]]) for k in range(3)]

    results, errors, reports = [], [], []
    done = threading.Condition()

    def asker(k: int) -> None:
        try:
            for r in range(ROUNDS):
                n = FIRST[(k * ROUNDS + r) % len(FIRST)]
                answer, passages = a.ask(_question(n), mode="extract"), a.retrieve(_question(n))
                with done:
                    results.append((n, answer, passages))
                    done.notify_all()
        except Exception as exc:  # surfaced by the assertion below, with its thread
            errors.append((k, repr(exc)))

    def ingester() -> None:
        try:
            for k, path in enumerate(later):
                with done:  # spread the ingests over the asking, whatever the machine's speed
                    done.wait_for(lambda: len(results) >= k * ASKERS or len(errors) > 0, timeout=300)
                reports.append(a.ingest([path]))
        except Exception as exc:
            errors.append(("ingest", repr(exc)))

    threads = [threading.Thread(target=asker, args=(k,)) for k in range(ASKERS)] + [threading.Thread(target=ingester)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads) and errors == []
    assert len(results) == ASKERS * ROUNDS and sum(r.articles for r in reports) == len(LATER)

    chunks = {cid: (doc, m) for cid, doc, m in a._store.iter_chunks(["documents", "metadatas"])}
    by_article: dict[str, list[tuple[str, dict]]] = {}
    for doc, m in chunks.values():
        by_article.setdefault(m["article_id"], []).append((doc, m))
    for n, answer, passages in results:
        # The answer quotes the article about the town asked about, not one written meanwhile.
        assert not answer.abstained and answer.citations[0].article_id == _url(n)
        for p in passages:  # each passage is a stored chunk, verbatim
            doc, m = chunks[p.chunk_id]
            assert (p.text, p.start, p.end, p.article_id) == (doc, m["start"], m["end"], m["article_id"])
        for c in answer.citations:  # each citation quotes a stored chunk at its offsets
            assert any(m["start"] <= c.start < c.end <= m["end"] and doc[c.start - m["start"]:c.end - m["start"]] == c.quote
                       for doc, m in by_article[c.article_id]), c
            assert f"{c.quote} [{c.n}]" in answer.text
    assert len(assert_consistent(a.config.store)) == len(FIRST) + len(LATER)
    for n in (LATER[0], LATER[-1]):  # the articles ingested meanwhile are answerable
        assert a.ask(_question(n), mode="extract").citations[0].article_id == _url(n)
