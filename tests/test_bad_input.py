"""Bad input in a batch: each bad file or line is named in one line, the good articles are stored whole."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import REPO, assert_consistent, write_jsonl
from index.loading import load_paths
from index.models import Article, LoadIssue
from index.store import Store
from qa import Assistant

BAD = REPO / "tests" / "data" / "bad"
FIFTY_MB = 50 * 2**20
TOO_LARGE = "article too large (50.0 MB > limit 1.0 MB per article)"


def _huge_text(path: Path) -> Path:
    """A 50 MB "article": one headline over a text dump, written without holding it in memory."""
    with open(path, "wb") as fh:
        fh.write(b"Dump\n\n")
        line = b"The archive repeats this sentence without end. " * 1000 + b"\n"
        while fh.tell() < FIFTY_MB:
            fh.write(line)
    return path


def test_bad_batch_names_every_bad_input_and_stores_the_good_articles(tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(BAD, inbox)
    _huge_text(inbox / "dump.txt")
    with open(inbox / "huge.jsonl", "w") as fh:
        fh.write(json.dumps({"url": "https://example.com/huge/1", "title": "Before the dump", "text": "A short story before it."}) + "\n")
        fh.write(json.dumps({"url": "https://example.com/huge/2", "title": "Dump", "text": "x" * FIFTY_MB}) + "\n")
        fh.write(json.dumps({"url": "https://example.com/huge/3", "title": "After the dump", "text": "A short story after it."}) + "\n")
    os.symlink(inbox, inbox / "loop")  # a folder link back to its parent
    os.symlink("self", inbox / "self")  # a link to itself

    a = Assistant(tmp_path / "store", model="none")
    seen: list[LoadIssue] = []
    report = a.ingest([inbox], on_issue=seen.append)

    got = [(Path(i.source).name, i.line, i.fatal, i.message) for i in seen]
    assert got[:5] == [
        ("controls.txt", None, True, "binary file, not text"),
        ("dump.txt", None, True, TOO_LARGE),
        ("empty.txt", None, True, "empty file"),
        ("huge.jsonl", 2, True, TOO_LARGE),
        ("loop", None, False, f"symbolic link to {os.path.realpath(inbox)}, already read: skipped"),
    ]
    assert got[5][:3] == ("mixed.jsonl", 2, True) and got[5][3].startswith("malformed JSON: Expecting ','")
    assert got[6:] == [
        ("mixed.jsonl", 3, True, "missing article text"),
        ("mixed.jsonl", 4, False, "unparseable date 'the day after the storm'"),
        ("photo.txt", None, True, "binary file, not text"),
        ("self", None, False, "symbolic link loop"),
    ]
    for issue in seen:  # one line, naming the file (and line) in full
        text = str(issue)
        assert "\n" not in text and text.startswith(("error: ", "warning: ")) and str(inbox) in text
        assert (f"{issue.source}:{issue.line}:" if issue.line else f"{issue.source}:") in text

    assert (report.articles, report.rejected) == (8, 7)
    stored = {art.title: art for art in a.articles()}
    assert set(stored) == {
        "Bakery wins “best croissant” prize", "Tram line opens", "Before the dump", "After the dump",
        "Ferry service resumes in Malmö", "Library extends opening hours", "Harbour dredging starts",
        "School meals go organic",
    }
    assert stored["Harbour dredging starts"].published is None  # kept, shown as "date unknown"
    assert assert_consistent(a.config.store).keys() == {art.id for art in stored.values()}
    answer = a.ask("Where did the ferry service resume?", mode="extract")
    assert "Malmö" in answer.text and answer.citations[0].title == "Ferry service resumes in Malmö"


def test_hostile_lines_and_names_are_named_in_one_line_and_the_good_articles_kept(tmp_path):
    """Found by a hostile-input probe (session 19): each of these once crashed the run or lost the
    good articles beside it, stored a title that rewrites the terminal, or made reruns flip."""
    import gzip

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = {"url": "https://example.com/ok", "title": "Tram line opens", "text": "The new tram line opened on Monday."}
    with open(inbox / "deep.jsonl", "w") as fh:
        fh.write(json.dumps(good) + "\n" + "[" * 200_000 + "]" * 200_000 + "\n")
    (inbox / "surrogate.jsonl").write_text('{"url": "https://example.com/s", "title": "Bad \\ud800 title", '
                                           '"text": "A lone \\udc00 surrogate in a ferry story."}\n')
    same = [{"url": "https://example.com/same", "title": "Same URL v1", "text": "The first version of the story."},
            {"url": "https://example.com/same", "title": "Same URL v2", "text": "A second, other story."}]
    write_jsonl(inbox / "same.jsonl", same)
    (inbox / "escape.txt").write_text("\x1b]0;PWNED\x07\x1b[31mRed headline\x1b[0m\n\nThe harbour reopened today.")
    (inbox / "long.txt").write_text("Headline " * 5_000 + "\n\nThe plant opens in June.")
    with gzip.open(inbox / "cut.jsonl.gz", "wb") as fh:
        fh.write(b"".join(json.dumps({"url": f"https://example.com/cut/{n}", "title": f"Cut {n}",
                                      "text": f"Story number {n} of a file cut short."}).encode() + b"\n" for n in range(50)))
    data = (inbox / "cut.jsonl.gz").read_bytes()
    (inbox / "cut.jsonl.gz").write_bytes(data[:-10])  # the gzip trailer and the last lines are gone
    with open(os.fsencode(inbox) + b"/bad\xffname.txt", "w") as fh:
        fh.write("Library extends hours\n\nThe library now opens at seven.")  # named in no UTF-8
    with open(inbox / "new\nline.txt", "w"):
        pass

    a = Assistant(tmp_path / "store", model="none")
    seen: list[LoadIssue] = []
    report = a.ingest([inbox], on_issue=seen.append)
    messages = {(Path(i.source.split(":")[0]).name, i.message) for i in seen}
    assert ("deep.jsonl", "malformed JSON: nested too deeply") in messages
    assert ("same.jsonl", "another article in this run has the same id https://example.com/same; the first one is kept") \
        in messages
    assert any(name == "cut.jsonl.gz" and m.startswith("corrupt gzip file") for name, m in messages)
    assert all("\n" not in str(i) for i in seen)  # the file name's newline is shown escaped
    stored = {art.title: art for art in a.articles()}
    assert {"Tram line opens", "Bad ? title", "Same URL v1", "Red headline", "Library extends hours",
            "Cut 0"} <= set(stored)
    assert sum(t.startswith("Cut ") for t in stored) >= 40  # the lines before the damage
    assert "" in stored and stored[""].chunks > 1  # a first line the size of a page is body, not headline
    [surrogate] = load_paths(inbox / "surrogate.jsonl")
    assert surrogate.text == "A lone ? surrogate in a ferry story."
    assert assert_consistent(a.config.store).keys() == {art.id for art in stored.values()}
    again = a.ingest([inbox], on_issue=lambda issue: None)
    assert (again.replaced, again.articles) == (0, 0) and report.articles == len(stored)


@pytest.mark.fast
def test_huge_gzipped_jsonl_line_is_skipped_in_bounded_memory(tmp_path):
    import gzip
    import tracemalloc

    path = tmp_path / "dump.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write(b'{"title": "Dump", "text": "' + b"y" * FIFTY_MB + b'"}\n')
        fh.write(json.dumps({"title": "Small", "text": "A small story."}).encode() + b"\n")
    tracemalloc.start()
    records = list(load_paths(path))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [str(r) if isinstance(r, LoadIssue) else r.title for r in records] == [f"error: {path}:1: {TOO_LARGE}", "Small"]
    assert peak < 8 * 2**20  # the 50 MB line was never held whole


@pytest.mark.fast
def test_html_is_measured_by_its_text_not_its_markup(tmp_path):
    paragraphs = "".join(f"<p>The mayor opened bridge {n} on Monday, and traffic flowed within the hour.</p>" for n in range(20))
    page = tmp_path / "page.html"
    page.write_text(f"<html><head><title>Bridges</title><style>{'x' * 5000}</style></head><body><article>"
                    f"{paragraphs}</article></body></html>")
    [article] = load_paths(page, max_article_bytes=4000)
    assert isinstance(article, Article)
    [issue] = load_paths(page, max_article_bytes=1000)
    assert issue.fatal and issue.message.startswith("article too large (") and issue.message.endswith("> limit 1000 bytes per article)")


def test_thousands_of_tiny_files(tmp_path):
    # 2,000 files; syndication makes most of them copies, so the embedding work stays small.
    inbox = tmp_path / "inbox"
    for n in range(2000):
        folder = inbox / f"day{n // 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"note{n:04d}.txt").write_text(f"Depot note {n % 40}\n\nCrate {n % 40} was logged at the depot.\n")
    a = Assistant(tmp_path / "store", model="none")
    report = a.ingest([inbox], on_issue=pytest.fail)
    assert (report.articles, report.skipped, report.rejected) == (40, 1960, 0)
    assert len(assert_consistent(a.config.store)) == 40
    assert a.ask("Where was crate 17 logged?", mode="extract").citations[0].title == "Depot note 17"


def test_batch_over_chromas_limit_is_stored_whole_or_not_at_all(tmp_path):
    a = Assistant(tmp_path / "store", model="none")
    sentences = " ".join(f"Clause {n} of the treaty covers fishing zone {n}." for n in range(400))
    a._store.max_batch = 7  # Chroma's real limit is 5461 chunks; a smaller one keeps the embedding cheap
    report = a.ingest([write_jsonl(tmp_path / "treaty.jsonl", [{"url": "https://example.com/treaty", "title": "Treaty", "text": sentences}])])
    assert report.chunks > 2 * a._store.max_batch
    assert assert_consistent(a.config.store) == {"https://example.com/treaty": report.chunks}

    # A slice that Chroma refuses takes the slices before it back out.
    store = Store(tmp_path / "store")
    store.max_batch = 2
    metas = [{"article_id": "x", "chunk_index": i, "n_chunks": 5} for i in range(5)]
    metas[4]["bad"] = {"nested": "not allowed"}
    with pytest.raises(Exception):
        store.add([f"x#{i}" for i in range(5)], a._embedder.embed([f"text {i}" for i in range(5)]), ["t"] * 5, metas)
    assert store.count() == report.chunks and store.chunk_ids("x") == []
