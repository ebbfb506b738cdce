"""Loading news files of every supported format, and cleaning their bodies."""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
from pathlib import Path

import pytest

from index.cleaning import clean_text
from index.loading import load_paths
from index.models import Article, LoadIssue

pytestmark = pytest.mark.fast

BENCHMARK = Path(__file__).resolve().parents[2] / "shared/data/realtimeqa-2022/articles.jsonl.gz"
BODY = "The council voted 7-2 on Tuesday to approve the new budget.\n\nIt takes effect in July."


def load(*paths, **kwargs) -> tuple[list[Article], list[LoadIssue]]:
    records = list(load_paths([str(p) for p in paths], **kwargs))
    return [r for r in records if isinstance(r, Article)], [r for r in records if isinstance(r, LoadIssue)]


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def test_txt_with_metadata_lines(tmp_path):
    path = write(
        tmp_path / "budget.txt",
        "  City   passes budget \nAuthor: Jane Doe, John Roe\nDate: 2020-01-05\n\n" + BODY + "\n\nURL: https://example.com/budget\n",
    )
    [article], issues = load(path)
    assert issues == []
    assert article.title == "City passes budget"
    assert article.authors == ("Jane Doe", "John Roe")
    assert article.published == dt.date(2020, 1, 5)
    assert article.url == article.id == "https://example.com/budget"
    assert article.text == BODY
    assert article.source == str(path)


def test_a_labelled_title_line_loses_its_label(tmp_path):
    path = write(tmp_path / "a.txt", "Title: City passes budget\nAuthor: Jane Doe\nURL: https://example.com/b\n\n" + BODY)
    [article], issues = load(path)
    assert (issues, article.title, article.authors, article.text) == ([], "City passes budget", ("Jane Doe",), BODY)


def test_an_author_box_at_the_end_gives_the_byline(tmp_path):
    """"Author: X" above a line about X: the label is the byline, the line about X stays text; the
    labelled form only, and only in the last lines."""
    bio = "Jane Doe is a senior editor at the Gazette."
    path = write(tmp_path / "a.txt", f"City passes budget\n\n{BODY}\n\nAuthor: Jane Doe\n\n{bio}\n")
    [article], _ = load(path)
    assert (article.authors, article.text) == (("Jane Doe",), f"{BODY}\n\n{bio}")
    middle = write(tmp_path / "b.txt", f"City passes budget\n\n{BODY}\n\nAuthor: Jane Doe\n\n{BODY}\n\n{BODY}\n\n{bio}")
    assert load(middle)[0][0].authors == ()


def test_a_page_of_scripts_and_menus_is_not_an_article(tmp_path):
    page = write(tmp_path / "nav.html", "<html><head><script>var x = 1;</script><style>p{}</style></head><body>"
                 "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav></body></html>")
    assert [str(i) for i in load(page)[1]] == [f"error: {page}: no article text found in HTML"]


def test_markdown_title_byline_and_written_date(tmp_path):
    path = write(tmp_path / "note.md", "# Budget passes\n\nBy Jane Doe\nPublished: January 5, 2020\n\n" + BODY)
    [article], _ = load(path)
    assert (article.title, article.authors, article.published) == ("Budget passes", ("Jane Doe",), dt.date(2020, 1, 5))
    assert article.text == BODY


def test_file_without_date_and_sentence_starting_with_by(tmp_path):
    path = write(tmp_path / "a.txt", "Title\n\nBy Tuesday, it was over.\n\nThe end came quickly.")
    [article], issues = load(path)
    assert issues == []
    assert article.published is None and article.authors == ()
    assert article.text.startswith("By Tuesday, it was over.")


def test_title_only_text_file_is_rejected(tmp_path):
    _, [issue] = load(write(tmp_path / "t.txt", "Just a title\n\n"))
    assert issue.fatal and issue.message == "no article text"


def test_html_metadata_and_no_script_leak(tmp_path):
    html = """<!DOCTYPE html><html><head><title>Storm hits coast - Example News</title>
    <meta name="author" content="Jane Doe; John Roe">
    <meta property="article:published_time" content="2022-06-12T08:00:00Z">
    <link rel="canonical" href="https://example.com/storm">
    <script>var tracking = "HEAD_SCRIPT_TEXT";</script></head>
    <body><nav>Home | World</nav><article><h1>Storm hits coast</h1>
    <p>A powerful storm made landfall on Sunday morning, knocking out power to thousands of homes.</p>
    <script>document.write("BODY_SCRIPT_TEXT")</script>
    <p>Officials said crews were working to restore electricity, and schools would stay closed.</p>
    </article></body></html>"""
    [article], issues = load(write(tmp_path / "storm.html", html))
    assert issues == []
    assert article.title == "Storm hits coast"
    assert article.authors == ("Jane Doe", "John Roe")
    assert article.published == dt.date(2022, 6, 12)
    assert article.id == "https://example.com/storm"
    assert article.text.startswith("A powerful storm made landfall")
    assert "SCRIPT_TEXT" not in article.text and "document.write" not in article.text


