"""Whether a sentence offers the kind of answer a question asks for: a name, a number, a time.

A true sentence on the question's topic is not an answer unless it adds what was asked: "A US
contractor was killed" does not answer "What was the contractor's name?".
"""
from __future__ import annotations

import re

from .evidence import FRAGMENT_WORDS, STOP, content_terms, negated, new_terms, numbers
from .tokens import WORD, words

# Quantities beyond what ``numbers`` reads ("hundreds", "a dozen", "half").
_SCALE_WORDS = frozenset("hundred hundreds thousand thousands million millions billion billions trillion dozen "
                         "dozens half percent".split())
TIME_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august "
    "september october november december today yesterday tomorrow tonight morning afternoon evening night "
    "week weeks weekend month months year years day days hour hours quarter spring summer autumn fall winter "
    "noon midnight".split()
)
# A span of time or of length, what "how long" asks for: a quantity of a unit ("20 years", "a
# decade", "18-month"), a plural unit ("for months") or "since"; a bare number ("700 employees") or
# a point in time ("last year") is not.
_UNIT = "second|minute|hour|day|week|month|year|decade|century|meter|metre|kilometer|kilometre|km|mile|foot|feet|inch"
_SPAN = re.compile(r"\b(?:since|until|lifetime|seconds|minutes|hours|days|weeks|months|years|decades|centuries|meters"
                   r"|metres|kilometers|kilometres|miles|feet|inches)\b"
                   r"|(?:\d|\b(?:a|an|one|half|several|few|couple|two|three|four|five|six|seven|eight|nine|ten))"
                   rf"\s*-?\s*(?:{_UNIT})\b", re.IGNORECASE)
_AUXILIARY = "has|have|had|is|are|was|were|did|does|do|can|could|will|would|should"
# "Who is Paul Reinholt?", "who's raymond osei": a named person, asked who they are, is asked for
# a role or a description, not for a name (the question holds it). The subject is a name: no
# function word, participle or possessive in it ("Who is the mayor?", "Who is leading?", "Who is
# Kestrel's boss?" ask for a name), and one word only when capitalised ("Who is responsible?").
_IDENTITY = re.compile(r"^\s*who(?:'s|’s|\s+(?:is|was|are|were))\s+([\w.’'-]+(?:\s+[\w.’'-]+){0,3})\s*\??\s*$",
                       re.IGNORECASE)
