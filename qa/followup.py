"""Follow-up questions: carry the previous question's topic into a short or elliptical new one,
and name the person a pronoun stands for.

Deterministic and model-free: "and how many were killed?" after "Who ordered the US airstrikes
on the militia bases?" is searched as "How many were killed (about ordered, US airstrikes, militia
bases)?". Without a parser, verbs of the previous question ride along; retrieval tolerates that.
"did she say how big the strike fund is" after "Who is Denise Okafor?" is read as "did Denise
Okafor say how big the strike fund is" (``resolve``).
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from .answer_type import answer_type, identity_subject
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


# Personal pronouns: what a named person takes the place of.
_PERSONAL = re.compile(r"\b(he|she|him|his|hers|her)\b", re.IGNORECASE)
# "her" before one of these is the object ("asked her about it", "turned her down"); before
# another word, a possessive ("her lawyer").
_AFTER_OBJECT = (_STOP - {"own", "more", "most", "other", "same"}) | {"down", "up", "off", "out", "away", "back"}
_CAPITALISED = re.compile(r"[A-Z][a-z.’'-]*")


def persons(question: str) -> set[str]:
    """The persons a question names: the one it asks about ("who is theresa kwan": "Theresa Kwan"),
    else its full names (two or three capitalised words)."""
    asked = identity_subject(question)
    if asked:
        return {" ".join(w if w[:1].isupper() else w.capitalize() for w in asked.split())}
    names, run = set(), []
    for word in [*question.split(), ""]:
        bare = word.strip("?,.;:!\"()")
        stem = re.sub(r"['’]s$", "", bare)
        if _CAPITALISED.fullmatch(bare) and stem.lower() not in _STOP:
            run.append(stem)
            if stem == bare == word:  # the name may go on
                continue
        if len(run) in (2, 3):
            names.add(" ".join(run))
        run = []
    return names


def resolve(question: str, history: Sequence[str]) -> str:
    """The question with "he", "she", "him", "his" and "her" naming the person the conversation
    last named, when the latest earlier question naming anyone named one person ("Who is Ann Lee?",
    "What does she do?", "Did she say ...?"), so the model and the checks read who is meant; else
    the question as asked, as it is after a question asking who did something, whose answer the
    pronoun stands for and ``history`` does not hold."""
    named_before: set[str] = set()
    for earlier in reversed(history):
        if answer_type(earlier) == "agent":  # "Who leads Northgate Health?": "she" is its answer
            return question
        named_before = persons(earlier)
        if named_before:
            break
    if len(named_before) != 1:
        return question
    name = named_before.pop()
    if name.lower() in question.lower():
        return question

    def named(m: re.Match) -> str:
        word = m.group(1).lower()
        following = WORD.findall(question[m.end():])[:1]
        if word in ("his", "hers") or (word == "her" and following and following[0].lower() not in _AFTER_OBJECT):
            return f"{name}'s"
        return name

    return _PERSONAL.sub(named, question)
