"""Turn files and directories of news (text, Markdown, HTML, JSON Lines) into Articles."""
from __future__ import annotations

import codecs
import datetime as dt
import errno
import gzip
import hashlib
import json
import os
import re
import zlib
from collections.abc import Iterable, Iterator

import trafilatura
from dateutil import parser as date_parser

from .cleaning import clean_text
from .hidden import visible_html
from .models import Article, LoadIssue, size_label

_TEXT = (".txt", ".md", ".markdown")
_HTML = (".html", ".htm")
_JSONL = (".jsonl", ".jsonl.gz")
_SNIFF_BYTES = 64 * 1024
# Ten times the longest RealTime QA article (100k characters), about 1,200 chunks and a minute
# of embedding; anything longer is a dump or junk, and would cost an hour at 50 MB.
MAX_ARTICLE_BYTES = 2**20
# UTF-16 text is full of NUL bytes, so its byte-order mark has to exempt it from the binary sniff.
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CONTROLS = bytes(b for b in range(32) if b not in b"\n\r\t\f")
_SPACES = re.compile(r"\s+")
# Terminal escape sequences (colours, a window title), then C0 and C1 control characters but tab,
# newline and carriage return.
_UNSHOWABLE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?)?"
                            r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Longer first lines of a text file are body, and longer headlines are cut: each chunk is embedded
# with its headline (a 540 KB first line made a 1,877-chunk, 2.9 GB store of a 300-word article).
MAX_TITLE_CHARS = 300
_ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?![\d])")
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
# Header/footer lines of a plain-text article; "By X" only counts when X looks like names,
# so that a body opening "By Tuesday, it was over." stays body.
_AUTHOR_LABEL = (("authors", re.compile(r"(?i)(?:authors?|by)\s*:\s*(.+)")),)
_META = (
    *_AUTHOR_LABEL,
    ("authors", re.compile(r"By\s+([A-Z][\w.'’-]*(?:(?:,\s*|\s+(?:and|&)\s+|\s+)[A-Z][\w.'’-]*){0,7})")),
    ("date", re.compile(r"(?i)(?:date|published(?: on)?)\s*:\s*(.+)")),
    ("url", re.compile(r"(?i)url\s*:\s*(\S+)")),
)

# Lines of a text file's end that may hold a labelled author line above an author's bio.
AUTHOR_BOX_LINES = 3
# A word ending a sentence, with any closing quote or bracket.
_SENTENCE_END = re.compile(r"\w[.!?…]['\"”’)\]]*(?:\s|$)")
# A first line labelled as the headline ("Title: ..."): the label is not part of it.
_TITLE_LABEL = re.compile(r"(?i)^(?:title|headline)\s*:\s*(?=\S)")

_Record = Article | LoadIssue