# Question openings and the answer type they ask for; the first match wins.
_TYPES = (
    (re.compile(r"\bnames?\b"), "name"),
    (re.compile(r"\b(?:who|whom)\b"), "agent"),
    (re.compile(r"\bhow long\b"), "span"),
    (re.compile(r"\bhow (?:many|much|old|far)\b|\bwhat (?:number|percentage|share|amount)\b"), "number"),
    (re.compile(r"\bwhen\b|\b(?:what|which) (?:day|date|year|month|time)\b"), "time"),
    # "Aren't the PMU part of ...?", "wasn't the rise supposed to be smaller?": yes/no, asked negatively.
    (re.compile(rf"^(?:(?:{_AUXILIARY})(?:n['’]t)?|won['’]t|can['’]t|true or false)\b"), "yes/no"),
)
# A yes/no question may follow a clause or sentence of its own ("If Roe gets overturned, would
# abortion become illegal?", "I thought it was $2.1 billion, is that still the number?"), unless a
# wh-word asks for more ("What type of aircraft, ordered this week, will reduce ...?").
_LATER_YES_NO = re.compile(rf"[,.:;]\s+(?:{_AUXILIARY})\b")
_WH = re.compile(r"\b(?:what|which|who|whom|whose|where|why|how|when)\b")
# A "when" clause after the question's own interrogative joins clauses, it does not ask for a time:
# "How did China respond when NASA criticized it?", "... from which country when he was eight?".
_WHEN_CLAUSE = re.compile(r"(\b(?:who|whom|what|which|where|why|how)\b[^.?!]*?)\s*,?\s+when\b[^.?!]*")
# A second ask joined to the first ("How old was she and what did she die of?") or put after it
# ("How many renters got bad reports? What's the current estimate?").
_SECOND_ASK = re.compile(rf"(?:,?\s+and|\?)\s+(?={_WH.pattern})", re.IGNORECASE)
# Lower-case words inside names: "Ludwig van Beethoven", "Leonardo da Vinci", "Osama bin Laden".
_NAME_PARTICLES = frozenset("van von der den de da di del della du la le al el bin ibn y".split())
# "How many" asks for a count and "what percentage" for a share: RealTime QA 2022's 46 "how many"
# answers hold no percentage and its 24 "what percentage" answers all hold one. A count that is a
# share of something else ("40%" for "How many pilots does it employ?") answers another question.
_ASKS_COUNT = re.compile(r"\bhow many\b")
_ASKS_SHARE = re.compile(r"\b(?:what|which) (?:percentage|percent)\b|\bhow many percent")
_SHARE = re.compile(r"(?<![\d.,])\d+(?:[.,]\d+)*\s*(?:%|per ?cent\b|percentage points?\b)", re.IGNORECASE)
_SHARE_WORDS = frozenset("half third thirds quarter quarters".split())
# "How much" of money asks for an amount of money: RealTime QA 2022's 14 such answers all hold one.
# Two years of credit monitoring is what a firm offers, not how much money it pays.
_ASKS_MONEY = re.compile(r"\bhow much\b(?![^?]*\b(?:percent|percentage|time|longer|weight|weigh|taller|higher)\b)"
                         r"[^?]*\b(?:money|cost|costs|costing|pay|paid|pays|paying|spend|spent|spending|worth|price"
                         r"|priced|fine|fined|raise|raised|earn|earned|earns|budget|salary|fund|funding|charge|charged"
                         r"|sell|sold|owe|owed|compensation|award|awarded|damages|bid|donate|donated|invest|invested)\b")
_MONEY = re.compile(r"[$€£¥]\s?\d|\d\s*(?:million|billion|trillion|thousand|bn|[mk])?\s*(?:dollars?|euros?|pounds?|yen"
                    r"|yuan|rupees?|francs?|pesos?|cents?)\b|\b(?:million|billion|trillion)\b", re.IGNORECASE)
_COUNT_WORDS = _SCALE_WORDS - {"percent"}
# Share of a yes/no question's content words an answer must speak of ("reaction" for "reacted").
YES_NO_COVERAGE = 0.6


def answer_type(question: str) -> str | None:
    """"name", "agent" (who), "span" (how long), "number", "time", "yes/no", "identity" (who a named
    person is), or None when any informative sentence may answer."""
    if asks_identity(question):
        return "identity"
    q = _WHEN_CLAUSE.sub(r"\1", question.lower())
    kind = next((kind for pattern, kind in _TYPES if pattern.search(q)), None)
    return "yes/no" if kind is None and _LATER_YES_NO.search(q) and not _WH.search(q) else kind


def asks_identity(question: str) -> bool:
    """Whether the question asks who a named person is ("Who is Paul Reinholt?")."""
    return identity_subject(question) is not None


def identity_subject(question: str) -> str | None:
    """The named person a question asks who they are ("who is theresa kwan": "theresa kwan"), if it does."""
    m = _IDENTITY.match(question)
    if m is None:
        return None
    subject = m.group(1).split()
    if len(subject) == 1 and not subject[0][0].isupper():
        return None
    if any(w.lower() in STOP - _NAME_PARTICLES or w.lower().endswith(("ing", "ed", "'s", "’s")) for w in subject):
        return None
    return " ".join(subject)


