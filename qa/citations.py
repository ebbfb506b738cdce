"""Turn an LLM's ``[n]``-marked draft into verified sentences and :class:`Citation` records."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator

from index.chunking import split_sentences

from .answer_type import offers_answer
from .evidence import Sentence, best_match, passage_sentences, supports
from .types import Citation, Passage

# P(yes) from the LLM judge below which a claim is dropped: on the RealTime QA development set
# (evals/devset.py) gold sentences scored >= 0.86 and swapped-entity variants mostly < 0.55.
JUDGE_THRESHOLD = 0.6
_MARKS = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")


@dataclass(frozen=True)
class Claim:
    """One answer sentence with the passage numbers (1-based) it cites."""

    text: str
    cited: tuple[int, ...]


def parse_claims(draft: str) -> list[Claim]:
    """Split a draft into sentences and their ``[n]`` markers; a lone marker joins the sentence before."""
    claims: list[Claim] = []
    for a, b in split_sentences(draft):
        piece = draft[a:b]
        cited = tuple(int(n) for group in _MARKS.findall(piece) for n in re.split(r"\s*,\s*", group))
        text = _MARKS.sub("", piece).strip()
        if not re.search(r"\w", text) and claims:
            claims[-1] = Claim(claims[-1].text, claims[-1].cited + cited)
        elif re.search(r"\w", text):
            claims.append(Claim(text, cited))
    return claims


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


class Verifier:
    """Checks claims one at a time against the passages, numbering citations as they are kept.

    ``judge(claim, passage_text)`` is an optional P(the passage states the claim), asked only of
    claims that pass the lexical checks: it catches what word overlap cannot, such as an entity
    swapped for another one the passage also mentions.
    """

    def __init__(self, passages: list[Passage], question: str = "",
                 judge: Callable[[str, str], float] | None = None) -> None:
        self.question = question
        self.passages = passages
        self.sentences = [passage_sentences(p, i) for i, p in enumerate(passages)]
        self.builder = CitationBuilder(passages)
        self.judge = judge

    @property
    def citations(self) -> list[Citation]:
        return self.builder.citations

    def check(self, claim: Claim, judged: bool = True) -> str | None:
        """The claim rendered as ``text [n]`` if some passage states it (cited ones first), else None.

        ``judged=False`` skips the LLM judge: for a look while that same model is still writing.
        """
        evidence = self.locate(claim, judged)
        return f"{claim.text.rstrip()} [{self.builder.cite(evidence)}]" if evidence else None

    def locate(self, claim: Claim, judged: bool = True) -> Sentence | None:
        """The sentence to quote for the claim, from the first passage that states it."""
        cited = [n - 1 for n in claim.cited if 1 <= n <= len(self.sentences)]
        # A claim cited to the wrong passage may still be true in another.
        for i in cited + [i for i in range(len(self.sentences)) if i not in cited]:
            p = self.passages[i]
            evidence = _support(claim.text, self.sentences[i], self.question, p.title)
            if evidence and (not judged or self.judge is None
                             or self.judge(claim.text, _headed(p.title, p.text)) >= JUDGE_THRESHOLD):
                return evidence
        return None


class DraftChecker:
    """Verifies a draft as it streams in, sentence by sentence.

    Small models put the answer first and context after it. When that lead sentence offers an
    answer and fails verification, the draft has failed: the true context after a false answer
    must not pass for an answer, so the rest is not checked. The LLM judge cannot run while its
    model is still writing, so with a judge the sentences that pass the word checks wait for
    :meth:`confirm`, after the stream.
    """

    def __init__(self, verifier: Verifier, question: str) -> None:
        self.verifier, self.question = verifier, question
        self.kept: list[str] = []
        self.answers = False  # whether a kept sentence offers an answer to the question
        self.failed = False
        self._draft, self._done = "", 0
        self._pending: list[tuple[int, Claim]] = []

    @property
    def draft(self) -> str:
        return self._draft

    @property
    def text(self) -> str:
        return " ".join(self.kept)

    def feed(self, piece: str) -> bool:
        """Add streamed text; True when a newly completed sentence was verified and kept."""
        self._draft += piece
        return self._check(parse_claims(self._draft)[:-1])  # the last sentence may still be growing

    def finish(self) -> bool:
        """Check the final sentence; True when it was kept."""
        return self._check(parse_claims(self._draft))

    def confirm(self) -> Iterator[None]:
        """Put the sentences awaiting the judge to it, in order; yields after each one kept."""
        for index, claim in self._pending:
            if self.failed:
                break
            if self._keep(index, claim, self.verifier.check(claim)):
                yield
        self._pending = []

    def _check(self, claims: list[Claim]) -> bool:
        before = len(self.kept)
        for claim in claims[self._done:]:
            if self.failed:
                break
            if self.verifier.judge is None:
                self._keep(self._done, claim, self.verifier.check(claim))
            elif self.verifier.locate(claim, judged=False):
                self._pending.append((self._done, claim))
            else:
                self._keep(self._done, claim, None)
            self._done += 1
        return len(self.kept) > before

    def _keep(self, index: int, claim: Claim, rendered: str | None) -> bool:
        offers = offers_answer(self.question, claim.text)
        if rendered:
            self.kept.append(rendered)
            self.answers |= offers
        elif index == 0 and offers:
            self.failed = True
        return rendered is not None


def verify(draft: str, passages: list[Passage], question: str = "") -> tuple[str, list[Citation]]:
    """Keep the draft's sentences whose cited passage states them; re-cite or drop the rest.

    Returns the verified answer text (markers renumbered to the citations) and its citations.
    """
    verifier = Verifier(passages, question)
    kept = [s for s in map(verifier.check, parse_claims(draft)) if s]
    return " ".join(kept), verifier.citations


def _support(claim: str, sentences: list[Sentence], question: str, headline: str = "") -> Sentence | None:
    """The passage sentence that best matches the claim, if the passage states the claim.

    Support is judged against the whole passage (with its headline for names), so a claim
    joining two adjacent sentences holds; the quote is the single sentence that matches it best.
    """
    match = best_match(claim, sentences)
    evidence = " ".join(s.text for s in sentences)
    return match if match and supports(claim, evidence, question, headline) else None


def _headed(headline: str, text: str) -> str:
    return f"{headline}. {text}" if headline else text
