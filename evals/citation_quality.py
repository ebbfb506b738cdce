"""Citation recall and precision in the sense of ALCE (Gao et al., 2023, "Enabling Large Language
Models to Generate Text with Citations").

Recall: share of answer sentences whose cited passages, together, support the sentence.
Precision: share of citations that sit on a supported sentence and are not irrelevant; a citation
is irrelevant when it does not support the sentence alone and the sentence's other citations
support it without it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from qa import Answer, split_sentences
from qa.markers import MARKER, cited

from .judge import Judge


@dataclass(frozen=True)
class CitationQuality:
    sentences: int
    supported: int
    citations: int
    precise: int

    @property
    def recall(self) -> float | None:
        return self.supported / self.sentences if self.sentences else None

    @property
    def precision(self) -> float | None:
        return self.precise / self.citations if self.citations else None


def statements(text: str) -> list[tuple[str, list[int]]]:
    """Answer sentences without markers, each with its cited numbers (a lone marker joins the one before)."""
    found: list[tuple[str, list[int]]] = []
    for a, b in split_sentences(text):
        piece = text[a:b]
        numbers = [n for m in MARKER.finditer(piece) for n in cited(m)]
        claim = " ".join(MARKER.sub(" ", piece).split())
        if re.search(r"\w", claim):
            found.append((claim, list(dict.fromkeys(numbers))))
        elif found:
            found[-1][1].extend(n for n in numbers if n not in found[-1][1])
    return found


def citation_quality(answer: Answer, judge: Judge) -> CitationQuality:
    """ALCE citation recall/precision of one answer; an abstention has no sentences to score."""
    if answer.abstained:
        return CitationQuality(0, 0, 0, 0)
    passages = {c.n: c.passage for c in answer.citations}
    supported = citations = precise = 0
    parsed = statements(answer.text)
    for claim, numbers in parsed:
        citations += len(numbers)
        known = [n for n in numbers if n in passages]  # a marker with no citation record supports nothing
        if not known or not judge.supports(claim, [passages[n] for n in known]):
            continue
        supported += 1
        for n in numbers:
            others = [passages[m] for m in known if m != n]
            needed = (n in passages and (len(known) == 1 or judge.supports(claim, [passages[n]])
                                         or not judge.supports(claim, others)))
            precise += needed
    return CitationQuality(len(parsed), supported, citations, precise)
