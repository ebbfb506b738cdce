"""Every CLI command, in-process, on a real store; the options every command takes; start-up imports."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ATTRIBUTION_Q, SEEDS, write_jsonl
from qa.cli import main, parser

BRIDGE = {"url": "https://example.com/bridge", "title": "Bridge reopens", "published": "2022-05-02",
          "text": "The Elm Street bridge reopened on Monday after repairs. It had been closed for two weeks."}
HEAVY = {"torch", "gradio", "chromadb", "llama_cpp"}


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


def test_store_before_or_after_the_command(seeded_store, tmp_path, capsys):
    ask = ["ask", ATTRIBUTION_Q, "--mode", "extract"]
    empty = str(tmp_path / "empty")
    for argv in (["--store", str(seeded_store), *ask], [*ask, "--store", str(seeded_store)],
                 ["--store", empty, *ask, "--store", str(seeded_store)]):
        assert main(argv) == 0
        assert "offered no proof" in capsys.readouterr().out, argv


@pytest.mark.fast
@pytest.mark.parametrize("limit", ["0", "-1", "two"])
def test_an_ingest_limit_that_would_ingest_nothing_is_refused(limit, capsys):
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args(["ingest", "seeds", "--limit", limit])
    assert exit_.value.code == 2 and f"not a count of 1 or more: {limit!r}" in capsys.readouterr().err
    assert parser().parse_args(["ingest", "seeds", "--limit", "3"]).limit == 3


@pytest.mark.fast
@pytest.mark.parametrize("argv, store, threads", [
    (["--store", "a", "--threads", "1", "ask", "q"], "a", 1),
    (["ask", "q", "--store", "b", "--threads", "2"], "b", 2),
    (["--store", "a", "ask", "q", "--store", "b"], "b", None),  # after the command wins
    (["--store", "a", "list"], "a", None),
    (["--threads", "1", "eval", "qa", "f.jsonl", "--store", "c"], "c", 1),
    (["--store", "a", "serve", "--port", "1"], "a", None),
    (["stats"], None, None),
])
def test_every_command_takes_the_global_options_before_or_after_it(argv, store, threads):
    args = parser().parse_args(argv)
    assert (args.store, args.threads, args.chroma_url, args.model, args.llm_url) == (store, threads, None, None, None)


@pytest.mark.fast
def test_help_lists_the_extensions_without_importing_heavy_modules():
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "qa.cli", "--help"],
                         capture_output=True, text=True, check=True)
    assert "serve" in run.stdout and "eval" in run.stdout
    # -X importtime writes "import time: self | cumulative | module" for every module imported.
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in run.stderr.splitlines()
                if line.startswith("import time:")}
    assert "argparse" in imported and not imported & HEAVY, sorted(imported & HEAVY)


def test_an_aborted_ingest_prints_its_message_on_a_line_of_its_own(tmp_path, capsys, monkeypatch):
    """Output that is not a terminal: the progress bar ends its line before the abort message."""
    import index.ingest

    def fail(*args, **kwargs):
        raise ValueError("the embedder failed")

    monkeypatch.setattr(index.ingest, "embed_once", fail)
    assert main(["ingest", str(SEEDS), "--store", str(tmp_path / "store")]) == 2
    lines = capsys.readouterr().err.replace("\r", "\n").splitlines()
    assert "newsqa: the embedder failed" in lines
