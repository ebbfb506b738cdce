"""Following feeds from the UI: follow one (or an OPML list's), refresh now, a result row per feed."""
from __future__ import annotations

from qa import Assistant, LoadIssue

from .render import FileResult

MAX_ISSUES = 10


def follow(assistant: Assistant, url: str) -> list[FileResult]:
    """Follow a feed URL, or every feed of an OPML list; a row per feed followed, or why not."""
    issues: list[LoadIssue] = []
    followed = assistant.follow(url, on_issue=issues.append)
    rows = [FileResult(f.url, "followed", f.title or "its articles come with the next refresh") for f in followed]
    if not followed and not issues:
        rows.append(FileResult(url, "duplicate", "already followed"))
    return rows + _issue_rows(issues)


def refresh(assistant: Assistant) -> list[FileResult]:
    """Refresh every followed feed now: a row per feed, then the ingest's summary and its first errors."""
    issues: list[LoadIssue] = []
    report = assistant.refresh(on_issue=issues.append)
    if not report.feeds:
        return [FileResult("no feeds", "rejected", "follow a feed first")]
    rows = [FileResult(r.url, "failed" if r.status == "error" else r.status, r.detail) for r in report.feeds]
    rows.append(FileResult("all feeds", "ingested", report.ingest.summary()))
    feed_errors = {r.url for r in report.feeds if r.status == "error"}  # already on their feed's row
    return rows + _issue_rows([i for i in issues if i.source not in feed_errors])


def _issue_rows(issues: list[LoadIssue]) -> list[FileResult]:
    rows = [FileResult(i.source, "rejected" if i.fatal else "warning", i.message) for i in issues[:MAX_ISSUES]]
    if len(issues) > MAX_ISSUES:
        rows.append(FileResult("…", "rejected", f"and {len(issues) - MAX_ISSUES} more"))
    return rows