def load_paths(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    limit: int | None = None,
    max_file_bytes: int = 64 * 1024 * 1024,
    max_article_bytes: int = MAX_ARTICLE_BYTES,
) -> Iterator[Article | LoadIssue]:
    """Yield articles and load issues from files and directories (or one path), in a stable order.

    Directories are walked recursively in sorted order (hidden entries skipped, each real
    directory entered once). ``limit`` stops after that many articles. A file over
    ``max_file_bytes`` or an article over ``max_article_bytes`` is rejected; plain-text files
    and JSON lines are measured before they are read, so a huge one costs no time or memory.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if limit is not None and limit <= 0:
        return
    count = 0
    seen: set[str] = set()
    for path in paths:
        for item in _walk(os.fspath(path), seen, explicit=True):
            records = [item] if isinstance(item, LoadIssue) else _load_file(item, max_file_bytes, max_article_bytes)
            for record in records:
                yield record
                if isinstance(record, Article):
                    count += 1
                    if limit is not None and count >= limit:
                        return


def _walk(path: str, seen: set[str], explicit: bool) -> Iterator[str | LoadIssue]:
    if not os.path.exists(path):
        yield LoadIssue(path, _missing(path), fatal=explicit)
        return
    real = os.path.realpath(path)
    if real in seen:
        if os.path.islink(path):
            yield LoadIssue(path, f"symbolic link to {real}, already read: skipped", fatal=False)
        return
    seen.add(real)
    if not os.path.isdir(path):
        if _format(path):
            yield path
        else:
            yield LoadIssue(path, "unsupported file type", fatal=explicit)
        return
    try:
        names = sorted(os.listdir(path))
    except OSError as exc:
        yield LoadIssue(path, f"cannot read directory: {exc.strerror}")
        return
    for name in names:
        if not name.startswith("."):
            yield from _walk(os.path.join(path, name), seen, explicit=False)


def _missing(path: str) -> str:
    if not os.path.islink(path):
        return "no such file or directory"
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
    return "broken symbolic link"


def _format(path: str) -> str | None:
    name = path.lower()
    for suffix in _JSONL + _TEXT + _HTML:
        if name.endswith(suffix):
            return suffix
    return None


def _load_file(path: str, max_file_bytes: int, max_article_bytes: int) -> Iterator[_Record]:
    try:
        size = os.path.getsize(path)
        if size == 0:
            yield LoadIssue(path, "empty file")
        elif size > max_file_bytes:
            yield LoadIssue(path, f"file too large ({size_label(size)} > limit {size_label(max_file_bytes)})")
        elif _format(path) in _JSONL:
            yield from _load_jsonl(path, max_article_bytes)
        elif _format(path) in _TEXT and size > max_article_bytes:
            yield too_long(path, size, max_article_bytes)
        else:
            with open(path, "rb") as fh:
                data = fh.read()
            yield from _load_document(path, data, max_article_bytes)
    except OSError as exc:
        yield LoadIssue(path, f"cannot read file: {exc.strerror or exc}")


def too_long(path: str, size: int, limit: int, line: int | None = None) -> LoadIssue:
    return LoadIssue(path, f"article too large ({size_label(size)} > limit {size_label(limit)} per article)", line=line)


def _load_document(path: str, data: bytes, max_article_bytes: int) -> Iterator[_Record]:
    if is_binary(data) and not data.startswith(_UTF16_BOMS):
        yield LoadIssue(path, "binary file, not text")
        return
    text = decode(data)
    if _format(path) in _HTML:
        yield from parse_html(text, path, max_article_bytes)
    else:
        yield from _parse_text(text, path)


def is_binary(data: bytes) -> bool:
    """NUL bytes or many control characters in the first 64 KiB mean this is not text."""
    head = data[:_SNIFF_BYTES]
    if b"\0" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROLS))
    return controls > len(head) / 10


def decode(data: bytes) -> str:
    """UTF-8 (BOM or not), else Windows-1252, else Latin-1, which accepts any byte."""
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", errors="replace")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1")


def parse_date(raw: object) -> dt.date | None:
    """A calendar date from ISO / slashed / written-out forms; None unless a 4-digit year is given."""
    if not isinstance(raw, str) or not _YEAR.search(raw):
        return None
    raw = raw.strip()
    try:
        if m := _ISO_DATE.match(raw):
            return dt.date(*map(int, m.groups()))
        return date_parser.parse(raw, default=dt.datetime(2000, 1, 1)).date()
    except (ValueError, OverflowError):
        return None


def _parse_text(text: str, path: str) -> Iterator[_Record]:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None:
        yield LoadIssue(path, "no article text")
        return
    title = _TITLE_LABEL.sub("", lines[start].strip().lstrip("#").strip())
    body = lines[start + 1 :]
    if len(title) > MAX_TITLE_CHARS:
        title, body = "", lines[start:]
    meta: dict[str, str] = {}
    for edge in (0, -1):
        while body and (not body[edge].strip() or _take_meta(body[edge].strip(), meta)):
            body.pop(edge)
    if "authors" not in meta:  # an author box: "Author: X" over a line or two about X
        footer = [i for i, line in enumerate(body) if line.strip()][-AUTHOR_BOX_LINES:]
        labelled = [i for i in footer if _take_meta(body[i].strip(), meta, _AUTHOR_LABEL)]
        if labelled:
            body.pop(labelled[0])
    if not body:
        yield LoadIssue(path, "no article text")
        return
    published = parse_date(meta["date"]) if "date" in meta else None
    if "date" in meta and published is None:
        yield LoadIssue(path, f"unparseable date {meta['date']!r}", fatal=False)
    authors = split_authors(meta.get("authors", ""))
    yield build_article(title, "\n".join(body), meta.get("url", ""), authors, published, path)


def _take_meta(line: str, meta: dict[str, str], patterns: tuple = _META) -> bool:
    line = line.strip("*_ ")  # Markdown emphasis around a byline
    for key, pattern in patterns:
        if key not in meta and (m := pattern.fullmatch(line)):
            meta[key] = m.group(1).strip()
            return True
    return False


def parse_html(html: str, path: str, max_article_bytes: int, url: str = "") -> Iterator[_Record]:
    """The article of an HTML page; its URL is the page's canonical link, else ``url``."""
    doc = trafilatura.bare_extraction(visible_html(html), url=url or None, with_metadata=True, include_comments=False)
    # Not one sentence: what is left of a page of scripts and menus ("Home News"), not an article.
    if doc is None or not _SENTENCE_END.search(doc.text or ""):
        yield LoadIssue(path, "no article text found in HTML")
        return
    # Markup makes the file bigger than its article, so HTML is measured after extraction.
    if (size := len(doc.text.encode(errors="replace"))) > max_article_bytes:
        yield too_long(path, size, max_article_bytes)
        return
    title = doc.title or ""
    paragraphs = doc.text.splitlines()
    # trafilatura repeats the <h1> headline as the first line of the text.
    if paragraphs and _normalise(paragraphs[0]) == _normalise(title):
        paragraphs = paragraphs[1:]
    text = "\n\n".join(paragraphs)
    yield build_article(title, text, doc.url or url, split_authors(doc.author or ""), parse_date(doc.date), path)


