"""Normalised text matching for scoring: typographic quotes and dashes straightened, case folded."""
from __future__ import annotations

import re

from qa import tokens

_TYPOGRAPHY = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'",
                             "–": "-", "—": "-"})
# Gold strings arrive wrapped in quotes ("“Squid Game”") or with a final full stop.
_WRAPPING = " \"'.,;:!?"
_ARTICLE = re.compile(r"^(?:the|an?) (?=\S)")


def normalise(text: str) -> str:
    return " ".join(text.translate(_TYPOGRAPHY).casefold().split())


def contains(haystack: str, needle: str) -> bool:
    """Whether ``needle`` occurs in ``haystack`` as whole words ("5" is not found in "25"); its leading
    article is optional ("Bahamas" for "The Bahamas"), as SQuAD's answer normalisation drops articles."""
    n = _ARTICLE.sub("", normalise(needle).strip(_WRAPPING))
    return bool(n) and re.search(rf"(?<!\w){re.escape(n)}(?!\w)", normalise(haystack)) is not None


def matches_all(text: str, must_include: list[str]) -> bool:
    """Every entry found in ``text``; an entry lists accepted alternatives separated by ``|``."""
    return all(any(contains(text, alt) for alt in entry.split("|")) for entry in must_include)


def words(text: str) -> list[str]:
    return tokens.words(normalise(text))


def shares_run(a: str, b: str, run: int = 8) -> bool:
    """Whether ``a`` and ``b`` share ``run`` consecutive words (all words of the shorter, if fewer).

    Two spans of one article overlap when they do; sentence splits and chunk edges need not agree.
    """
    wa, wb = words(a), words(b)
    n = min(run, len(wa), len(wb))
    return n > 0 and bool(ngrams(wa, n) & ngrams(wb, n))


def ngrams(ws: list[str], n: int) -> set[tuple[str, ...]]:
    """Every run of ``n`` consecutive words."""
    return {tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)}
