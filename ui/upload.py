"""Adding articles from the UI: uploaded files one by one, or one pasted article, with a result per item."""
from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from qa import Assistant, IngestReport, LoadIssue

from .render import FileResult

MAX_REASONS = 3
Progress = Callable[[tuple[int, int], str], None]


def ingest_files(assistant: Assistant, paths: Sequence[str], progress: Progress | None = None) -> list[FileResult]:
    """Ingest each file on its own, so each gets its own verdict; ``progress`` hears about each file."""
    rows = []
    for i, path in enumerate(paths):
        name = Path(path).name
        if progress:
            progress((i, len(paths)), f"ingesting {name}")
        issues: list[LoadIssue] = []
        report = assistant.ingest([path], on_issue=issues.append)
        rows.append(verdict(name, report, issues))
    if progress:
        progress((len(paths), len(paths)), "done")
    return rows


def ingest_pasted(assistant: Assistant, title: str, text: str, date: str = "", url: str = "") -> FileResult:
    """Ingest one pasted article; a JSON Lines file keeps title, text, date and URL exactly as typed."""
    record = {"title": title.strip(), "text": text, "date": date.strip() or None, "url": url.strip()}
    with tempfile.TemporaryDirectory(prefix="newsqa-paste-") as tmp:
        path = Path(tmp) / "pasted.jsonl"
        path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
        issues: list[LoadIssue] = []
        report = assistant.ingest([path], on_issue=issues.append)
    return verdict(title.strip() or "pasted article", report, issues)


def verdict(name: str, report: IngestReport, issues: list[LoadIssue]) -> FileResult:
    """ingested / replaced / updated / duplicate / rejected, with counts or the loader's reasons."""
    fatal = [i for i in issues if i.fatal]
    warnings = [i for i in issues if not i.fatal]
    if report.articles:
        status = "replaced" if report.replaced == report.articles else "ingested"
        detail = f"{report.articles} article(s), {report.chunks} chunks"
        if report.skipped:
            detail += f"; {report.skipped} unchanged"
        if fatal:
            detail += f"; {len(fatal)} rejected: {_reasons(fatal)}"
    elif report.updated:
        status, detail = "updated", f"{report.updated} article(s) already in the store, date, byline or address updated"
    elif report.skipped:
        status, detail = "duplicate", f"{report.skipped} article(s) already in the store, unchanged"
    else:
        status, detail = "rejected", _reasons(fatal) or "no article found"
    if warnings:
        detail += f"; warnings: {_reasons(warnings)}"
    return FileResult(name, status, detail)


def _reasons(issues: list[LoadIssue]) -> str:
    shown = [f"line {i.line}: {i.message}" if i.line else i.message for i in issues[:MAX_REASONS]]
    more = f" (and {len(issues) - MAX_REASONS} more)" if len(issues) > MAX_REASONS else ""
    return "; ".join(shown) + more
