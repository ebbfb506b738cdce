"""Articles from the web, as the same Article/LoadIssue stream file ingest reads: URLs given to ingest
(article pages, feeds, OPML lists), and followed feeds refreshed with conditional requests.

Pages are fetched by a few workers, in order, a bounded window ahead of the consumer, so fetching
overlaps embedding as file loading does. An error is a LoadIssue naming the URL; the run goes on.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from .feeds import FeedEntry, NotAFeed, ParsedFeed, parse_feed, sniff
from .fetching import PAGE_TYPES, FetchError, Fetcher, Response
from .models import Article, Feed, FeedResult, LoadIssue, size_label
from .pages import decode_page, entry_article, feed_links, html_to_text, page_date, page_records

Record = Article | LoadIssue
# An entry's own content is the article from this many characters of text on; a shorter one is a
# teaser, and the linked page is read instead.
MIN_FULL_TEXT = 300
# A date further ahead is a typo or an embargo, not a publication date: "as of" must not trust it.
FUTURE_SLACK = dt.timedelta(days=1)
# A subscription list read from disk is small; a bigger file is not one.
MAX_LIST_BYTES = 2**20


@dataclass(frozen=True)
class _Job:
    """One entry to read: its own ``text`` when that is the article, and whether its page is needed."""

    feed: str
    entry: FeedEntry
    text: str
    page: bool


@dataclass
class _Tally:
    entries: int = 0
    read: int = 0
    errors: int = 0
    transient: bool = False  # an error a later try may not meet: ask for the whole feed again next time


def load_urls(urls: Iterable[str], fetcher: Fetcher, workers: int = 4, today: dt.date | None = None) -> Iterator[Record]:
    """Articles from article pages, feeds (every entry) and OPML lists (every feed listed)."""
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="fetch") as pool:
        reader = _Reader(fetcher, pool, 2 * max(1, workers), today or dt.date.today())
        for url in urls:
            yield from reader.url(url)


def refresh_feeds(feeds: Iterable[Feed], fetcher: Fetcher, done: Callable[[Feed, FeedResult], None],
                  workers: int = 4, today: dt.date | None = None) -> Iterator[Record]:
    """Articles new or changed since each feed's last refresh; ``done(feed_after, result)`` per feed
    once its articles are all yielded (store ``feed_after`` once they are stored)."""
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="fetch") as pool:
        reader = _Reader(fetcher, pool, 2 * max(1, workers), today or dt.date.today())
        for feed in feeds:
            yield from reader.refresh(feed, done)


def discover(source: str, fetcher: Fetcher) -> tuple[list[Feed], list[LoadIssue]]:
    """The feeds to follow for ``source``: itself when it is a feed, those it lists when it is an OPML
    list (a URL, or a file on disk), the feed it announces when it is a web page."""
    try:
        if os.path.isfile(source):
            if (size := os.path.getsize(source)) > MAX_LIST_BYTES:
                raise NotAFeed(f"file too large for a subscription list ({size_label(size)})")
            with open(source, "rb") as fh:
                parsed = parse_feed(fh.read(), "")
            if not parsed.is_list:
                raise NotAFeed("a feed file: follow the feed's URL instead")
        else:
            response = fetcher.fetch(source)
            if sniff(response.body, response.content_type) == "page":
                # A site's page names its feeds; the first is its main one by convention.
                if announced := feed_links(decode_page(response), response.url):
                    return [Feed(announced[0])], []
                raise NotAFeed("not a feed, and the page names none")
            parsed = parse_feed(response.body, response.url, response.content_type)
    except (FetchError, NotAFeed, OSError) as exc:
        return [], [LoadIssue(source, str(exc))]
    issues = [LoadIssue(source, message, fatal=fatal) for message, fatal in parsed.issues if parsed.is_list]
    return ([Feed(url) for url in parsed.feeds] if parsed.is_list else [Feed(source, parsed.title)]), issues


class _Reader:
    def __init__(self, fetcher: Fetcher, pool: ThreadPoolExecutor, window: int, today: dt.date) -> None:
        self.fetcher, self.pool, self.window, self.today = fetcher, pool, window, today

    def url(self, url: str, lists: bool = True) -> Iterator[Record]:
        """A page's article, a feed's entries, or (``lists``) the entries of every feed an OPML list names."""
        try:
            response = self.fetcher.fetch(url)
            if sniff(response.body, response.content_type) == "page":
                yield from self._trusted(_guarded(url, lambda: page_records(response, url)))
                return
            parsed = parse_feed(response.body, response.url, response.content_type)
            if parsed.is_list and not lists:
                raise NotAFeed("a subscription list inside a subscription list: skipped")
        except (FetchError, NotAFeed) as exc:
            yield LoadIssue(url, str(exc))
            return
        if parsed.is_list:
            yield from (LoadIssue(url, message, fatal=fatal) for message, fatal in parsed.issues)
            for feed_url in parsed.feeds:
                yield from self.url(feed_url, lists=False)
        else:
            yield from self._entries(url, parsed, None, {}, _Tally())

    def refresh(self, feed: Feed, done: Callable[[Feed, FeedResult], None]) -> Iterator[Record]:
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        try:
            response = self.fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
            parsed = None if response.not_modified else parse_feed(response.body, response.url, response.content_type)
            if parsed is not None and parsed.is_list:
                raise NotAFeed("a subscription list, not a feed: follow it again to follow its feeds")
        except (FetchError, NotAFeed) as exc:
            yield LoadIssue(feed.url, str(exc))
            result = FeedResult(feed.url, "error", message=str(exc))
            done(dataclasses.replace(feed, fetched=now, result=str(result)), result)
            return
        if parsed is None:
            result = FeedResult(feed.url, "unchanged")
            done(dataclasses.replace(feed, fetched=now, result=str(result)), result)
            return
        tally, seen = _Tally(), {}
        yield from self._entries(feed.url, parsed, feed.seen, seen, tally)
        result = FeedResult(feed.url, "updated", tally.entries, tally.read, tally.errors)
        # After a transient error the old validators stay, so the next refresh reads the feed again.
        validators = {} if tally.transient else {"etag": response.etag, "last_modified": response.last_modified}
        done(dataclasses.replace(feed, title=parsed.title or feed.title, fetched=now, result=str(result),
                                 seen=seen, **validators), result)

    def _entries(self, source: str, parsed: ParsedFeed, previous: dict[str, str] | None, seen: dict[str, str],
                 tally: _Tally) -> Iterator[Record]:
        """The feed's articles; ``previous``: entries read before (key -> stamp), whose pages are not
        fetched again unless their stamp changed; ``seen`` receives the entries read now or before."""
        for message, fatal in parsed.issues:
            tally.errors += fatal
            yield LoadIssue(source, message, fatal=fatal)
        tally.entries = len(parsed.entries)
        jobs = []
        for entry in parsed.entries:
            text = html_to_text(entry.content) if entry.content else ""
            full = len(text) >= MIN_FULL_TEXT or (bool(text) and not entry.link)
            # An entry without a date takes its page's date.
            page = bool(entry.link) and (not full or entry.published is None)
            if page and previous is not None and previous.get(entry.key) == entry.stamp:
                seen[entry.key] = entry.stamp
                continue
            jobs.append(_Job(source, entry, text if full else "", page))
        for job, (records, transient) in _in_order(self.pool, self._read, jobs, self.window):
            tally.transient |= transient
            tally.read += sum(isinstance(r, Article) for r in records)
            tally.errors += sum(isinstance(r, LoadIssue) and r.fatal for r in records)
            if any(isinstance(r, Article) for r in records):
                seen[job.entry.key] = job.entry.stamp
            yield from records

    def _read(self, job: _Job) -> tuple[list[Record], bool]:
        """One entry's records, and whether an error in them is transient."""
        entry, response = job.entry, None
        if job.page:
            try:
                response = self.fetcher.fetch(entry.link, PAGE_TYPES)
            except FetchError as exc:
                if not job.text:
                    return [LoadIssue(entry.link, str(exc))], exc.transient
                issue = LoadIssue(entry.link, f"page not read for its date: {exc}", fatal=False)
                return [issue, *self._trusted([entry_article(entry, job.text, job.feed, None)])], exc.transient
        return self._trusted(_guarded(entry.link or job.feed, lambda: self._article(job, response))), False

    @staticmethod
    def _article(job: _Job, response: Response | None) -> list[Record]:
        if job.text:
            published = job.entry.published or (page_date(response) if response else None)
            return [entry_article(job.entry, job.text, job.feed, published)]
        return page_records(response, job.entry.link, job.entry)

    def _trusted(self, records: list[Record]) -> list[Record]:
        """The records, a date more than a day ahead of today dropped with a warning."""
        out: list[Record] = []
        for r in records:
            if isinstance(r, Article) and r.published and r.published > self.today + FUTURE_SLACK:
                out.append(LoadIssue(r.url or r.source, f"date {r.published} is in the future: "
                                     "stored as date unknown", fatal=False))
                r = dataclasses.replace(r, published=None)
            out.append(r)
        return out


def _guarded(source: str, read: Callable[[], list[Record]]) -> list[Record]:
    """``read()``, or one line naming ``source`` if it raises: a parser tripping over one hostile page
    must not end the run."""
    try:
        return read()
    except Exception as exc:  # noqa: BLE001 (any parser error, reported per page)
        return [LoadIssue(source, f"unreadable: {exc.__class__.__name__}: {exc}")]


def _in_order(pool: ThreadPoolExecutor, work: Callable, jobs: list, window: int) -> Iterator[tuple]:
    """``(job, work(job))`` in the jobs' order, at most ``window`` of them running or done ahead."""
    pending: deque[tuple[object, Future]] = deque()
    try:
        for job in jobs:
            pending.append((job, pool.submit(work, job)))
            if len(pending) >= window:
                first, future = pending.popleft()
                yield first, future.result()
        while pending:
            first, future = pending.popleft()
            yield first, future.result()
    finally:
        for _, future in pending:  # the consumer went away: fetch no more
            future.cancel()
