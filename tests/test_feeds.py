"""Feeds and article URLs end to end, on a real local web site (127.0.0.1), real Chroma and MiniLM:
ingest by URL, follow, refresh with conditional requests, one-line errors, cited answers."""
from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, assert_consistent
from index.feeds import clean_link, parse_feed, sniff
from index.pages import canonical_url, feed_links, html_to_text
from local_web import LocalWeb, Page

DATA = Path(__file__).parent / "data" / "feeds"
# Fetcher settings for the local site: loopback allowed, no politeness delay, a timeout short enough
# for the slow page to meet it and long enough for a busy machine's answers.
LOCAL = {"allow_private": True, "fetch_delay": 0.0, "fetch_timeout": 3.0, "fetch_max_bytes": 200_000}


def fixture(name: str, base: str) -> bytes:
    return (DATA / name).read_text(encoding="utf-8").replace("{base}", base).encode()


def news_site(web: LocalWeb) -> LocalWeb:
    """Two feeds and an OPML list of them, their article pages, and what goes wrong on a real site."""
    b = web.base
    web.routes.update({
        "/rss.xml": Page(fixture("rss.xml", b), "application/rss+xml"),
        "/atom.xml": Page(fixture("atom.xml", b), "application/atom+xml"),
        "/list.opml": Page(fixture("list.opml", b), "text/x-opml"),
        "/feed.json": Page(fixture("feed.json", b), "application/feed+json"),
        "/story/harbour": Page(fixture("harbour.html", b)),
        "/amp/harbour": Page(fixture("harbour.html", b)),  # a second URL, its canonical link the first
        "/story/bridge": Page(fixture("bridge.html", b)),
        "/story/zoo": Page(fixture("zoo.html", b)),
        "/files/report.pdf": Page(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 binary", "application/pdf"),
        "/slow": Page(fixture("zoo.html", b), delay=6.0),
        "/loop": Page(status=302, headers={"Location": "/loop2"}),
        "/loop2": Page(status=302, headers={"Location": "/loop"}),
        "/huge": Page(b"<html><body><p>" + b"word " * 60_000 + b"</p></body></html>"),
        "/robots.txt": Page(b"User-agent: *\nDisallow: /private/\n", "text/plain"),
    })
    return web


@pytest.fixture
def site():
    with LocalWeb() as web:
        yield news_site(web)


def page_hits(web: LocalWeb) -> list[str]:
    """The article pages requested, in order (feeds, lists and robots.txt left out)."""
    return [h.path.split("?")[0] for h in web.log if h.path.startswith(("/story/", "/amp/", "/files/"))]


# Parsing (pure logic).

@pytest.mark.fast
def test_rss_entries_carry_links_dates_authors_and_full_text():
    feed = parse_feed(fixture("rss.xml", "http://news.test"), "http://news.test/rss.xml", "application/rss+xml")
    assert feed.title == "Coast Herald" and not feed.is_list
    harbour, tram, gone, pdf = feed.entries
    assert harbour.link == "http://news.test/amp/harbour"  # tracking parameters dropped
    assert (harbour.key, harbour.published, harbour.content) == ("herald-1001", dt.date(2024, 3, 5), "")
    assert tram.authors == ("Lina Park",) and "nine stops" in tram.content
    assert (gone.link, pdf.link) == ("http://news.test/story/gone", "http://news.test/files/report.pdf")
    assert feed.issues == [("entry 3: no link and no content", True)]


@pytest.mark.fast
def test_atom_json_feed_and_opml():
    atom = parse_feed(fixture("atom.xml", "http://news.test"), "http://news.test/atom.xml")
    bridge, zoo = atom.entries
    assert (bridge.published, bridge.stamp) == (None, "")  # the page's date will be used
    assert zoo.link == "http://news.test/story/zoo?ref=atom" and zoo.published == dt.date(2099, 1, 1)  # resolved

    wire = parse_feed(fixture("feed.json", "http://news.test"), "http://news.test/feed.json", "application/feed+json")
    assert wire.title == "Valley Wire" and [e.key for e in wire.entries] == ["vw-1", "vw-2"]
    assert wire.entries[1].authors == ("Rosa Diaz",) and "14,000 tonnes" in wire.entries[1].content
    assert wire.issues == [("entry 3: not a JSON object", True)]

    opml = parse_feed(fixture("list.opml", "http://news.test"), "http://news.test/list.opml")
    assert opml.is_list and opml.feeds == ["http://news.test/rss.xml", "http://news.test/atom.xml"]


@pytest.mark.fast
def test_sniffing_links_and_entry_text():
    assert sniff(b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- x --><rss version='2.0'>", "text/html") == "xml"
    assert sniff(b"<opml version='2.0'>", "") == "opml"
    assert sniff(b'{"version": "https://jsonfeed.org/version/1", "items": []}', "text/plain") == "json"
    assert sniff(b"<!DOCTYPE html><html><link type='application/rss+xml'>", "text/html") == "page"
    assert clean_link("/a?utm_source=x&id=7#top", "https://n.test/feed") == "https://n.test/a?id=7"
    assert clean_link("javascript:alert(1)", "https://n.test/") == ""
    assert html_to_text("<p>One <b>two</b>.</p><p>Three<br>four</p><script>x()</script>") == "One two.\n\nThree four"
    assert html_to_text("plain text") == "plain text"
    page = "https://m.site.test/amp/x?utm_source=a&id=3"
    assert canonical_url('<head><link href="/x#top" rel="canonical"></head><body>', page) == "https://m.site.test/x"
    assert canonical_url('<link rel=canonical href="https://www.site.test/x">', page) == "https://www.site.test/x"
    # Another site's URL is not taken: the page would replace that site's article.
    assert canonical_url('<link rel="canonical" href="https://other.test/x">', page) == "https://m.site.test/amp/x?id=3"
    assert canonical_url("<body><link rel='canonical' href='/y'>", page, found="https://site.test/og") == \
        "https://site.test/og"  # a link in the body is not the page's; trafilatura's og:url is
    assert feed_links('<link rel="alternate" type="application/atom+xml" href="/atom">'
                      '<link rel="alternate" type="text/html" href="/fr"><body>', page) == ["https://m.site.test/atom"]
    with pytest.raises(ValueError, match=r"^not a valid feed: not well-formed \(invalid token\)$"):
        parse_feed(b"<rss \x00\x01 garbage", "http://n.test/", "application/rss+xml")


# Ingest by URL, follow and refresh: real store and embedder.

@pytest.fixture
def assistant(tmp_path):
    from qa import Assistant

    return Assistant(tmp_path / "store", model="none", **LOCAL)


def test_ingest_urls_pages_feeds_and_opml_with_one_line_errors(site, assistant, tmp_path):
    issues = []
    report = assistant.ingest_urls([site.url("/list.opml"), site.url("/feed.json"), site.url("/story/harbour"),
                                    site.url("/slow"), site.url("/loop"), site.url("/huge"), site.url("/nowhere"),
                                    site.url("/files/report.pdf"), site.url("/private/memo"), "file:///etc/passwd"],
                                   on_issue=issues.append)
    base = site.base
    lines = sorted(str(i) for i in issues)
    assert lines == sorted([
        f"error: {base}/rss.xml: entry 3: no link and no content",
        f"error: {base}/story/gone: HTTP 404",
        f"error: {base}/files/report.pdf: unsupported content type application/pdf",
        f"warning: {base}/story/zoo: date 2099-01-01 is in the future: stored as date unknown",
        f"error: {base}/feed.json: entry 3: not a JSON object",
        f"error: {base}/slow: timed out",
        f"error: {base}/loop: redirect loop",
        f"error: {base}/huge: too large ({len(site.routes['/huge'].body)} bytes > limit 200000 bytes)",
        f"error: {base}/nowhere: HTTP 404",
        f"error: {base}/files/report.pdf: unsupported content type application/pdf",
        f"error: {base}/private/memo: disallowed by robots.txt",
        "error: file:///etc/passwd: unsupported URL scheme 'file': only http and https",
    ])
    assert all("\n" not in line for line in lines)
    stored = {a.id: a for a in assistant.articles()}
    # The harbour story came by three links (the RSS entry's /amp/ URL, the JSON Feed, the page): one article.
    assert set(stored) == {f"{base}/story/harbour", f"{base}/story/tram", f"{base}/story/bridge",
                           f"{base}/story/zoo", next(i for i in stored if i.startswith("sha:"))}
    assert (report.articles, report.skipped, report.rejected) == (5, 2, 11)
    harbour, bridge, zoo = (stored[f"{base}/story/{n}"] for n in ("harbour", "bridge", "zoo"))
    assert (harbour.title, harbour.published) == ("Eastham port reopens after the storm", dt.date(2024, 3, 5))
    assert bridge.published == dt.date(2024, 3, 2)  # no date in the feed: the page's
    assert zoo.published is None  # a date in 2099 is not trusted
    assert_consistent(tmp_path / "store")


def test_good_entries_are_answerable_with_the_canonical_url_cited(site, assistant):
    assistant.ingest_urls([site.url("/rss.xml")])
    answer = assistant.ask("How many vessels entered the port of Eastham on the first day?", mode="extract")
    assert not answer.abstained and "Forty vessels" in answer.text
    assert {c.url for c in answer.citations} == {site.url("/story/harbour")}  # not the /amp/ link the feed gave
    tram = assistant.ask("How many stops will the Westbury tram line have?", mode="extract")
    assert "nine stops" in tram.text and tram.citations[0].url == site.url("/story/tram")


def test_refresh_asks_only_for_what_changed_and_replaces_a_changed_page(site, assistant):
    followed = assistant.follow(site.url("/list.opml"))
    assert [f.url for f in followed] == [site.url("/rss.xml"), site.url("/atom.xml")]
    assert assistant.follow(site.url("/rss.xml")) == []  # already followed
    assert all(not f.fetched for f in assistant.feeds())

    first = assistant.refresh()
    assert {r.url: (r.status, r.read, r.errors) for r in first.feeds} == {site.url("/rss.xml"): ("updated", 2, 3),
                                                                          site.url("/atom.xml"): ("updated", 2, 0)}
    assert first.ingest.articles == 4
    pages = page_hits(site)
    assert sorted(pages) == ["/amp/harbour", "/files/report.pdf", "/story/bridge", "/story/gone", "/story/zoo"]

    count = len(site.log)
    second = assistant.refresh()
    assert [r.status for r in second.feeds] == ["unchanged", "unchanged"]
    assert (second.ingest.articles, second.ingest.chunks) == (0, 0)
    assert sorted(h.path for h in site.log[count:]) == ["/atom.xml", "/rss.xml"]  # one conditional request each
    assert all(h.headers.get("if-none-match") for h in site.log[count:])
    assert page_hits(site) == pages  # no page fetched twice

    # The bridge story is corrected: its page changes and its feed entry says it was updated.
    site.routes["/story/bridge"] = Page(fixture("bridge.html", site.base).replace(b"six weeks", b"eight weeks"))
    site.routes["/atom.xml"] = Page(fixture("atom.xml", site.base).replace(
        b"<id>urn:city-desk:bridge</id>", b"<id>urn:city-desk:bridge</id><updated>2024-03-06T10:00:00Z</updated>"),
        "application/atom+xml")
    third = assistant.refresh()
    assert {r.url: r.status for r in third.feeds} == {site.url("/rss.xml"): "unchanged", site.url("/atom.xml"): "updated"}
    assert (third.ingest.articles, third.ingest.replaced) == (1, 1)
    assert page_hits(site)[len(pages):] == ["/story/bridge"]  # the zoo entry is unchanged: not fetched
    answer = assistant.ask("How long will the Kessel bridge close?", mode="extract")
    assert "eight weeks" in answer.text and "six weeks" not in " ".join(c.quote for c in answer.citations)
    assert len([a for a in assistant.articles() if a.id == site.url("/story/bridge")]) == 1

    feeds = {f.url: f for f in assistant.feeds()}
    assert feeds[site.url("/atom.xml")].title == "City Desk" and feeds[site.url("/atom.xml")].fetched
    assert feeds[site.url("/atom.xml")].result.endswith("2 entries, 1 article read")
    assert assistant.unfollow(site.url("/atom.xml")) and not assistant.unfollow(site.url("/atom.xml"))
    assert [f.url for f in assistant.feeds()] == [site.url("/rss.xml")]


def test_a_feed_that_fails_is_one_line_and_the_others_go_on(site, assistant):
    for path in ("/atom.xml", "/rss.xml", "/feed.json"):
        assert assistant.follow(site.url(path))
    site.routes["/rss.xml"] = Page(b"<html><body><p>We moved our feed.</p></body></html>")  # now a page
    del site.routes["/feed.json"]
    issues = []
    report = assistant.refresh(on_issue=issues.append)
    assert {r.url: r.status for r in report.feeds} == {site.url("/atom.xml"): "updated", site.url("/rss.xml"): "error",
                                                       site.url("/feed.json"): "error"}
    lines = [str(i) for i in issues]
    assert f"error: {site.url('/rss.xml')}: not a feed" in lines
    assert f"error: {site.url('/feed.json')}: HTTP 404" in lines
    assert report.ingest.articles == 2
    failed = next(f for f in assistant.feeds() if f.url == site.url("/feed.json"))
    assert failed.result == f"error: {site.url('/feed.json')}: HTTP 404" and failed.fetched and not failed.etag


def test_follow_takes_a_feed_an_opml_file_or_a_site_page(site, assistant, tmp_path):
    issues = []
    assert [f.title for f in assistant.follow(site.url("/feed.json"))] == ["Valley Wire"]
    assert [f.url for f in assistant.follow(site.url("/story/harbour"))] == [site.url("/rss.xml")]  # its <link>
    opml = tmp_path / "subscriptions.opml"
    opml.write_bytes(fixture("list.opml", site.base))
    assert [f.url for f in assistant.follow(str(opml))] == [site.url("/atom.xml")]  # rss.xml: already followed
    assert assistant.follow(site.url("/story/zoo"), on_issue=issues.append) == []
    assert assistant.follow(site.url("/nowhere"), on_issue=issues.append) == []
    assert [str(i) for i in issues] == [f"error: {site.url('/story/zoo')}: not a feed, and the page names none",
                                        f"error: {site.url('/nowhere')}: HTTP 404"]
    assert [f.url for f in assistant.feeds()] == sorted(site.url(p) for p in ("/atom.xml", "/feed.json", "/rss.xml"))


def test_cli_feeds_refresh_and_watch(site, tmp_path):
    """The commands as cron runs them: a subprocess each, the fetcher settings from the environment."""
    env = {**os.environ, "NEWSQA_STORE": str(tmp_path / "store"), "NEWSQA_MODEL": "none",
           "NEWSQA_FETCH_DELAY": "0", "NEWSQA_FETCH_TIMEOUT": "3"}

    def newsqa(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "qa.cli", *argv], capture_output=True, text=True, env=env,
                              cwd=REPO, timeout=300)

    refused = newsqa("feeds", "add", site.url("/rss.xml"))
    assert refused.returncode == 1 and refused.stderr.strip().startswith(f"error: {site.url('/rss.xml')}: refused: ")
    assert not site.log
    added = newsqa("feeds", "add", site.url("/list.opml"), "--allow-private")
    assert added.returncode == 0 and f"following {site.url('/atom.xml')}" in added.stdout
    assert "never fetched" in newsqa("feeds", "list").stdout

    watched = newsqa("watch", "--every", "1s", "--runs", "2", "--allow-private")
    assert watched.returncode == 0, watched.stderr
    lines = watched.stdout.splitlines()
    assert sum(f"{site.url('/rss.xml')}: 4 entries, 2 articles read, 3 rejected" in l for l in lines) == 1
    assert sum(f"{site.url('/atom.xml')}: not modified" in l for l in lines) == 1
    assert "2 feeds: 2 updated, 0 not modified, 0 failed; ingested 4 articles" in watched.stdout
    assert "2 feeds: 0 updated, 2 not modified, 0 failed; ingested 0 articles" in watched.stdout
    assert f"error: {site.url('/story/gone')}: HTTP 404" in watched.stderr.splitlines()

    listing = newsqa("feeds", "list").stdout
    assert f"{site.url('/atom.xml')}  City Desk" in listing and "last fetched 20" in listing
    assert newsqa("feeds", "remove", site.url("/atom.xml")).returncode == 0
    assert newsqa("feeds", "remove", site.url("/atom.xml")).returncode == 1

    page = newsqa("ingest", site.url("/amp/harbour"), "--allow-private")
    assert page.returncode == 0 and "skipped 1 unchanged" in page.stdout  # already stored under its canonical URL


def test_ui_follows_a_feed_and_refreshes_it_now(site, tmp_path, monkeypatch):
    """In headless Chromium against `newsqa serve`: follow an OPML list, refresh now, per-feed results."""
    from playwright import sync_api

    from test_ui import CHROMIUM, CHROMIUM_ARGS, served

    monkeypatch.setenv("NEWSQA_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("NEWSQA_FETCH_DELAY", "0")
    with served(tmp_path / "store", tmp_path / "serve.log") as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        page.goto(url)
        page.fill("#nq-feed-url textarea", site.url("/list.opml"))
        page.click("#nq-follow")
        page.locator("#nq-feed-results .nq-followed").nth(1).wait_for(timeout=60_000)
        page.locator("#nq-feeds", has_text="never").wait_for(timeout=60_000)

        page.click("#nq-refresh-feeds")
        page.locator("#nq-feed-results .nq-updated").nth(1).wait_for(timeout=180_000)
        results = page.inner_text("#nq-feed-results")
        assert "4 entries, 2 articles read, 3 rejected" in results and "2 entries, 2 articles read" in results
        assert "HTTP 404" in results and "unsupported content type application/pdf" in results
        page.locator("#nq-feeds", has_text="City Desk").wait_for(timeout=60_000)
        assert "UTC" in page.inner_text("#nq-feeds") and "never" not in page.inner_text("#nq-feeds")

        page.click("#nq-refresh-feeds")
        page.locator("#nq-feed-results .nq-unchanged").nth(1).wait_for(timeout=180_000)
        browser.close()


def test_a_followed_feed_is_answered_by_the_local_llm_with_canonical_citations(site, tmp_path):
    """End to end with the packaged Qwen: follow, refresh, ask; the model's verified answer cites the
    article's canonical URL, not the tracking link the feed gave."""
    from qa import Assistant

    a = Assistant(tmp_path / "store", model="qwen2.5-1.5b", **LOCAL)
    a.follow(site.url("/rss.xml"))
    assert a.refresh().ingest.articles == 2
    answer = a.ask("How many vessels entered the port of Eastham on the first day?", mode="generate")
    assert not answer.abstained, answer.draft
    assert answer.citations and {c.url for c in answer.citations} == {site.url("/story/harbour")}
    assert re.search(r"\b(forty|40)\b", answer.text, re.I), answer.text
