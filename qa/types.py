"""Typed results of the public API (the ingest records are the index's own)."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from index.models import (Feed, FeedResult, IngestReport, LoadIssue, RefreshReport, ReindexReport, StoredArticle,
                          date_label)

from .untrusted import is_instruction

__all__ = ["Answer", "Citation", "Feed", "FeedResult", "IngestReport", "LoadIssue", "Passage", "RefreshReport",
           "ReindexReport", "StoredArticle"]


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk; ``text`` is the article's stored text ``[start:end]``."""

    chunk_id: str
    article_id: str
    title: str
    url: str
    published: dt.date | None
    text: str
    start: int
    end: int
    score: float = 0.0
    authors: str = ""  # the byline, "; "-separated

    @property
    def date_label(self) -> str:
        return date_label(self.published)

    @property
    def header(self) -> str:
        """How the article is introduced to the model: headline, byline, date. A headline or byline
        written as an instruction to an assistant is withheld, as such sentences are."""
        title = "(headline withheld)" if is_instruction(self.title) else self.title
        by = f", written by {self.authors.replace('; ', ', ')}" if self.authors and not is_instruction(self.authors) else ""
        return f'Article "{title}"{by}, published {self.date_label}'


@dataclass(frozen=True)
class Citation:
    """``[n]`` in an answer: the quoted sentence and its offsets in the article's stored text.

    ``passage`` is the cited passage, starting at ``passage_start`` in the article, so the quote
    is ``passage[start - passage_start:end - passage_start]``.
    """

    n: int
    article_id: str
    title: str
    url: str
    published: dt.date | None
    passage: str
    passage_start: int
    start: int
    end: int
    quote: str

    @property
    def date_label(self) -> str:
        return date_label(self.published)


@dataclass
class Answer:
    """A brief answer whose every sentence carries ``[n]`` markers into ``citations``."""

    question: str
    text: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    mode: str = "extract"
    model: str = ""
    seconds: float = 0.0
    # The model's own words before verification ("" without a model): why an answer was dropped.
    draft: str = ""
    # What retrieval searched for: the question, or a follow-up with the conversation's topic added.
    searched: str = ""
    # How a generated answer was verified: "judge" (the model's yes/no probabilities) or "words"
    # (word overlap only: the model gives no probabilities, or none calibrated); "" when quoted.
    checked: str = ""
    # The numbered evidence sentences the model read, under their articles' headers ("" when it read none).
    evidence: str = ""
    # The model's replies as they came (its JSON; a second draft when the first failed), for
    # replaying an evaluation run (none without a model).
    replies: list[str] = field(default_factory=list)
    # The log-probability the model gave the first token of the answer it wrote, where the backend
    # gives token probabilities (None otherwise): how sure it was of how to answer. Recorded, not
    # used: no threshold on it paid on the RealTime QA test split (README, session 38).
    opening_logprob: float | None = None

    def to_dict(self) -> dict:
        """JSON-ready form (dates as ISO strings or null)."""
        d = asdict(self)
        for item in d["citations"] + d["passages"]:
            item["published"] = item["published"].isoformat() if item["published"] else None
        return d
