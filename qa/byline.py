"""Questions about who wrote an article: answered from its byline, never from the names in its text.

Asked "Who's the reporter behind the article on the lander?", the model named the mission director
quoted in it, and the judge let it pass; the byline is metadata, so it is read, not inferred.
"""
from __future__ import annotations

import re

from .answer_type import asks
from .citations import CitationBuilder
from .evidence import Sentence, content_terms
from .prompting import headed
from .types import Answer, Passage
from .untrusted import is_instruction

# Who wrote or reported an article ("it", "this", "the story", "the piece"), who its author is, which
# reporter wrote it; not who wrote a letter or a book, nor what "the writer" thinks.
_ARTICLE = r"(?:article|story|piece|it|this|that)"
_PERSON = r"(?:author|writer|reporter|journalist|correspondent)s?"
_ASKS_AUTHOR = re.compile(
    rf"\bwho\b[^?]*\b(?:wrote|written|writes|authored|penned|reported)\b[^?]*\b{_ARTICLE}\b"
    rf"|\bwho(?:['’]s| is| was| are| were)? (?:the )?{_PERSON}\b(?:\W*$|[^?]*\b{_ARTICLE}\b)"
    rf"|\b(?:which|what) {_PERSON}\b|\b{_PERSON}['’]s? names?\b|\bnames? of the {_PERSON}\b|\bbyline\b",
    re.IGNORECASE)
# What the second ask of "Who wrote it, and what does he do?" calls the writer ("they" only for
# several: "what are they demanding?" asks about the story's people); "her" before a word is "her job".
_PRONOUN = re.compile(r"\b(he|she|him|his|her)\b(?=(\s+\w)?)", re.IGNORECASE)
_PRONOUNS = re.compile(r"\b(they|them|their)\b(?=(\s+\w)?)", re.IGNORECASE)
# The words of an author question that say what is asked, not which article.
_ASKING = content_terms("who wrote written writes authored reported penned author writer reporter journalist "
                        "byline article story piece behind")


def asks_author(question: str) -> bool:
    """Whether ``question`` asks who wrote an article ("Who wrote it?", "who reported the Wayfarer story?"),
    and nothing beside it: a byline answers "Who wrote it, and what does he do?" only in part."""
    return bool(_ASKS_AUTHOR.search(question)) and len(asks(question)) == 1


def byline(question: str, passages: list[Passage], ranked: list[Sentence]) -> tuple[str, Sentence] | None:
    """Who wrote the article whose sentence ranks best for the question ("A, B and C"), and that
    sentence. None (the model is asked) when that article has no byline, or one written as an
    instruction, or when it is not the article asked about: the question names a topic (beyond "it")
    of which the article's retrieved text holds less than half the words (an article on a lunar
    lander for "the story about the Mars mission's budget cuts")."""
    if not ranked:
        return None
    best = ranked[0]
    p = passages[best.passage]
    topic = content_terms(question) - _ASKING
    text = " ".join([p.title, *(q.text for q in passages if q.article_id == p.article_id)])
    if not p.authors or is_instruction(p.authors) or 2 * len(topic & content_terms(text)) < len(topic):
        return None
    *others, last = p.authors.split("; ")
    return f'{", ".join(others) + " and " if others else ""}{last}', best


def byline_answer(question: str, found: tuple[str, Sentence], passages: list[Passage],
                  builder: CitationBuilder | None = None) -> Answer:
    """``found`` (from ``byline``) as the answer, cited to its sentence; ``builder``: the citations
    of the answer it starts."""
    names, best = found
    builder = builder or CitationBuilder(passages)
    answer = Answer(question, f'{names} wrote "{passages[best.passage].title}". [{builder.cite(best)}]', False,
                    builder.citations, passages, "extract")
    answer.evidence = "\n".join(headed([best], passages, numbered=True))
    return answer


def about(ask: str, names: str) -> str:
    """A second ask about the writer with its pronoun for the writer's name: "what does he cover?"
    to "what does Desmond Achterberg cover?", so that it is read, and judged, as about them."""
    def name(m: re.Match) -> str:
        word = m.group(1).lower()
        return f"{names}'s" if word in ("his", "their") or (word == "her" and m.group(2)) else names

    return (_PRONOUNS if " and " in names else _PRONOUN).sub(name, ask, count=1)