def asks(question: str) -> list[str]:
    """What the question asks, one question an ask: two for "Who is Tuesta and how does he rate
    Boluarte's position?" or "Who won? How many votes did she get?", where each answer sentence
    may answer either; else the question."""
    parts = _SECOND_ASK.split(question, maxsplit=1)
    if len(parts) < 2 or not words(parts[1]) or not (_WH.search(parts[0].lower()) or answer_type(parts[0]) == "yes/no"):
        return [question]
    return [f"{part.strip(' ?')}?" for part in parts]


def bare_reply(text: str) -> bool:
    """Whether an answer is only "Yes" or "No" ("True", "False"): a verdict, not a statement the
    sources can state."""
    return words(text) in (["yes"], ["no"], ["true"], ["false"])


def offers_answer(question: str, sentence: str, topic: str = "") -> bool:
    """The sentence adds something the question lacks, of the type the question asks for: a number
    for "how many" (not a percentage), a share for "what percentage", an amount of money for "how
    much" money ("19 million" for "$19 million"), a number or time word for
    "when", a span of time or length for "how long", a name the question lacks for "who"; a yes/no
    answer speaks of what the question asks, with its article's headline (``topic``) but not by the
    headline alone: "None of the pupils has died" in the story headlined "Salmonella outbreak at
    Ridgeway" answers "Did anybody die in the Ridgeway salmonella outbreak?"; "Lessons go on" does
    not. Whether it answers *this* question is the judge's call on the answer's short form
    (``reader``): word distances measured on the tune split rejected right answers in other words
    ("20 years of experience in ... research")."""
    kind = answer_type(question)
    if not new_terms(sentence, question) and negated(sentence) == negated(question) \
            and not (kind == "yes/no" and words(sentence)[:1] in (["yes"], ["no"])):
        return False  # it only restates the question; "Yes, ..." to a yes/no question answers it
    if kind in ("name", "agent"):
        return bool(names_in(sentence) - content_terms(question))
    if kind == "number":
        lowered, scale = question.lower(), _SCALE_WORDS
        if _ASKS_SHARE.search(lowered):
            return bool(_SHARE.search(sentence)) or bool(set(words(sentence)) & _SHARE_WORDS)
        if _ASKS_MONEY.search(lowered):  # a scale word stands for the amount its source writes in full
            return bool(_MONEY.search(sentence))
        if _ASKS_COUNT.search(lowered):  # a percentage is no count; what else it holds may be
            sentence, scale = _SHARE.sub(" ", sentence), _COUNT_WORDS
        return bool(numbers(sentence) - numbers(question)) or bool(set(words(sentence)) & scale)
    if kind == "span":
        return bool(_SPAN.search(sentence))
    if kind == "time":
        return bool(numbers(sentence) - numbers(question)) or bool(set(words(sentence)) & TIME_WORDS)
    if kind == "yes/no" and not bare_reply(sentence):
        asked = {t[:5] for t in content_terms(question)}
        spoken = asked & {t[:5] for t in content_terms(sentence)}
        headline = asked & {t[:5] for t in content_terms(topic)}
        return bool(spoken) and len(spoken | headline) >= YES_NO_COVERAGE * len(asked)
    return True


def written_as_name(text: str, question: str) -> bool:
    """Whether a fragment answers "what is the name of ..." as a name: every word the question lacks
    capitalised or a number, but for function words and the particles of names ("Ludwig van
    Beethoven", "Category 4", "the DART mission"). "Iraq military base near Kirkuk" describes the
    base the question asks to have named."""
    asked = content_terms(question)
    found = [w for w in WORD.findall(text) if not (content_terms(w) and content_terms(w) <= asked)]
    return all(w[0].isupper() or w[0].isdigit() or w.lower() in STOP | _NAME_PARTICLES for w in found)


def names_in(text: str) -> set[str]:
    """Stemmed capitalised words that are not days or months: candidate names."""
    found = [w for w in WORD.findall(text) if w[0].isupper() and w.lower() not in STOP | TIME_WORDS]
    return content_terms(" ".join(found))
