"""Fetched pages and feed entries turned into Articles, the records file ingest makes.

A page's article is what trafilatura extracts (text, title, authors, and the date htmldate finds);
its id is the page's canonical URL when that names the same site, so a story reached through two
links is stored once. A page cannot claim another site's URL: it would replace that site's article.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from urllib.parse import urlsplit

from .feeds import FeedEntry
from .fetching import Response
from .loading import MAX_ARTICLE_BYTES, build_article, decode, is_binary, parse_html, too_long
from .models import Article, LoadIssue

# Block elements whose ends are paragraph breaks in a feed entry's HTML content.
_BLOCKS = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "section", "article", "tr")
_DROP = "//script|//style|//noscript|//iframe|//figcaption"
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Host prefixes that name the same site as the bare host.
_SAME_SITE_PREFIXES = ("www.", "m.", "amp.", "mobile.")


def page_records(response: Response, source: str, entry: FeedEntry | None = None,
                 max_article_bytes: int = MAX_ARTICLE_BYTES) -> list[Article | LoadIssue]:
    """The article of a fetched HTML page (or why there is none), completed by its feed ``entry``."""
    if is_binary(response.body):
        return [LoadIssue(source, "binary content, not text")]
    html = _decode(response.body, response.charset)
    records = []
    for record in parse_html(html, source, max_article_bytes, url=response.url):
        if isinstance(record, Article):
            url = record.url if same_site(record.url, response.url) else response.url
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

    found = find_date(_decode(response.body, response.charset), url=response.url, outputformat="%Y-%m-%d")
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
        for node in root.iter("br"):
            node.tail = "\n" + (node.tail or "")
        for node in root.iter(*_BLOCKS):
            node.text = "\n\n" + (node.text or "")
            node.tail = "\n\n" + (node.tail or "")
        text = root.text_content()
    return "\n\n".join(" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(text) if p.strip())


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


def _decode(body: bytes, charset: str) -> str:
    """The declared charset when Python knows it, else the file loader's guess (UTF-8, cp1252, Latin-1)."""
    if charset:
        try:
            return body.decode(charset, errors="replace")
        except LookupError:
            pass
    return decode(body)