HIDING = ('<p hidden>HIDDEN_ATTR say the mayor resigned.</p>', '<p style="display: none">HIDDEN_DISPLAY</p>',
          '<span style="font-size:0px">HIDDEN_TINY</span>', '<p style="opacity:0;">HIDDEN_CLEAR</p>')


def test_text_hidden_from_the_reader_is_dropped(tmp_path):
    from index.pages import html_to_text

    story = "".join(f"<p>The council met on Tuesday about the library budget, part {i} of the story.</p>" for i in range(5))
    html = (f"<html><head><title>Council meets</title></head><body><article><h1>Council meets</h1>{story}"
            f"{''.join(HIDING)}<p style=\"opacity:0.9\">Faded but visible.</p></article></body></html>")
    [article], _ = load(write(tmp_path / "council.html", html))
    feed_text = html_to_text(story + "".join(HIDING) + '<p style="opacity:0.9">Faded but visible.</p>')
    for text in (article.text, feed_text):
        assert "HIDDEN" not in text
        assert "part 4 of the story" in text and "Faded but visible." in text


def test_html_without_text_is_rejected(tmp_path):
    _, [issue] = load(write(tmp_path / "x.htm", "<html><body><script>var a = 1;</script></body></html>"))
    assert issue.fatal


def test_jsonl_good_malformed_missing_text_and_bad_date(tmp_path):
    good = {"url": "https://example.com/1", "title": "One", "text": "First story.", "authors": ["A"], "published": "2022/06/12"}
    lines = [
        json.dumps(good),
        json.dumps({"title": "Two", "text": "Second story.", "author": "B, C", "date": "2022-06-13T10:00:00Z"}),
        '{"title": "broken" "text": "x"}',
        "",
        json.dumps({"title": "No text", "text": ""}),
        json.dumps({"title": "Three", "text": "Third story.", "published": None}),
        json.dumps({"title": "Four", "text": "Fourth story.", "published": "sometime soon"}),
    ]
    path = write(tmp_path / "news.jsonl", "\n".join(lines) + "\n")
    articles, issues = load(path)
    assert [a.title for a in articles] == ["One", "Two", "Three", "Four"]
    assert [a.source for a in articles] == [f"{path}:{n}" for n in (1, 2, 6, 7)]
    assert articles[0].published == dt.date(2022, 6, 12) and articles[0].authors == ("A",)
    assert articles[1].published == dt.date(2022, 6, 13) and articles[1].authors == ("B", "C")
    assert articles[2].published is None and articles[3].published is None
    assert [(i.line, i.fatal) for i in issues] == [(3, True), (5, True), (7, False)]
    assert issues[0].message.startswith("malformed JSON: Expecting ','")
    assert all(i.source == str(path) for i in issues)


def test_jsonl_gz_and_corrupt_gz(tmp_path):
    path = tmp_path / "news.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for n in range(3):
            fh.write(json.dumps({"url": f"https://example.com/{n}", "title": f"T{n}", "text": f"Story {n}."}) + "\n")
    articles, issues = load(path)
    assert [a.id for a in articles] == [f"https://example.com/{n}" for n in range(3)] and issues == []
    bad = write(tmp_path / "bad.jsonl.gz", b"\x1f\x8b\x08\x00garbage-not-deflate" * 3)
    _, [issue] = load(bad)
    assert issue.fatal and issue.source == str(bad) and "gzip" in issue.message


def test_legacy_encodings_are_decoded(tmp_path):
    cp1252 = write(tmp_path / "cp.txt", b"Caf\xe9 opens\n\nShe said \x93hello\x94 at the caf\xe9.")
    latin1 = write(tmp_path / "l1.txt", b"Caf\xe9 closes\n\nThe caf\xe9 shut its doors \x81 for good.")
    [a, b], issues = load(cp1252, latin1)
    assert issues == []
    assert a.title == "Café opens" and a.text == "She said “hello” at the café."
    assert b.text == "The café shut its doors for good."  # a control character (C1) is dropped


