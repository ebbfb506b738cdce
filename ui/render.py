"""HTML for the chat: answers with ``[n]`` links, citation cards, abstentions, ingest results.

Every piece of article or user text goes through ``html.escape``; the only markup is built here.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

from qa import Answer, Citation, Feed, Passage, StoredArticle
from qa.markers import MARKER, cited

SNIPPET_CHARS = 280
MAX_CLOSEST = 3

CSS = """
.nq-chat { display: flex; flex-direction: column; gap: 14px; }
.nq-user { align-self: flex-end; max-width: 80%; background: #e8f0fe; color: #1a1a1a;
  padding: 8px 12px; border-radius: 12px; white-space: pre-wrap; }
.nq-searched { font-size: 0.8em; color: #666; margin-top: 2px; }
.nq-answer, .nq-abstained, .nq-error { border-left: 4px solid #2e7d32; padding: 8px 12px; background: #f6fbf6;
  color: #1a1a1a; border-radius: 6px; }
.nq-abstained { border-left-color: #e0a000; background: #fff8e1; }
.nq-error { border-left-color: #c62828; background: #fdecea; }
.nq-text { font-size: 1.05em; margin: 0 0 6px 0; white-space: pre-wrap; }
.nq-status { font-size: 0.8em; color: #666; margin-bottom: 6px; }
.nq-closest { font-size: 0.9em; margin-top: 6px; }
.nq-cite { text-decoration: none; font-weight: 600; }
.nq-card { border: 1px solid #ddd; border-radius: 6px; padding: 6px 10px; margin: 6px 0; background: #fff;
  scroll-margin-top: 60px; }
.nq-card:target { outline: 2px solid #1565c0; }
.nq-card-head { font-size: 0.9em; }
.nq-passage { font-size: 0.9em; white-space: pre-wrap; margin: 4px 0 0 0; color: #333; }
.nq-passage mark { background: #fff176; padding: 0 1px; }
.nq-results { width: 100%; font-size: 0.9em; border-collapse: collapse; }
.nq-results td { padding: 2px 6px; border-top: 1px solid #eee; vertical-align: top; }
.nq-ingested, .nq-replaced { color: #2e7d32; font-weight: 600; }
.nq-duplicate { color: #8a6d00; font-weight: 600; }
.nq-rejected, .nq-failed { color: #c62828; font-weight: 600; }
.nq-removed, .nq-unchanged { color: #555; font-weight: 600; }
.nq-followed, .nq-updated { color: #2e7d32; font-weight: 600; }
.nq-warning { color: #8a6d00; font-weight: 600; }
"""


@dataclass
class Turn:
    """One question in the conversation and what has been answered so far."""

    question: str
    searched: str  # after follow-up rewriting; what retrieval saw
    answer: Answer | None = None
    done: bool = False
    stopped: bool = False
    error: str = ""


@dataclass(frozen=True)
class FileResult:
    """What happened to one uploaded file, pasted article or followed feed."""

    name: str
    # "ingested", "replaced", "duplicate", "rejected", "removed", "warning"; for feeds "followed",
    # "updated", "unchanged" or "failed"
    status: str
    detail: str


def chat(turns: list[Turn]) -> str:
    if not turns:
        return '<div class="nq-chat"><p class="nq-status">Ask a question about the stored articles.</p></div>'
    return '<div class="nq-chat">' + "".join(turn(i, t) for i, t in enumerate(turns)) + "</div>"


def turn(i: int, t: Turn) -> str:
    searched = f'<div class="nq-searched">searched as: {escape(t.searched)}</div>' if t.searched != t.question else ""
    parts = [f'<div class="nq-user">{escape(t.question)}{searched}</div>']
    done = ' data-done="1"' if t.done else ""
    if t.error:
        parts.append(f'<div class="nq-error" data-turn="{i}"{done}>{escape(t.error)}</div>')
    elif t.answer is None:
        parts.append(f'<div class="nq-answer" data-turn="{i}"{done}><p class="nq-status">'
                     f'{"stopped" if t.stopped else "Searching…"}</p></div>')
    else:
        parts.append(answer(i, t.answer, _status(t), t.done))
    return "".join(parts)


def _status(t: Turn) -> str:
    a = t.answer
    if t.stopped:
        return "stopped"
    if not t.done:
        return "extractive answer; the model is still writing…" if a.mode == "extract" and a.model else "writing…"
    if a.abstained:
        how = "no retrieved passage supports an answer"
    else:
        how = "quoted from the sources" if a.mode == "extract" else f"written by {a.model}, every sentence verified" + (
            " by word overlap only" if a.checked == "words" else "")
    return f"{how} · {a.seconds:.1f}s"


def answer(i: int, a: Answer, status: str, done: bool = True) -> str:
    """The answer text with ``[n]`` linked to its card, then the cards (or, abstaining, the closest passages)."""
    kind = "nq-abstained" if a.abstained else "nq-answer"
    numbers = {c.n for c in a.citations}
    text = MARKER.sub(lambda m: "".join(_cite_link(i, n) if n in numbers else f"[{n}]" for n in cited(m)), escape(a.text))
    done_attr = ' data-done="1"' if done else ""
    parts = [f'<div class="{kind}" data-turn="{i}"{done_attr}><p class="nq-text">{text}</p>',
             f'<div class="nq-status">{escape(status)}</div>']
    parts += [card(i, c) for c in a.citations]
    if a.abstained and a.passages:
        parts.append('<div class="nq-closest">Closest passages:</div>')
        parts += [closest(p) for p in _one_per_article(a.passages)[:MAX_CLOSEST]]
    return "".join(parts) + "</div>"


def _cite_link(i: int, n: int) -> str:
    return f'<a class="nq-cite" href="#{_card_id(i, n)}">[{n}]</a>'


def _card_id(i: int, n: int) -> str:
    return f"nq-t{i}-c{n}"


def card(i: int, c: Citation) -> str:
    """Title, date, source link and the passage with the supporting span in ``<mark>``."""
    a, b = c.start - c.passage_start, c.end - c.passage_start
    passage = f"{escape(c.passage[:a])}<mark>{escape(c.passage[a:b])}</mark>{escape(c.passage[b:])}"
    return (f'<div class="nq-card" id="{_card_id(i, c.n)}"><div class="nq-card-head"><b>[{c.n}] {escape(c.title)}</b>'
            f" · {escape(c.date_label)}{_link(c.url)}</div><p class=\"nq-passage\">{passage}</p></div>")


def closest(p: Passage) -> str:
    snippet = p.text if len(p.text) <= SNIPPET_CHARS else p.text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return (f'<div class="nq-card"><div class="nq-card-head"><b>{escape(p.title)}</b> · {escape(p.date_label)}'
            f'{_link(p.url)}</div><p class="nq-passage">{escape(snippet)}</p></div>')


def _one_per_article(passages: list[Passage]) -> list[Passage]:
    first: dict[str, Passage] = {}
    for p in passages:
        first.setdefault(p.article_id, p)
    return list(first.values())


def _link(url: str) -> str:
    # Only web links: a "javascript:" URL from an article must never become clickable.
    if not url.lower().startswith(("http://", "https://")):
        return ""
    u = escape(url, quote=True)
    return f' · <a href="{u}" target="_blank" rel="noopener noreferrer nofollow">{escape(url)}</a>'


def _table(rows: Iterable[Sequence[str | tuple[str, str]]]) -> str:
    """Rows of cells (HTML, or ``(HTML, css class)``) as the panel's small table."""
    def cell(c: str | tuple[str, str]) -> str:
        return f'<td class="{c[1]}">{c[0]}</td>' if isinstance(c, tuple) else f"<td>{c}</td>"

    body = "".join("<tr>" + "".join(cell(c) for c in row) + "</tr>" for row in rows)
    return f'<table class="nq-results">{body}</table>'


def results(rows: list[FileResult]) -> str:
    """Per-file ingest results as a small table."""
    if not rows:
        return ""
    return _table([escape(r.name), (escape(r.status), f"nq-{escape(r.status)}"), escape(r.detail)] for r in rows)


def feeds(items: list[Feed]) -> str:
    """The followed feeds, each with when it was last fetched and what came of it."""
    if not items:
        return '<p class="nq-status">No feeds followed yet.</p>'
    return _table([["feed", "last fetched", "result"]] +
                  [[escape(f.title or f.url) + _link(f.url), escape(_when(f.fetched)), escape(f.result)] for f in items])


def _when(fetched: str) -> str:
    return dt.datetime.fromisoformat(fetched).strftime("%Y-%m-%d %H:%M UTC") if fetched else "never"


def stats(values: dict[str, object]) -> str:
    return _table([escape(str(k)), escape(str(v))] for k, v in values.items())


def articles(items: list[StoredArticle]) -> str:
    """The stored articles, newest first (undated last)."""
    if not items:
        return '<p class="nq-status">No articles yet: upload some.</p>'
    items = sorted(items, key=lambda a: (a.published is not None, a.published), reverse=True)
    rows = ([escape(a.date_label), escape(a.title or a.id) + _link(a.url), f"{a.chunks} chunks"] for a in items)
    return f'<div style="max-height: 320px; overflow-y: auto">{_table(rows)}</div>'
