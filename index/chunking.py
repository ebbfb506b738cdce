"""Sentence splitting with character offsets, and packing sentences into embedder-sized chunks."""
from __future__ import annotations

import re
from typing import Protocol

from .models import Article, Chunk

# Words whose trailing period does not end a sentence in news copy.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st sen rep gov gen lt col maj sgt capt adm cmdr jr sr inc corp co ltd "
    "vs etc jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e a.m p.m".split()
)
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then whitespace.
_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_PARAGRAPH = re.compile(r"\n\s*")


class TokenCounter(Protocol):
    def count(self, texts: list[str]) -> list[int]: ...


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` spans of the sentences of ``text``, whitespace excluded.

    Line breaks always end a sentence (headlines, bylines and list items have no full stop).
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for para in _PARAGRAPH.split(text):
        start = text.find(para, pos) if para else pos
        if para.strip():
            spans.extend(_split_paragraph(text, start, start + len(para)))
        pos = start + len(para)
    return spans


def _split_paragraph(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    sent_start = start
    for m in _END.finditer(text, start, end):
        cut = m.end()
        nxt = text[cut:end].lstrip()
        if not nxt or not (nxt[0].isupper() or nxt[0].isdigit() or nxt[0] in "\"'“‘("):
            continue
        if m.group().startswith(".") and len(m.group().rstrip("\"'”’)]")) == 1 and _is_abbreviation(text, sent_start, m.start()):
            continue
        spans.append(_trim(text, sent_start, cut))
        sent_start = cut
    if text[sent_start:end].strip():
        spans.append(_trim(text, sent_start, end))
    return spans


def _is_abbreviation(text: str, sent_start: int, dot: int) -> bool:
    word = re.search(r"[\w.]+$", text[sent_start:dot])
    if not word:
        return False
    w = word.group().lower()
    # Single-letter initials ("J. Smith") and dotted acronyms ("U.S.") are not ends.
    return w in _ABBREVIATIONS or len(w) == 1 or bool(re.fullmatch(r"(\w\.)+\w", w))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def chunk_article(article: Article, counter: TokenCounter, max_tokens: int = 200, overlap: int = 1) -> list[Chunk]:
    """Pack whole sentences into chunks of at most ``max_tokens`` word-pieces.

    Consecutive chunks share up to ``overlap`` sentences so that a fact straddling a boundary
    is still retrievable. A sentence longer than the budget is cut at word boundaries.
    """
    text = article.full_text
    spans = [p for s in split_sentences(text) for p in _fit(text, s, counter, max_tokens)]
    if not spans:
        return []
    sizes = counter.count([text[a:b] for a, b in spans])
    chunks: list[Chunk] = []
    i = 0
    while i < len(spans):
        j, total = i, 0
        while j < len(spans) and (j == i or total + sizes[j] <= max_tokens):
            total += sizes[j]
            j += 1
        chunks.append(Chunk(article.id, len(chunks), text[spans[i][0]:spans[j - 1][1]], spans[i][0], spans[j - 1][1]))
        if j >= len(spans):
            break
        # Step back for overlap, but always advance, and keep overlap under half the budget.
        back = min(overlap, j - i - 1)
        while back and sum(sizes[j - back:j]) > max_tokens // 2:
            back -= 1
        i = j - back
    return chunks


def _fit(text: str, span: tuple[int, int], counter: TokenCounter, max_tokens: int) -> list[tuple[int, int]]:
    """Split one over-long sentence into word-boundary pieces that each fit the budget."""
    start, end = span
    if counter.count([text[start:end]])[0] <= max_tokens:
        return [span]
    words = [m.span() for m in re.finditer(r"\S+", text[start:end])]
    counts = counter.count([text[start + a:start + b] for a, b in words])
    pieces, first, total = [], 0, 0
    for k, c in enumerate(counts):
        if total + c > max_tokens and k > first:
            pieces.append((start + words[first][0], start + words[k - 1][1]))
            first, total = k, 0
        total += c
    pieces.append((start + words[first][0], start + words[-1][1]))
    return pieces
