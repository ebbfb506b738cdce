"""When sources disagree, the newer one is preferred and both are cited."""
from __future__ import annotations

from dataclasses import dataclass

from .evidence import Sentence, numbers
from .types import Passage

# How close to the best sentence's score a rival must be to count as an answer to the same question.
RIVAL_MARGIN = 0.15


@dataclass(frozen=True)
class Conflict:
    """Two answer sentences from differently dated articles that disagree on their figures."""

    newer: Sentence
    older: Sentence


def find_conflict(ranked: list[Sentence], passages: list[Passage], gate: float) -> Conflict | None:
    """The best sentence and a close rival from another dated article whose numbers differ.

    Differing figures (tolls, counts, amounts) are the disagreements a lexical check can see
    reliably; a story that merely moved on is not a conflict.
    """
    if not ranked or ranked[0].score < gate:
        return None
    best = ranked[0]
    mine = passages[best.passage]
    for rival in ranked[1:]:
        if rival.score < max(gate, best.score - RIVAL_MARGIN):
            break
        theirs = passages[rival.passage]
        if theirs.article_id == mine.article_id or not (mine.published and theirs.published):
            continue
        if mine.published == theirs.published:
            continue
        a, b = numbers(best.text), numbers(rival.text)
        if a and b and a != b:
            return Conflict(best, rival) if mine.published > theirs.published else Conflict(rival, best)
    return None
