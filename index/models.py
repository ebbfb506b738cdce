"""Typed records, and the store's error, that cross module boundaries in the ingest pipeline."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field


def date_label(day: dt.date | None) -> str:
    """How a publication date is shown: ISO, or "date unknown" (missing dates are allowed)."""
    return day.isoformat() if day else "date unknown"


def size_label(n: int) -> str:
    """A byte count as limits are reported: MB from 1 MiB on."""
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n} bytes"


# Control characters a message shows escaped, so that it stays one line.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Article:
    """One cleaned news article, ready to be chunked.

    ``id`` is the URL when there is one, else a hash of the normalised title and text,
    so that articles sharing a boilerplate body under different URLs stay separate.
    """

    id: str
    title: str
    text: str
    url: str = ""
    authors: tuple[str, ...] = ()
    published: dt.date | None = None
    source: str = ""

    @property
    def text_hash(self) -> str:
        """Fingerprint of what gets indexed: a change means the stored copy is stale."""
        return hashlib.sha256(f"{self.title}\n{self.text}".encode()).hexdigest()[:16]

    @property
    def full_text(self) -> str:
        """What is chunked and what citation offsets index: the headline, a blank line, the body.

        Some answers appear only in a headline, so the headline is quotable like any sentence.
        """
        return f"{self.title}\n\n{self.text}" if self.title else self.text

    @property
    def date_label(self) -> str:
        return date_label(self.published)


@dataclass(frozen=True)
class LoadIssue:
    """A file or line that could not be turned into an article (or a warning about one)."""

    source: str
    message: str
    line: int | None = None
    fatal: bool = True

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        kind = "error" if self.fatal else "warning"
        return _CONTROLS.sub(lambda m: repr(m.group())[1:-1], f"{kind}: {where}: {self.message}")


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of one article; ``text == article.full_text[start:end]``."""

    article_id: str
    index: int
    text: str
    start: int
    end: int


@dataclass
class IngestReport:
    """What one ingest run did, for the summary line and the API."""

    articles: int = 0
    chunks: int = 0
    skipped: int = 0
    replaced: int = 0
    updated: int = 0  # same text stored, its date, byline or address rewritten
    rejected: int = 0
    seconds: float = 0.0
    issues: list[LoadIssue] = field(default_factory=list)
    # Busy seconds per stage ("load+clean", "chunk", "embed", "insert", "bm25"); stages overlap.
    stages: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        rate = self.chunks / self.seconds if self.seconds else 0.0
        return (
            f"ingested {self.articles} articles ({self.chunks} chunks, {rate:.1f} chunks/s), "
            f"skipped {self.skipped} unchanged, replaced {self.replaced}, "
            f"{f'metadata updated {self.updated}, ' if self.updated else ''}"
            f"rejected {self.rejected}, in {self.seconds:.1f}s"
        )


@dataclass(frozen=True)
class ReindexReport:
    """What a reindex did: every chunk re-embedded from one numeric variant to another."""

    chunks: int
    variant_before: str
    variant_after: str
    seconds: float

    def summary(self) -> str:
        return (f"re-embedded {self.chunks} chunks ({self.variant_before} -> {self.variant_after}) "
                f"in {self.seconds:.1f}s")


@dataclass(frozen=True)
class StoredArticle:
    """An article as the store lists it."""

    id: str
    title: str
    url: str
    published: dt.date | None
    chunks: int
    text_hash: str
    source: str

    @property
    def date_label(self) -> str:
        return date_label(self.published)


class StoreMismatch(RuntimeError):
    """The store was built with another embedding model or chunker."""


@dataclass(frozen=True)
class Feed:
    """A followed feed as the store keeps it, with what the next refresh needs to ask only for news."""

    url: str
    title: str = ""
    etag: str = ""
    last_modified: str = ""
    fetched: str = ""  # when it was last fetched, UTC ISO 8601 ("" never)
    result: str = ""  # the last refresh's one-line outcome
    # Entries whose pages were read, by entry key: the entry's updated stamp then. A refresh fetches
    # the page of an entry only when it is new or its stamp changed.
    seen: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedResult:
    """What one refresh did with one feed."""

    url: str
    status: str  # "updated", "unchanged" (304 Not Modified) or "error"
    entries: int = 0
    read: int = 0  # articles read from its entries and pages (ingest then skips unchanged ones)
    errors: int = 0  # entries or pages rejected, each with its own error line
    message: str = ""  # why, for "error"

    @property
    def detail(self) -> str:
        """What came of it, in a few words."""
        if self.status == "error":
            return self.message
        if self.status == "unchanged":
            return "not modified"
        rejected = f", {self.errors} rejected" if self.errors else ""
        return f"{_count(self.entries, 'entry', 'entries')}, {_count(self.read, 'article')} read{rejected}"

    def __str__(self) -> str:
        return f"{'error: ' if self.status == 'error' else ''}{self.url}: {self.detail}"


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


@dataclass
class RefreshReport:
    """One refresh of the followed feeds: a result per feed, and the ingest of what they brought."""

    feeds: list[FeedResult]
    ingest: IngestReport
