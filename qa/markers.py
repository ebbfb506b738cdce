"""The ``[n]`` citation marker, one definition for answers, their rendering, scoring and untrusted text.

A marker numbers one of the evidence sentences the model was shown, or several, comma-separated
("[2, 3]"). The prompt holds 1,400 characters of evidence, so a number has one or two digits; a
bracketed year ("[2020]") is not a marker.
"""
from __future__ import annotations

import re

MARKER = re.compile(r"\[(\d{1,2}(?:\s*,\s*\d{1,2})*)\]")
_SPACED = re.compile(r"\s*" + MARKER.pattern)


def cited(marker: re.Match[str]) -> list[int]:
    """The numbers one marker cites."""
    return [int(n) for n in marker[1].split(",")]


def strip_markers(text: str) -> str:
    """``text`` without its markers (and the space before each)."""
    return _SPACED.sub("", text)
