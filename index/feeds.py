"""Feeds and subscription lists parsed into entries: RSS 0.9x/1.0/2.0 and Atom (feedparser), JSON Feed
(plain json: feedparser does not read it) and OPML (the feeds it lists)."""
from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from .loading import parse_date

# The root element of an XML feed or subscription list, after any declaration, comment or doctype.
_XML_ROOT = re.compile(rb"^(?:\s|<\?xml[^>]*>|<!--.*?-->|<!DOCTYPE[^>]*>)*<(rss|feed|rdf:RDF|opml)\b", re.S | re.I)
_JSON_FEED = "https://jsonfeed.org/version/"
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
# Tracking parameters feeds add to their links; without them two links to one story are one URL.
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid)$", re.I)


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed: where it links, and whatever the feed itself says of it."""

    key: str  # the entry's id (guid), else its link: what "seen before" is remembered by
    link: str
    title: str = ""
    authors: tuple[str, ...] = ()
    published: dt.date | None = None
    stamp: str = ""  # the entry's updated (else published) time as written: a change means an update
    content: str = ""  # full text (HTML or plain) when the feed carries it


@dataclass(frozen=True)
class ParsedFeed:
    """A feed's entries, or (``is_list``, OPML) the feed URLs it lists; ``issues``: one line per bad entry."""

    title: str = ""
    entries: list[FeedEntry] = field(default_factory=list)
    is_list: bool = False
    feeds: list[str] = field(default_factory=list)
    issues: list[tuple[str, bool]] = field(default_factory=list)  # (message, fatal)


class NotAFeed(ValueError):
    """The document is neither a feed nor a subscription list."""


def sniff(body: bytes, content_type: str) -> str:
    """"opml", "json", "xml" (RSS/Atom) or "page", from the document's start and its declared type."""
    head = body[:4096].lstrip(b"\xef\xbb\xbf")
    if m := _XML_ROOT.match(head):
        return "opml" if m.group(1).lower() == b"opml" else "xml"
    if head.lstrip().startswith(b"{") and (content_type in ("application/feed+json", "application/json")
                                           or _JSON_FEED.encode() in head):
        return "json"
    if content_type in _FEED_TYPES:
        return "xml"
    return "page"


def parse_feed(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """The entries (or listed feeds) of a feed document fetched from ``url``; raises NotAFeed."""
    kind = sniff(body, content_type)
    if kind == "opml":
        return _parse_opml(body, url)
    if kind == "json":
        return _parse_json_feed(body, url)
    if kind == "xml":
        return _parse_xml_feed(body, url, content_type)
    raise NotAFeed("not a feed")


def clean_link(link: str, base: str) -> str:
    """An absolute link without tracking parameters or fragment ("" unless http or https)."""
    absolute = urljoin(base, link.strip())
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)])
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


def _parse_xml_feed(body: bytes, url: str, content_type: str) -> ParsedFeed:
    import feedparser  # lazy: the CLI starts without it

    # Bytes, never a string: given a string that looks like a URL, feedparser would fetch it itself.
    parsed = feedparser.parse(body, response_headers={"content-location": url,
                                                      "content-type": content_type or "application/xml"})
    if not parsed.entries and not parsed.feed.get("title"):
        reason = getattr(parsed.get("bozo_exception"), "getMessage", lambda: "")() or "no entries"
        raise NotAFeed(f"not a valid feed: {reason}")
    issues: list[tuple[str, bool]] = []
    entries = []
    for number, e in enumerate(parsed.entries, 1):
        # dict.get: feedparser's own get maps a missing "updated" to "published", with a warning.
        updated = dict.get(e, "updated", "")
        written = e.get("published") or updated
        stamp = updated or written
        moment = e.get("published_parsed") or dict.get(e, "updated_parsed")
        published = dt.date(*moment[:3]) if moment else parse_date(written)
        authors = [a.get("name", "") for a in e.get("authors", [])] or [e.get("author", "")]
        content = max((c.get("value", "") for c in e.get("content", [])), key=len, default="")
        entry = _entry(number, e.get("id", ""), e.get("link", ""), url, e.get("title", ""), authors,
                       published, written, stamp, content, issues)
        if entry:
            entries.append(entry)
    return ParsedFeed(parsed.feed.get("title", ""), entries, issues=issues)


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        doc = json.loads(body.decode("utf-8-sig", errors="replace"))
    except json.JSONDecodeError as exc:
        raise NotAFeed(f"malformed JSON Feed: {exc.msg}") from None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(_JSON_FEED) \
            or not isinstance(doc.get("items"), list):
        raise NotAFeed("not a JSON Feed (no version or items)")
    issues: list[tuple[str, bool]] = []
    entries = []
    for number, item in enumerate(doc["items"], 1):
        if not isinstance(item, dict):
            issues.append((f"entry {number}: not a JSON object", True))
            continue
        people = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
        authors = [p.get("name", "") for p in people if isinstance(p, dict)]
        written = str(item.get("date_published") or item.get("date_modified") or "")
        stamp = str(item.get("date_modified") or written)
        content = item.get("content_html") or item.get("content_text") or ""
        entry = _entry(number, str(item.get("id", "")), str(item.get("url") or item.get("external_url") or ""), url,
                       str(item.get("title", "")), authors, parse_date(written), written, stamp, str(content), issues)
        if entry:
            entries.append(entry)
    return ParsedFeed(str(doc.get("title", "")), entries, issues=issues)


def _entry(number: int, key: str, link: str, base: str, title: str, authors: list[str], published: dt.date | None,
           written: str, stamp: str, content: str, issues: list[tuple[str, bool]]) -> FeedEntry | None:
    """One entry, or None with a line in ``issues`` when it has neither a usable link nor content."""
    absolute = clean_link(link, base) if link else ""
    if link and not absolute:
        issues.append((f"entry {number}: unusable link {link[:80]!r} (only http and https)", not content))
    if not absolute and not content.strip():
        if not link:
            issues.append((f"entry {number}: no link and no content", True))
        return None
    if written and published is None:
        issues.append((f"entry {number}: unparseable date {written!r}", False))
    return FeedEntry(key.strip() or absolute or f"{base}#{number}", absolute, title.strip(),
                     tuple(a.strip() for a in authors if a and a.strip()), published, stamp.strip(), content)


def _parse_opml(body: bytes, url: str) -> ParsedFeed:
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise NotAFeed(f"malformed OPML: {exc}") from None
    title = root.findtext("head/title") or ""
    feeds, issues = [], []
    for outline in root.iter("outline"):
        if raw := outline.get("xmlUrl"):
            if link := clean_link(raw, url):
                feeds.append(link)
            else:
                issues.append((f"outline {outline.get('text') or raw!r}: unusable feed URL {raw[:80]!r}", True))
    if not feeds and not issues:
        raise NotAFeed("OPML lists no feeds")
    return ParsedFeed(title, is_list=True, feeds=list(dict.fromkeys(feeds)), issues=issues)
