"""A short answer as the statement it makes, for the judge: put in place of what the question asks
("Dartmouth College" to "Which Ivy League school announced it will ...?": "Dartmouth College
announced it will ..."). The judge checks statements; a fragment alone it scores near chance, and a
half-replaced question ("Dartmouth College League school announced ...") below its threshold."""
from __future__ import annotations

import re
from collections.abc import Callable

from .answer_type import FRAGMENT_WORDS, asks
from .evidence import IRREGULAR, NUMBER_WORDS
from .tokens import words

_AUX = frozenset("is are was were has have had did does do will would can could".split())
_PRONOUNS = frozenset("i you he she it we they".split())
_DETERMINERS = frozenset("the a an this that these those his her its their".split())
# Words that end the asked-for phrase: "which age group this week", "releasing what from their cages".
_LINKS = frozenset("in on at to from for by with after before since during over into about as than of who whom "
                   "whose which and or but not".split())
_BOUNDARY = _DETERMINERS | _LINKS | _PRONOUNS
# The asked-for phrase opens with "who" starting a sentence, or "what"/"which"/"how many"/"how much"
# anywhere but after a comma (there "which" opens a relative clause); never in a contraction ("Who's").
_OPENING = re.compile(r"(?:^|(?<=[.?!]\s))who\b(?!['’])|(?:^|(?<=[.?!]\s)|(?<=[^,]\s))"
                      r"(?:how (?:many|much)|what|which)\b(?!['’])", re.IGNORECASE)
_TOKEN = re.compile(r"[\w'’-]+|[^\w\s]")
_CONTRACTION = re.compile(r"\b(who|what|which|where)['’]s\b", re.IGNORECASE)


def statement(question: str, claim: str) -> str:
    """``claim`` in place of the question's asked-for phrase ("Priya Raman" to "Who wrote it?":
    "Priya Raman wrote it."); a claim of a sentence or more as it stands; after the question when
    the phrase is not the subject ("Which airline were they from?") or the question asks two things
    ("Who wrote it, and what does he do?"); a short clause as it stands too ("Helen Varga is
    Kestrel's CEO" to "Who's Kestrel's boss?")."""
    if len(words(claim)) > FRAGMENT_WORDS or set(words(claim)[1:]) & _AUX:
        return claim
    fragment = claim.rstrip(" .")
    question = _CONTRACTION.sub(r"\1 is", question)  # "Who's Kestrel's boss?": "Who is ..."
    span = asked_phrase(question) if len(asks(question)) == 1 else None
    if span is None:
        return f"{question.rstrip(' ?')}? {fragment}."
    start, end = span
    return " ".join(filter(None, [question[:start] + fragment, question[end:].strip().rstrip(" ?")])) + "."


def asked_phrase(question: str) -> tuple[int, int] | None:
    """Where the asked-for phrase is, when it is the subject: "Which Ivy League school" up to the
    verb ("announced", "remains", "was") or a word that cannot be in it ("this week", "from"); not
    when another subject follows ("Which menu item did KFC roll out?", "What state is it in?")."""
    m = _OPENING.search(question)
    if m is None:
        return None
    opener = m.group().lower()
    tokens = list(_TOKEN.finditer(question, m.end()))
    end, i, taken = m.end(), 0, 0
    if opener in ("what", "which") and tokens and tokens[0].group().lower() == "of":  # "Which of these bands"
        i = 2 if len(tokens) > 1 and tokens[1].group().lower() in _DETERMINERS else 1
        end = tokens[i - 1].end()
    while opener != "who" and i < len(tokens) and _in_phrase(tokens, i, taken, opener):
        i, taken = i + 1, taken + 1
        if opener in ("what", "which"):  # "how many" keeps its noun: "At least 25 people were killed"
            end = tokens[i - 1].end()
    rest = [t.group().lower() for t in tokens[i:i + 2]]
    if rest[:1] and (rest[0] in ("did", "does", "do") or rest[0] in _PRONOUNS
                     or rest[0] in _AUX and rest[1:] and rest[1] in _PRONOUNS
                     or rest[0] in ("is", "are", "was", "were") and _participle(tokens[i + 2:], _present)
                     or rest[0] in ("has", "have", "had") and _opens_subject(tokens[i + 1:i + 2])
                     and _participle(tokens[i + 2:], _perfect)):
        return None
    return m.start(), end


def _opens_subject(tokens: list[re.Match]) -> bool:
    """Whether a subject starts here: a determiner or a name ("has the tennis legend", "has Russo")."""
    return bool(tokens) and (tokens[0].group().lower() in _DETERMINERS or tokens[0].group()[0].isupper())


def _present(word: str) -> bool:
    """An "-ing" form: "saying"."""
    return word.endswith("ing") and len(word) > 4


def _perfect(word: str) -> bool:
    """A past participle: "scored", "won", "said"."""
    return word in IRREGULAR or word == "said" or word.endswith("ed") and len(word) > 3


def _participle(tokens: list[re.Match], kind: Callable[[str], bool]) -> bool:
    """Whether a participle of ``kind`` comes before a preposition or the end: then a subject stands
    between the auxiliary and it ("What is the FTC saying about the deal?", "How many goals has
    Russo scored?"), and the asked-for phrase is its object."""
    for t in tokens:
        word = t.group().lower()
        if not word[0].isalnum() or word in _LINKS:
            return False
        if kind(word):
            return True
    return False


def _in_phrase(tokens: list[re.Match], i: int, taken: int, opener: str) -> bool:
    """Whether ``tokens[i]`` still belongs to the noun phrase after "what"/"which" (``taken`` words in)."""
    word = tokens[i].group().lower().replace("’", "'")
    if not word[0].isalnum() or word in _AUX or word in _BOUNDARY:
        return False
    if not tokens[i].group().islower():  # a name: "Which high-ranking US official"
        return True
    if word in IRREGULAR or word.endswith("ly"):
        return False
    if word.endswith("ed") and (taken or opener == "what"):  # "What caused", "Which state approved"
        return False  # (first after "which": an adjective, "Which embattled celebrity")
    if taken and word.endswith("s") and not word.endswith(("ss", "'s")):
        before = tokens[i - 1].group().lower()
        after = tokens[i + 1].group().lower() if i + 1 < len(tokens) else ""
        # "Which product remains": a verb; "Which two countries are", "Which US states": a plural noun.
        return before in _DETERMINERS or before in NUMBER_WORDS or before.isdigit() \
            or not before.islower() or after in _AUX
    return True
