"""Citation records: each quoted sentence numbered in order of first use."""
from __future__ import annotations

from .evidence import Sentence
from .types import Citation, Passage


class CitationBuilder:
    """Numbers quoted sentences in order of first use and renders ``text [n]`` answers."""

    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
        self.citations: list[Citation] = []

    def cite(self, sentence: Sentence) -> int:
        for c in self.citations:
            if c.start == sentence.start and c.article_id == self.passages[sentence.passage].article_id:
                return c.n
        p = self.passages[sentence.passage]
        self.citations.append(Citation(len(self.citations) + 1, p.article_id, p.title, p.url, p.published,
                                       p.text, p.start, sentence.start, sentence.end, sentence.text))
        return len(self.citations)