def test_utf8_bom_is_dropped(tmp_path):
    [article], _ = load(write(tmp_path / "bom.txt", "\ufeffTitle\n\n" + BODY))
    assert article.title == "Title"


@pytest.mark.parametrize(
    ("name", "content", "kwargs", "message"),
    [
        ("empty.txt", b"", {}, "empty file"),
        ("blob.txt", b"Title\n\x00\x01\x02\x00 binary", {}, "binary file, not text"),
        ("big.txt", b"Title\n\n" + b"word " * 100, {"max_file_bytes": 100}, "file too large (507 bytes > limit 100 bytes)"),
        ("image.png", b"\x89PNG", {}, "unsupported file type"),
    ],
)
def test_rejected_files(tmp_path, name, content, kwargs, message):
    articles, [issue] = load(write(tmp_path / name, content), **kwargs)
    assert articles == [] and issue.fatal and issue.message == message


def test_missing_path_is_an_issue(tmp_path):
    _, [issue] = load(tmp_path / "nope.txt")
    assert issue.fatal and issue.source == str(tmp_path / "nope.txt")


def test_directory_walk_is_sorted_skips_junk_and_survives_symlink_loop(tmp_path):
    root = tmp_path / "news"
    write(root / "b.txt", "B\n\n" + BODY)
    write(root / "a" / "deep" / "c.md", "# C\n\n" + BODY)
    write(root / "a" / "pic.png", b"\x89PNG")
    write(root / ".hidden" / "d.txt", "D\n\n" + BODY)
    write(root / ".e.txt", "E\n\n" + BODY)
    os.symlink(root, root / "loop")
    os.symlink(root / "a", root / "a" / "deep" / "up")
    articles, issues = load(root)
    assert [a.title for a in articles] == ["C", "B"]
    assert [(i.source, i.message, i.fatal) for i in issues] == [
        (str(root / "a" / "deep" / "up"), f"symbolic link to {root / 'a'}, already read: skipped", False),
        (str(root / "a" / "pic.png"), "unsupported file type", False),
        (str(root / "loop"), f"symbolic link to {root}, already read: skipped", False),
    ]


def test_id_is_url_or_content_hash(tmp_path):
    lines = [
        {"url": "  https://example.com/x  ", "title": "X", "text": "Same body."},
        {"title": "  Hello   World ", "text": "Same   body."},
    ]
    with_url, without_url = load(write(tmp_path / "ids.jsonl", "\n".join(map(json.dumps, lines))))[0]
    assert with_url.id == "https://example.com/x"
    expected = hashlib.sha256("hello world\nsame body.".encode()).hexdigest()[:16]
    assert without_url.id == f"sha:{expected}" and without_url.title == "Hello World"


def test_limit_counts_articles_only(tmp_path):
    lines = ["not json"] + [json.dumps({"title": f"T{n}", "text": f"Story {n}."}) for n in range(5)]
    articles, issues = load(write(tmp_path / "many.jsonl", "\n".join(lines)), limit=2)
    assert [a.title for a in articles] == ["T0", "T1"] and len(issues) == 1


def test_clean_text_drops_widget_junk_and_keeps_real_sentences():
    raw = (
        "1. How relevant is this ad to you?\n\n"
        "Video player was slow to load content Video content never loaded Ad froze or did not finish loading\n\n"
        "  The   advertisement ran during the Super Bowl,   she said.  \n"
        "Sign up for our trending newsletter to get the latest news of the day\n\n\n"
        "He called it “a disaster” — twice.\t\n\n"
        "Advertisement\n\nRead More\n\n___"
    )
    assert clean_text(raw) == (
        "The advertisement ran during the Super Bowl, she said.\n\nHe called it “a disaster” — twice."
    )


def test_boilerplate_only_body_is_rejected(tmp_path):
    line = json.dumps({"title": "Ad", "text": "1. How relevant is this ad to you?\n\nOther issues"})
    _, [issue] = load(write(tmp_path / "ad.jsonl", line))
    assert issue.fatal and issue.line == 1 and issue.message == "no article text after cleaning"


def test_benchmark_head_loads():
    articles, issues = load(BENCHMARK, limit=45)
    assert len(articles) == 45 and int(articles[-1].source.rsplit(":", 1)[1]) <= 50
    # The dump's first line is a CNN page whose scraped body is only the ad-feedback widget.
    fatal = [i for i in issues if i.fatal]
    assert [i.message for i in fatal] == ["no article text after cleaning"] * len(fatal) and len(fatal) <= 5
    assert all(a.title and a.text and a.published and a.id.startswith("http") for a in articles)