def _load_jsonl(path: str, max_article_bytes: int) -> Iterator[_Record]:
    opener = gzip.open if path.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            head = _head(fh)
            if not head:
                yield LoadIssue(path, "empty file")
                return
            if is_binary(head):
                yield LoadIssue(path, "binary file, not text")
                return
            fh.seek(0)
            for number, (raw, size) in enumerate(_bounded_lines(fh, max_article_bytes), 1):
                if raw is None:
                    yield too_long(path, size, max_article_bytes, number)
                elif line := decode(raw).strip():
                    yield from _parse_jsonl_line(line, path, number)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        yield LoadIssue(path, f"corrupt gzip file: {exc}")


def _head(fh) -> bytes:
    """The first ``_SNIFF_BYTES`` bytes, or as many as come before a truncated gzip stream ends: the
    lines before the damage are still read."""
    head = b""
    try:
        while len(head) < _SNIFF_BYTES and (piece := fh.read(4096)):
            head += piece
    except EOFError:
        pass
    return head


def _bounded_lines(fh, limit: int) -> Iterator[tuple[bytes | None, int]]:
    """``(line, size)`` per line; a line over ``limit`` bytes comes as ``(None, size)``, never held whole.

    A gzip file's size says nothing of its lines, so memory is bounded here instead.
    """
    while raw := fh.readline(limit + 1):
        size = len(raw)
        if size <= limit:
            yield raw, size
            continue
        while not raw.endswith(b"\n") and (raw := fh.readline(2**20)):
            size += len(raw)
        yield None, size


def _parse_jsonl_line(line: str, path: str, number: int) -> Iterator[_Record]:
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        yield LoadIssue(path, f"malformed JSON: {getattr(exc, 'msg', 'nested too deeply')}", line=number)
        return
    if not isinstance(obj, dict):
        yield LoadIssue(path, "not a JSON object", line=number)
        return
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        yield LoadIssue(path, "missing article text", line=number)
        return
    raw_date = _first(obj, "published", "date")
    published = parse_date(raw_date)
    if raw_date is not None and published is None:
        yield LoadIssue(path, f"unparseable date {raw_date!r}", line=number, fatal=False)
    raw_authors = _first(obj, "authors", "author")
    authors = [str(a) for a in raw_authors] if isinstance(raw_authors, list) else split_authors(raw_authors)
    title, url = (v if isinstance(v, str) else "" for v in (obj.get("title"), obj.get("url")))
    yield build_article(title, text, url, authors, published, path, number)


def _first(obj: dict, *keys: str) -> object:
    return next((obj[k] for k in keys if obj.get(k) not in (None, "")), None)


def split_authors(raw: object) -> list[str]:
    return re.split(r"\s*(?:[;,&]|\band\b)\s*", raw) if isinstance(raw, str) else []


def _valid(s: str) -> str:
    """``s`` without what cannot be stored or shown as text: unpaired surrogates (a JSON "\\ud800", a
    file name that is not UTF-8) become "?", terminal escapes and control characters are dropped."""
    return _UNSHOWABLE.sub("", s.encode("utf-8", "replace").decode("utf-8"))


def _normalise(s: str) -> str:
    return _SPACES.sub(" ", s).strip().lower()


def build_article(
    title: str,
    text: str,
    url: str,
    authors: Iterable[str],
    published: dt.date | None,
    path: str,
    line: int | None = None,
) -> _Record:
    title, text, url, path = (_valid(s) for s in (title, text, url, path))
    text = clean_text(text)
    if not text:
        return LoadIssue(path, "no article text after cleaning", line=line)
    title = _SPACES.sub(" ", title).strip()
    if len(title) > MAX_TITLE_CHARS:  # every chunk carries its headline: a page of it is not one
        title = title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] + " …"
    url = url.strip()
    authors = [_valid(a) for a in authors]
    digest = hashlib.sha256(f"{_normalise(title)}\n{_normalise(text)}".encode()).hexdigest()[:16]
    names = tuple(dict.fromkeys(n for n in (_SPACES.sub(" ", a).strip() for a in authors) if n))
    return Article(
        id=url or f"sha:{digest}",
        title=title,
        text=text,
        url=url,
        authors=names,
        published=published,
        source=f"{path}:{line}" if line else path,
    )
