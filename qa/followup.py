"""Follow-up questions: carry the previous question's topic into a short or elliptical new one.

Deterministic and model-free: "and how many were killed?" after "Who ordered the US airstrikes
on the militia bases?" is searched as "How many were killed (about ordered, US airstrikes, militia
bases)?". Without a parser, verbs of the previous question ride along; retrieval tolerates that.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from .tokens import WORD

# Words, and punctuation marks as tokens of their own: a comma or bracket ends a phrase.
_TOKEN = re.compile(rf"{WORD.pattern}|[^\w\s]")
# Words that point back at something said before.
_REFERRING = frozenset(
    "it its they them their theirs he him his she her hers this that these those there then such "
    "same former latter other".split()
)
# Openings that continue the previous question rather than start a new one.
_CONTINUING = re.compile(r"^(?:and|but|so|also|then|what about|how about|and what about)\b[\s,]*", re.I)
# Words that carry no topic: question words, auxiliaries, pronouns, prepositions, fillers.
_STOP = _REFERRING | frozenset(
    "a an the of in on at to for from by with about as into onto over under after before during near "
    "and or but so also what which who whom whose when where why how many much is are was were be been "
    "being am do does did done has have had having can could will would shall should may might must "
    "i you we me us my your our any some all each every one ones there here not no yes than very more "
    "most less least just only still ever else again happen happened happening say said tell told "
    "give gave given get got make made know known way kind sort thing things".split()
)
# Fewer content words than this and the question cannot stand on its own.
MIN_CONTENT_WORDS = 3
MAX_PHRASES = 4


def _is_content(word: str) -> bool:
    # "US" is a country, "us" a pronoun.
    return word.lower() not in _STOP or (len(word) > 1 and word.isupper())


def content_words(text: str) -> list[str]:
    return [w for w in WORD.findall(text) if _is_content(w)]


def key_phrases(question: str) -> list[str]:
    """Runs of consecutive content words, in order: "the US airstrikes on the militia bases" -> two phrases."""
    phrases: list[str] = []
    run: list[str] = []
    for word in [*_TOKEN.findall(question), ""]:
        if WORD.fullmatch(word) and _is_content(word):
            run.append(word)
        elif run:
            phrases.append(" ".join(run))
            run = []
    return phrases


def is_followup(question: str) -> bool:
    """Does this question lean on the previous one (pronoun, "and ...", or too few words of its own)?"""
    words = [w.lower() for w in WORD.findall(question)]
    return (bool(_CONTINUING.match(question.strip())) or any(w in _REFERRING for w in words)
            or len(content_words(question)) < MIN_CONTENT_WORDS)


def rewrite(question: str, history: Sequence[str]) -> str:
    """The question to search with: itself, or with the last question's key phrases when it is a follow-up.

    ``history`` holds earlier questions as they were searched, oldest first, so a topic carries
    across a chain of follow-ups.
    """
    question = " ".join(question.split())
    if not history or not question or not is_followup(question):
        return question
    own = {w.lower() for w in content_words(question)}
    # The previous search may itself carry "(about ...)": its phrases are part of the topic.
    carried = [p for p in key_phrases(history[-1]) if not {w.lower() for w in p.split()} <= own]
    carried = list(dict.fromkeys(carried))[:MAX_PHRASES]
    if not carried:
        return question
    core = _CONTINUING.sub("", question).rstrip(" ?")
    core = core[:1].upper() + core[1:]
    return f"{core} (about {', '.join(carried)})?"
