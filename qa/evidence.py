"""Question-focused evidence: which sentences of the retrieved passages bear on the question."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING


from index.chunking import split_sentences

from .tokens import WORD, words
from .types import Passage

if TYPE_CHECKING:
    import numpy as np

STOP = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been being has have had do does did "
    "this that these those it its it's their they them he she his her him we our you your i me my what which who whom "
    "whose when where why how than then there here so such into over about after before also any all some can could "
    "would should will may might must not no nor according said say says yes anything anyone anybody something "
    "someone somebody everything everyone".split()
)
# Up to this many words, an answer is a bare fragment ("Priya Raman"), not a sentence restating the question.
FRAGMENT_WORDS = 6
# Share of a claim's content terms the evidence must have, overall and among those the question lacks.
SUPPORT_RECALL = 0.5
ADDED_RECALL = 0.8
# Capitalised only because they open a sentence: not names.
_OPENERS = frozenset("yes however meanwhile instead still yet officials police".split())
# "no proof was offered" must not support "proof was offered".
NEGATIONS = frozenset("no not never none neither nor without n't cannot denied deny denies refused".split())


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


# Irregular verb forms the stemmer leaves apart ("wrote" / "written").
IRREGULAR = {form: base for base, forms in (
    ("write", "wrote written"), ("tell", "told"), ("take", "took taken"), ("give", "gave given"),
    ("make", "made"), ("find", "found"), ("win", "won"), ("lose", "lost"), ("lead", "led"), ("hold", "held"),
    ("leave", "left"), ("meet", "met"), ("pay", "paid"), ("sell", "sold"), ("buy", "bought"), ("bring", "brought"),
    ("think", "thought"), ("come", "came"), ("go", "went gone"), ("see", "saw seen"), ("know", "knew known"),
    ("begin", "began begun"), ("run", "ran"), ("stand", "stood"), ("send", "sent"), ("spend", "spent"),
    ("build", "built"), ("fall", "fell fallen"), ("rise", "rose risen"), ("shoot", "shot"), ("strike", "struck"),
    ("fight", "fought"), ("catch", "caught"), ("choose", "chose chosen"), ("drive", "drove driven"),
    ("fly", "flew flown"), ("grow", "grew grown"), ("keep", "kept"), ("feel", "felt"), ("hear", "heard"),
    ("get", "got gotten"), ("break", "broke broken"), ("speak", "spoke spoken"), ("steal", "stole stolen"),
    ("become", "became"), ("quit", "quit"), ("hit", "hit"), ("cut", "cut"),
    ("throw", "threw thrown"), ("wear", "wore worn"), ("sink", "sank sunk"), ("flee", "fled"), ("seek", "sought"),
) for form in forms.split()}


NUMBER_WORDS = {w: str(n) for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())} | {w: str(10 * n) for n, w in enumerate(
    "thirty forty fifty sixty seventy eighty ninety".split(), 3)}


# "80 years old", "an 80-year-old", "aged 80", "at age 80": the same fact as "turns 80" or "80".
_AGE = re.compile(r"\b(\d+)[- ]years?[- ]old\b|\baged? (\d+)\b", re.IGNORECASE)


def content_terms(text: str) -> set[str]:
    """Stemmed content words and numbers: what a claim must share with its evidence."""
    text = _AGE.sub(lambda m: m.group(1) or m.group(2), text)
    kept = [IRREGULAR.get(w) or NUMBER_WORDS.get(w, w) for w in words(text) if w not in STOP and w not in NEGATIONS]
    return set(_stemmer().stemWords(kept))


# What a place's stem takes to become its people's or adjective's stem: "syria" -> "syrian",
# "iraq" -> "iraqi", "iran" -> "iranian", "itali" -> "italian", "japan" -> "japanes".
_DEMONYM_ENDINGS = ("n", "an", "ian", "i", "es")


def new_terms(text: str, question: str) -> set[str]:
    """The content terms of ``text`` the question lacks, not counting a place whose adjective it
    has: "Syria" adds nothing to "Which Syrian towns were bombed?"."""
    asked = content_terms(question)
    return {t for t in content_terms(text) - asked if not any(t + end in asked for end in _DEMONYM_ENDINGS)}


def _is_negation(word: str) -> bool:
    return word in NEGATIONS or word.endswith("n't")


def negated(text: str) -> bool:
    return any(_is_negation(w) for w in words(text))


# A negation's scope ends with its clause: in "the wave had not materialized, as Democrats held
# on", Democrats holding on is not denied.
_CLAUSE_END = re.compile(r"[,;:()\u2013\u2014]|\b(?:but|while|whereas|although|though|because)\b", re.IGNORECASE)


def negated_terms(text: str, scope: int = 4) -> set[str]:
    """Stemmed content terms within ``scope`` words after a negation in its clause ("offered no *proof*")."""
    hits = []
    for clause in _CLAUSE_END.split(text):
        ws = words(clause)
        hits += [w for i, w in enumerate(ws) if any(_is_negation(n) for n in ws[max(0, i - scope):i])]
    return content_terms(" ".join(hits))


# A number in digits: "25", "1,300", "3.5".
_DIGITS = r"\d+(?:[.,]\d+)*"


def numbers(text: str) -> set[str]:
    """Numbers written in digits or as words up to ninety ("five" and "5" are the same number); not
    the digits of a name ("Blink-182", "F-15"), which :func:`names` checks."""
    digits = re.findall(rf"(?<![^\W\d_]-)(?<![\d.,]){_DIGITS}", text)
    return set(digits) | {NUMBER_WORDS[w] for w in words(text) if w in NUMBER_WORDS}


# A score or range ("20-8", "2–1", "56% to 33%") is one fact: both numbers in the text apart are not it.
# Not a date ("2022-08-29"): no third number joined on.
_PAIR = re.compile(rf"(?<![\w.,\-\u2013\u2014])({_DIGITS})%?\s*(?:[-\u2013\u2014]|\bto\b)\s*({_DIGITS})"
                   r"(?![\w\-\u2013\u2014])")


def pairs(text: str) -> set[tuple[str, str]]:
    """The number pairs written as a score or range."""
    return set(_PAIR.findall(text))


@dataclass(frozen=True)
class Sentence:
    """A sentence of passage ``passage`` (index into the passage list), with article offsets."""

    passage: int
    text: str
    start: int
    end: int
    score: float


def passage_sentences(passage: Passage, index: int) -> list[Sentence]:
    return [Sentence(index, passage.text[a:b], passage.start + a, passage.start + b, 0.0)
            for a, b in split_sentences(passage.text)]


def rank_sentences(question: str, passages: list[Passage], embed: Callable[[list[str]], np.ndarray]) -> list[Sentence]:
    """All sentences of ``passages`` scored against the question, best first.

    Score = cosine similarity (MiniLM) + 0.3 x share of the question's content terms present.
    """
    seen: set[tuple[str, int]] = set()
    sentences = []
    for i, p in enumerate(passages):
        for s in passage_sentences(p, i):
            # Overlapping chunks of one article share sentences: rank each once.
            if (p.article_id, s.start) not in seen:
                seen.add((p.article_id, s.start))
                sentences.append(s)
    if not sentences:
        return []
    vecs = embed([question] + [s.text for s in sentences])
    cos = vecs[1:] @ vecs[0]
    q_terms = content_terms(question)
    scored = []
    for s, c in zip(sentences, cos):
        overlap = len(q_terms & content_terms(s.text)) / len(q_terms) if q_terms else 0.0
        scored.append(Sentence(s.passage, s.text, s.start, s.end, float(c) + 0.3 * overlap))
    return sorted(scored, key=lambda s: s.score, reverse=True)


def names(text: str) -> set[str]:
    """Stemmed capitalised words: the names a claim asserts ("Samsung recalled ..." included; a
    sentence's opening "Three" is a number, which ``numbers`` checks, and its opening "None" a
    negation, which the polarity check reads)."""
    found = [w for w in WORD.findall(text) if w[0].isupper() and w.lower() not in STOP | _OPENERS | NEGATIONS
             and w.lower() not in NUMBER_WORDS]
    return set(_stemmer().stemWords([w.lower().replace("’", "'") for w in found]))


# A name inside a hyphenated compound is named: "Windsor" in "Jennifer Konfrst, D-Windsor Heights".
_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")


def grounded(claim: str, evidence: str, question: str = "", context: str = "") -> bool:
    """Whether every name, number (and score: "20-8") and negation of ``claim`` comes from ``evidence``.

    Invented names are how small models fabricate, so a single one fails the claim; names may
    also come from the question or the evidence's ``context``, its article's header and the
    other sentences read from it (a sentence says "the rapper" where its headline names him;
    "a nurse from Gresham" is in Oregon a few sentences on), numbers from the question.
    Polarity: a negated claim needs the same terms negated in the evidence, and a positive claim
    must not rest on terms the evidence negates ("offered no proof" never verifies "proof was
    offered"). Not a bare answer to a negated question: it completes that question, so it may sit
    in what its evidence negates ("Ramon Estévez" to "... he regrets not using his birth name
    professionally. What is it?" on "the star regrets not professionally going by Ramon Estévez").
    """
    claim_terms = content_terms(claim)
    read = f"{evidence} {context}"
    named = content_terms(f"{read} {_HYPHEN.sub(' ', read)}")
    denied = negated_terms(evidence)
    if negated(claim):
        polarity_ok = overlap(negated_terms(claim), denied)
    elif len(words(claim)) <= FRAGMENT_WORDS and negated(question):
        polarity_ok = True
    else:
        # "Yes" to "Has the government reacted?" asserts the question itself.
        asserted = claim_terms | (content_terms(question) if words(claim)[:1] == ["yes"] else set())
        polarity_ok = not overlap(asserted, denied)
    return (all(spelled_in(n, named | content_terms(question)) for n in names(claim))
            and all(spelled_in(n, named) for n in speakers(claim))
            and numbers(claim) <= numbers(evidence) | numbers(question)
            and pairs(claim) <= pairs(evidence) | pairs(question) and polarity_ok)


# Names this long may be spelled with a letter more or less: sources transliterate both ways
# ("Ketaib Hezbollah" and "Ketaib Hezbolah" in one article, "Gaddafi" and "Ghaddafi").
VARIANT_LETTERS = 5


def spelled_in(name: str, known: set[str]) -> bool:
    """Whether the stem ``name`` is in ``known``, or, being at least VARIANT_LETTERS long, is one of
    its words with one letter left out or added."""
    if name in known:
        return True
    return len(name) >= VARIANT_LETTERS and any(
        _one_letter_apart(name, word) for word in known if abs(len(word) - len(name)) == 1)


def _one_letter_apart(a: str, b: str) -> bool:
    """Whether the longer of two words less one of its letters is the shorter."""
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def supports(claim: str, evidence: str, question: str = "", context: str = "") -> bool:
    """Whether ``evidence`` states ``claim`` by words alone: :func:`grounded`, and shared content
    terms, what the claim adds to the question (its answer) from the evidence almost word for
    word. The context never supplies the answer, only names."""
    claim_terms = content_terms(claim)
    if not claim_terms:
        return False
    known = content_terms(evidence)
    recall = len(claim_terms & known) / len(claim_terms)
    added = claim_terms - content_terms(question)
    added_recall = len(added & known) / len(added) if added else 1.0
    return recall >= SUPPORT_RECALL and added_recall >= ADDED_RECALL and grounded(claim, evidence, question, context)


_SPEAKER = re.compile(r"((?:[A-Z][\w'’-]*\s+)*[A-Z][\w'’-]*)(?:['’]s)?(?:\s+[a-z]+){0,2}?\s+"
                      r"(?:say|said|says|stated|states|announced|announces|told|tells|claimed|claims|warned|warns|denied|denies)\b")


def speakers(claim: str) -> set[str]:
    """Names that a claim says said something ("Iran's government said ..."): who said what is
    where small models invent, so the passage itself must name the speaker, not just the question."""
    return names(" ".join(m.group(1) for m in _SPEAKER.finditer(claim)))


def overlap(a: set[str], b: set[str]) -> bool:
    """Whether two stem sets share a word, matching on five-letter prefixes ("react" ~ "reaction")."""
    return bool({t[:5] for t in a} & {t[:5] for t in b})


# Share of a sentence's content terms a draft sentence must hold to have written it out.
RESTATED = 0.8


def restated(text: str, sentences: list[Sentence]) -> list[Sentence]:
    """The sentences ``text`` writes out: one of its sentences holds at least ``RESTATED`` of their
    content terms (three or more). A small model often copies the right sentence and numbers its
    neighbour."""
    drafted = [content_terms(text[a:b]) for a, b in split_sentences(text)]
    return [s for s in sentences if len(terms := content_terms(s.text)) >= 3
            and any(len(terms & d) >= RESTATED * len(terms) for d in drafted)]


def drawn_from(text: str, sentences: list[Sentence]) -> list[Sentence]:
    """For each sentence of ``text`` of three or more content terms, the sentence holding at least
    ``RESTATED`` of them and the most: what a draft that retells part of a sentence ("the PMU is
    explicitly part of the Iraqi government's security forces") was read from."""
    found = []
    for a, b in split_sentences(text):
        drafted, source = content_terms(text[a:b]), best_match(text[a:b], sentences)
        if source and source not in found and len(drafted) >= 3 \
                and len(drafted & content_terms(source.text)) >= RESTATED * len(drafted):
            found.append(source)
    return found


def best_match(claim: str, sentences: list[Sentence]) -> Sentence | None:
    """The sentence sharing most content terms with ``claim`` (ties: higher question score)."""
    terms = content_terms(claim)
    return max(sentences, key=lambda s: (len(terms & content_terms(s.text)), s.score), default=None)


