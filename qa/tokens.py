"""One tokeniser for the word checks, follow-up rewriting and eval scoring (BM25 keeps bm25s's own).

A word is a run of letters or digits, any script ("Beyoncé"), joined by inner hyphens or
apostrophes: "covid-19", "don't" and "Shi’ite" are one word each.
"""
from __future__ import annotations

import re

WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased, with typographic apostrophes straightened."""
    return [w.lower().replace("’", "'") for w in WORD.findall(text)]
