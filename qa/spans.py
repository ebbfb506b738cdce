"""A fragment answer as its source writes it: "19 million", cited from "paid a record $19 million",
is "$19 million"; "Liz Cheney", cited from "Rep. Liz Cheney said", is "Rep. Liz Cheney". The
widened answer keeps the model's words and adds only the source's adjoining symbol, unit or title.
"""
from __future__ import annotations

import re

from .answer_type import TIME_WORDS
from .evidence import STOP
from .tokens import WORD

# Capitalised words before a name that belong to it ("Gov.", "Prince", "Former President"), at most
# this many ("Chief Justice John" before "Roberts").
TITLE_WORDS = 3
_CURRENCY = "$£€¥"
_TITLE = re.compile(r"[A-Z][\w-]*\.?")
# Capitalised but not part of a name: function words, and the days and months that open clauses
# ("On Tuesday Prince William ...").
_NOT_TITLES = STOP | TIME_WORDS
_UNIT = re.compile(r"\s*(?:%|percent\b|per cent\b)")


def source_span(fragment: str, sentences: list[str]) -> str:
    """``fragment`` as the first of ``sentences`` holding it writes it, widened over an adjoining
    currency sign, percent sign or "percent", and, before a name, the capitalised titles before it;
    unchanged when none holds it."""
    found = WORD.findall(fragment)
    if not found:
        return fragment
    pattern = re.compile(r"(?<!\w)" + r"[\W_]+".join(map(re.escape, found)) + r"(?!\w)", re.IGNORECASE)
    for text in sentences:
        if m := pattern.search(text):
            start, end = m.start(), m.end()
            if unit := _UNIT.match(text, end):
                end = unit.end()
            if start and text[start - 1] in _CURRENCY:
                start -= 1
            return text[_titles_start(text, start) if found[0][0].isupper() else start:end]
    return fragment


def _titles_start(text: str, start: int) -> int:
    """Where the capitalised titles directly before ``start`` begin ("Florida Gov. Ron DeSantis")."""
    for _ in range(TITLE_WORDS):
        before = text[:start]
        m = re.search(r"(\S+)\s+$", before)
        if not m or not _TITLE.fullmatch(m.group(1)) or m.group(1).lower().rstrip(".") in _NOT_TITLES:
            break
        start = m.start(1)
    return start
