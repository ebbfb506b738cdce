"""Fetched pages and feed entries turned into Articles, the records file ingest makes.

A page's article is what trafilatura extracts (text, title, authors, and the date htmldate finds);
its id is the page's canonical URL when that names the same site, so a story reached through two
links is stored once. A page cannot claim another site's URL: it would replace that site's article.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from .feeds import FeedEntry, clean_link
from .fetching import Response
from .hidden import drop_hidden
from .loading import MAX_ARTICLE_BYTES, build_article, decode, is_binary, parse_html, too_long
from .models import Article, LoadIssue

# Block elements whose ends are paragraph breaks in a feed entry's HTML content.
_BLOCKS = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "section", "article", "tr")
_DROP = "//script|//style|//noscript|//iframe|//figcaption"
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Host prefixes that name the same site as the bare host.
_SAME_SITE_PREFIXES = ("www.", "m.", "amp.", "mobile.")
_FEED_LINK_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")


def page_records(response: Response, source: str, entry: FeedEntry | None = None,
                 max_article_bytes: int = MAX_ARTICLE_BYTES) -> list[Article | LoadIssue]:
    """The article of a fetched HTML page (or why there is none), completed by its feed ``entry``."""
    if is_binary(response.body):
        return [LoadIssue(source, "binary content, not text")]
    html = decode_page(response)
    records = []
    for record in parse_html(html, source, max_article_bytes, url=response.url):
        if isinstance(record, Article):
            url = canonical_url(html, response.url, record.url)
            record = dataclasses.replace(record, id=url, url=url)
            if entry is not None:  # the page's own headline and byline; the feed's date, when it gives one
                record = dataclasses.replace(record, title=record.title or entry.title,
                                             authors=record.authors or entry.authors,
                                             published=entry.published or record.published)
        records.append(record)
    return records


def entry_article(entry: FeedEntry, text: str, source: str, published: dt.date | None,
                  max_article_bytes: int = MAX_ARTICLE_BYTES) -> Article | LoadIssue:
    """The article a feed entry carries in full (``text``: its content as text, see :func:`html_to_text`)."""
    if (size := len(text.encode(errors="replace"))) > max_article_bytes:
        return too_long(entry.link or source, size, max_article_bytes)
    return build_article(entry.title, text, entry.link, entry.authors, published, source)


def page_date(response: Response) -> dt.date | None:
    """The publication date htmldate finds in a page (for a feed entry that gives none)."""
    from htmldate import find_date  # lazy: the CLI starts without it

    found = find_date(decode_page(response), url=response.url, outputformat="%Y-%m-%d")
    return dt.date.fromisoformat(found) if found else None


def html_to_text(content: str) -> str:
    """The paragraphs of a feed entry's content (HTML or plain text), separated by blank lines."""
    if "<" not in content:
        text = content
    else:
        from lxml import etree
        from lxml import html as lxml_html

        try:
            root = lxml_html.fragment_fromstring(content, create_parent="div")
        except etree.ParserError:
            return ""
        for node in root.xpath(_DROP):
            node.drop_tree()
        drop_hidden(root)
        for node in root.iter("br"):
            node.tail = "\n" + (node.tail or "")
        for node in root.iter(*_BLOCKS):
            node.text = "\n\n" + (node.text or "")
            node.tail = "\n\n" + (node.tail or "")
        text = root.text_content()
    return "\n\n".join(" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(text) if p.strip())


def canonical_url(html: str, page_url: str, found: str = "") -> str:
    """The page's ``<link rel="canonical">`` (a relative one resolved), else ``found`` (trafilatura's
    pick, e.g. og:url), when it names the page's own site; else the page's URL. Without tracking
    parameters or fragment."""
    links = [clean_link(attrs.get("href") or "", page_url) for attrs in _head_links(html)
             if "canonical" in (attrs.get("rel") or "").lower().split()]
    for candidate in [*links, found]:
        if candidate and same_site(candidate, page_url):
            return clean_link(candidate, page_url)
    return clean_link(page_url, page_url) or page_url


def feed_links(html: str, page_url: str) -> list[str]:
    """The feeds a page announces (``<link rel="alternate" type="application/rss+xml" href=...>``)."""
    found = [clean_link(attrs.get("href") or "", page_url) for attrs in _head_links(html)
             if "alternate" in (attrs.get("rel") or "").lower().split()
             and (attrs.get("type") or "").lower() in _FEED_LINK_TYPES]
    return list(dict.fromkeys(link for link in found if link))


class _LinkCollector(HTMLParser):
    """The attributes of each ``<link>`` fed to it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "link":
            self.links.append(dict(attrs))


def _head_links(html: str) -> list[dict[str, str | None]]:
    """The ``<link>`` tags of the page's head (its first 64 KiB when no ``<body>`` ends it)."""
    end = html.lower().find("<body")
    collector = _LinkCollector()
    collector.feed(html[: end if end >= 0 else 65536])
    return collector.links


def same_site(url: str, other: str) -> bool:
    """Both http(s) URLs of one site: the same host, but for a leading "www.", "m.", "amp." or "mobile."."""
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme in ("http", "https") and b.scheme in ("http", "https")
            and bool(a.hostname) and _site(a.hostname) == _site(b.hostname or ""))


def _site(host: str) -> str:
    host = host.lower()
    for prefix in _SAME_SITE_PREFIXES:
        if host.startswith(prefix) and host.count(".") > 1:
            return host[len(prefix):]
    return host


def decode_page(response: Response) -> str:
    """The page's text: in its declared charset when Python knows it, else the file loader's guess
    (UTF-8, cp1252, Latin-1)."""
    if response.charset:
        try:
            return response.body.decode(response.charset, errors="replace")
        except LookupError:
            pass
    return decode(response.body)
