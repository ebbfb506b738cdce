"""Every CLI command, in-process, on a real store."""
from __future__ import annotations

from conftest import SEEDS, write_jsonl
from qa.cli import main

BRIDGE = {"url": "https://example.com/bridge", "title": "Bridge reopens", "published": "2022-05-02",
          "text": "The Elm Street bridge reopened on Monday after repairs. It had been closed for two weeks."}


def test_ingest_list_ask_remove_stats(tmp_path, capsys):
    store = ["--store", str(tmp_path / "store")]
    docs = write_jsonl(tmp_path / "b.jsonl", [BRIDGE, "{not json"])
    assert main(["ingest", str(SEEDS), str(docs), *store]) == 0
    out, err = capsys.readouterr()
    assert "ingested 2 articles" in out and "rejected 1" in out
    assert "b.jsonl:2: malformed JSON" in err

    assert main(["list", *store]) == 0
    listing = capsys.readouterr().out
    assert "2022-05-02" in listing and "date unknown" in listing and "https://example.com/bridge" in listing

    assert main(["ask", "When did the Elm Street bridge reopen?", "--mode", "extract", *store]) == 0
    answer = capsys.readouterr().out
    assert "reopened on Monday" in answer and "[1] Bridge reopens (2022-05-02) https://example.com/bridge" in answer

    assert main(["remove", "https://example.com/bridge", *store]) == 0
    assert main(["remove", "https://example.com/bridge", *store]) == 1
    capsys.readouterr()
    assert main(["stats", *store]) == 0
    assert "articles: 1" in capsys.readouterr().out
