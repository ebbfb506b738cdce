"""The answering stage: evidence sentences → the model's short answer with the ids of the sentences
that state it → verification → the verified sentences, or an abstention.

The model reads the best sentences of the retrieved passages with their neighbours, numbered, and
replies in JSON constrained by a schema: ``{"evidence": [ids], "answer": "...", "short": "..."}``. Citations come
from the sentences its answer writes out and those ids (a small model often copies the right
sentence and numbers its neighbour), so every quoted span is exact by construction. Each answer
sentence is kept only if it offers the kind of answer asked (a name, number or time the question lacks; not the question
restated), its names, numbers and polarity come from the cited sentences, the model asked as a
judge finds that those sentences state it, and no newer article on the question has superseded
them; and the answer in a few words (the reply's ``short``), put in place of what the question
asks, must be stated too: a true sentence from a neighbouring story is not an answer. A bare "Yes"
or "No" (the answer, or the short answer to a yes/no question) is replaced by the cited sentences
on the question's topic, quoted; so is a draft whose sentences all fail (on other questions, the
cited sentences holding the short answer; failing those, the short answer alone), through the same
checks. When nothing holds, a second draft written answer first is checked the same way, if its
answer agrees with the first draft's. Who wrote an article is read from its byline (``byline``)
when it has one, not asked of the model. A bare answer is given as its source writes it ("$19
million"); an answer sentence that lacks its checked short form leads with it. Every threshold is calibrated on the RealTime QA tune split
(``newsqa eval reading --split tune``); a fallback to the best extractive sentence (not the cited
one) before abstaining was measured there and did not pay (no right answer gained, three
unanswerable questions answered).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from dataclasses import dataclass

from index.chunking import split_sentences

from .answer_type import FRAGMENT_WORDS, answer_type, asks, bare_reply, names_in, offers_answer, written_as_name
from .byline import about, asks_author, byline, byline_answer
from .citations import CitationBuilder
from .confidence import Token, opening_logprob
from .evidence import (Sentence, best_match, content_terms, drawn_from, grounded, new_terms, overlap, rank_sentences,
                       restated, supports)
from .markers import strip_markers
from .prompting import answer_messages, headed, judge_messages
from .recency import find_conflict
from .spans import source_span
from .statements import statement
from .timeframe import TimeFrame
from .timeframe import resolve as resolve_timeframe
from .tokens import words
from .types import Answer, Passage
from .untrusted import is_instruction

log = logging.getLogger(__name__)

ABSTENTION = "The sources don't say."
# Minimum question-sentence score (cosine + 0.3 x term overlap) for any answer at all.
RELEVANCE_GATE = 0.3
# Best-ranked sentences considered for an extractive answer.
ANSWER_CANDIDATES = 5
# Characters of evidence the model reads. On the RealTime QA tune split, with each of the best
# sentences read with a neighbour either side, the gold answer was in the prompt for 77% of
# answerable questions at 1,400 characters, 79% at 1,800 and 80% at most; prompt reading (~70
# tokens/s here) is most of an answer's time, and 1,800 characters put the median answer at 12 s.
# Session 9, tune (100 items): 1,800 gave one more right answer and three fewer twins abstained for
# 20% more latency. Session 18: neighbours for the best sentence only, from eight passages (four
# an article) instead of four (two): 89 of 116 prompts hold the gold answer, against 87.
EVIDENCE_CHARS = 1400
# Question terms the evidence is completed with (see ``covering``). RealTime QA tune, the 61 of 214
# items whose prompts change, each asked both ways: right 22 -> 22 of 33, twins abstained 22 -> 23 of 28,
# answers in other words 6 -> 4 (a "JFK" among them); test, 58 of its 67 such items: right 21 -> 20,
# twins abstained 15 -> 17; held-out sets: one negative answer gained (see README, session 36).
COVERED_TERMS = 2
# The judge's P(yes) that the cited sentences state an answer sentence, below which it is dropped.
# Tune split (54 answerable, 46 unanswerable): 0.5 keeps 30 right answers and abstains on 27
# unanswerable, 0.6 27 and 30, 0.7 19 and 31. Only the packaged Qwen's probabilities are
# calibrated: other models' answers are checked by words.
# Session 21: a surer bar (0.7) for a bare answer that only one of several articles bearing on the
# question names no longer paid on tune (dropped: right 67 -> 68, twins abstained 79 -> 79).
STATES_THRESHOLD = 0.5
JUDGES = ("qwen2.5-1.5b",)
# The judge's P(yes) that the support states the short answer put into the question. Tune split
# (first 100 items: 54 answerable, 46 twins), each answer's last P(yes) cut at t: 0 keeps 29 right
# and abstains on 33 twins, 0.5 29 and 37, 0.6 28 and 39, 0.75 27 and 41, 0.8 26 and 41.
ANSWERS_THRESHOLD = 0.6
# A sentence after the answer's first is kept only if its cosine to the question is at least the
# first one's less this: padding ("The strikes targeted five PMU bases") scores 0.08 where the
# answer ("Officials offered no proof ...") scores 0.19. Answers are one sentence 95 times in 97 on
# the tune split; of the two longer ones, this cut the wrong second sentence of one.
RELATED_MARGIN = 0.05
# News questions ask about the latest story. Evidence more than STALE_DAYS older than the question
# and than another retrieved article that bears on the question nearly as well (best sentence within
# NEWER_MARGIN of the cited one's score) answers from an earlier story: on the tune split this
# abstained on 10 more unanswerable questions and cost no right answer. On that split the newest
# article holding the answer was at most 28 days older than the question for 85% of questions.
# Session 15, whole tune split replayed: a margin of 0.1 left two twins answered from stories 71
# and 699 days old beside newer coverage scoring 0.1-0.2 lower; 0.2 abstains on them, and 0.2-0.5
# change nothing else (test: +4 twins, one "other" answer abstained, no right answer lost).
STALE_DAYS = 30
NEWER_MARGIN = 0.2
# A question naming its period ("this week", "recently") is not answered from articles published more
# than PERIOD_SLACK days before the period began. On the whole tune split (replayed), answers to
# "this week" questions rested on reports at most 7 days older than the question, but for one right
# by chance (59 days: an earlier meeting with the same first lady) and three answered twins and one
# wrong answer (21-73 days). Session 8 (41 items) had set 90 days after twins at 134-2,785.
PERIOD_SLACK = 14
# A news question asked as of a date asks about that time. An answer resting only on articles more than
# HORIZON_DAYS older than that date answers an earlier story ("Who won the Hart Trophy?" asked in June
# 2022, answered from 2020). Whole tune split, replayed: at 60 days, four answered twins (74-2,193
# days) and a wrong answer (360) abstain, and a right one (65: the state with the dearest gas, from a
# May report); at 90 days three twins and the wrong answer, no right one; at 365 the same twins only.
HORIZON_DAYS = 90
# A question that names a year or a month dates itself: "Who won the 2014 election?".
_DATED_QUESTION = re.compile(r"\b(?:1[89]|20)\d\d\b|\b(?:January|February|March|April|May|June|July|August|September"
                             r"|October|November|December)\b")
# A question about the present answered from evidence older than STALE_DAYS says how old it is.
_CURRENT = re.compile(r"\b(?:currently|current|now|latest|newest|recent(?:ly)?|still|today|this (?:week|month|year))\b"
                      r"|^(?:who|what|which|where|how \w+)\s+(?:is|are|does|do|has|have)\b", re.IGNORECASE)
SCHEMA = {
    "type": "object",
    "properties": {"evidence": {"type": "array", "items": {"type": "integer"}, "maxItems": 3},
                   "answer": {"type": "string", "maxLength": 400},
                   "short": {"type": "string", "maxLength": 80}},
    "required": ["evidence", "answer", "short"],
}
# The same reply with the answer written before the ids it rests on: the next candidate when the
# first draft fails its checks (tune split: 62 second drafts, right 70 -> 73; see README).
ANSWER_FIRST = {**SCHEMA, "properties": {k: SCHEMA["properties"][k] for k in ("answer", "short", "evidence")},
                "required": ["answer", "short", "evidence"]}

Judge = Callable[[list[dict[str, str]]], "float | None"]  # None: the model gave no probabilities
Embed = Callable[[list[str]], Any]  # unit vectors, one row per text


@dataclass(frozen=True)
class Query:
    """What the reader is asked: the question, the conversation before it, and when it is asked.
    ``now``: the date it was explicitly asked as of, when it was (``as_of`` defaults to today): a
    question asked of articles dropped in from various years is not asked about today."""

    text: str
    history: tuple[str, ...] = ()
    as_of: dt.date | None = None
    frame: TimeFrame | None = None
    now: dt.date | None = None


def select_evidence(ranked: list[Sentence], passages: list[Passage], question: str = "",
                    budget: int = EVIDENCE_CHARS) -> list[Sentence]:
    """The best relevant sentences within ``budget`` characters, the best one with a neighbour either
    side (what "it" and "the show" refer to), the others alone; grouped by article (best article
    first), in reading order within each. Before the others come the best sentences holding the
    terms of ``question`` that nothing chosen (nor its headline) holds yet (``covering``).
    Instructions never enter."""
    relevant = [s for s in ranked if s.score >= RELEVANCE_GATE]
    if not relevant:
        return []
    doc = by_article(sorted(ranked, key=lambda s: s.start), passages)
    best = relevant[0]
    sents = doc[passages[best.passage].article_id]
    i = sents.index(best)
    first = [best, *sents[max(0, i - 1):i + 2]]
    chosen: dict[tuple[str, int], Sentence] = {}
    used = 0
    for s in [*first, *covering(question, first, relevant, passages), *relevant[1:]]:
        key = (passages[s.passage].article_id, s.start)
        if key not in chosen and not is_instruction(s.text) and used + len(s.text) <= budget:
            chosen[key] = s
            used += len(s.text)
    order = list(dict.fromkeys(article for article, _ in chosen))
    return sorted(chosen.values(), key=lambda s: (order.index(passages[s.passage].article_id), s.start))


def covering(question: str, chosen: list[Sentence], candidates: list[Sentence], passages: list[Passage]) -> list[Sentence]:
    """For the question's terms that neither ``chosen`` nor its headlines hold, the best-ranked of
    ``candidates`` holding each; of those sentences, the ``COVERED_TERMS`` best. "died" in "Has anybody
    died in the outbreak?", where every sentence on the outbreak outranks "None of the patients has died"."""
    missing = content_terms(question) - set().union(*(content_terms(f"{passages[s.passage].title} {s.text}")
                                                        for s in chosen))
    found: dict[str, Sentence] = {}
    for s in candidates:
        for term in (missing - found.keys()) & content_terms(s.text):
            found[term] = s
    return list(dict.fromkeys(sorted(found.values(), key=candidates.index)))[:COVERED_TERMS]


@dataclass(frozen=True)
class Draft:
    """The model's reply: the ids of the sentences it cites, its answer, and that answer in a few words."""

    ids: tuple[int, ...] = ()
    text: str = ""
    short: str = ""


@dataclass(frozen=True)
class Reading:
    """A question read by the model: the verified answer text ("" when none holds), the first draft,
    every reply, and the log-probability of the first token of the answer in the last reply of its
    first ask (the one an answer rests on), where the backend gives token probabilities."""

    text: str
    draft: Draft
    replies: list[str]
    opening: float | None = None


def parse_reply(reply: str) -> Draft:
    """The model's JSON as a ``Draft``; nothing usable gives an empty one."""
    try:
        data = json.loads(reply[reply.index("{"):reply.rindex("}") + 1])
        ids = [int(i) for i in data.get("evidence", []) if isinstance(i, (int, float, str)) and str(i).isdigit()]
        return Draft(tuple(ids), " ".join(str(data.get("answer", "")).split()),
                     " ".join(str(data.get("short", "")).split()))
    except (ValueError, AttributeError):
        return Draft()


class Reader:
    """Answers one query from retrieved passages, with a model or without one (extract mode)."""

    def __init__(self, llm: object | None, judge: Judge | None, embed: Embed | None = None,
                 max_tokens: int = 160) -> None:
        """``judge(messages)``: P(yes) of the model's reply; ``embed(texts)``: unit vectors."""
        self.llm, self.judge, self.embed, self.max_tokens = llm, judge, embed, max_tokens
        self.checked = "judge"  # how the last verified answer was checked: "judge", or "words" only

    def answers(self, query: Query, passages: list[Passage], ranked: list[Sentence], mode: str,
                stop: threading.Event) -> Iterator[Answer]:
        """Answers as they firm up: in the default mode the extractive answer first, then the final one."""
        question = query.text
        ranked, before = within_period(query, passages, ranked)
        # "Who wrote it, and what does he cover?": the byline answers the first ask; the model reads
        # the second as a follow-up to it.
        parts = asks(question)
        builder = CitationBuilder(passages)
        writer = byline(parts[0], passages, ranked) if asks_author(parts[0]) else None
        first = byline_answer(question, writer, passages, builder) if writer else None
        if first and len(parts) == 1:  # read, not inferred; an article without one may name its writer in its text
            yield first
            return
        extracted = first or current(extract_answer(question, passages, ranked), query)
        relevant = bool(ranked) and ranked[0].score >= RELEVANCE_GATE
        if before and not relevant and not first:  # only older reports bear on it: say how old
            extracted.text = f"{ABSTENTION} {before}"
        if self.llm is None or mode == "extract" or not relevant:
            yield extracted
            return
        name = self.llm.name
        extracted.model = name
        if mode == "default" and not extracted.abstained:
            yield extracted
        asked = Query(about(parts[1], writer[0]), (*query.history, parts[0]), query.as_of, query.frame, query.now) \
            if writer else query
        if writer and asked.text != parts[1]:  # an ask about the writer: only sentences naming them answer it
            kept = {(s.passage, s.start) for s in ranked}
            ranked = [s for s in (rank_sentences(asked.text, passages, self.embed) if self.embed else ranked)
                      if (s.passage, s.start) in kept and names_in(s.text) & names_in(writer[0])]
            if not ranked:
                yield first
                return
        evidence = select_evidence(ranked, passages, asked.text)
        read = self.read(asked, evidence, passages, ranked, builder, stop)
        if read is None:
            return
        text = " ".join(filter(None, [first.text if first else "", read.text]))
        if text:
            final = current(Answer(question, dated(text, query, builder.citations), False, builder.citations,
                                   passages, "generate", name, checked=self.checked), query)
        else:
            final = Answer(question, ABSTENTION, True, passages=passages, mode=mode, model=name)
        final.draft, final.replies, final.opening_logprob = read.draft.text, read.replies, read.opening
        final.evidence = "\n".join(headed(evidence, passages, numbered=True))
        yield final

    def read(self, query: Query, evidence: list[Sentence], passages: list[Passage], ranked: list[Sentence],
             builder: CitationBuilder, stop: threading.Event) -> Reading | None:
        """The question read (its verified answer text, "" when none holds), or None when stopped. A
        question of two asks whose answer offers nothing of the kind the second asks for ("Which
        hospital will I go to and how far away is it?" answered "St. Brendan's") is completed: the
        second ask is read on its own (the first as the conversation before it), over the same
        evidence, and what that adds, from sentences not cited yet, is appended."""
        first = self._read(query, evidence, passages, ranked, builder, stop)
        parts = asks(query.text)
        if first is None or not first.text or len(parts) < 2 or offers_answer(parts[1], strip_markers(first.text)):
            return first
        cited = len(builder.citations)
        then = Query(parts[1], (*query.history, parts[0]), query.as_of, query.frame, query.now)
        second = self._read(then, evidence, passages, ranked, builder, stop)
        if second is None:
            return None
        text = first.text
        if second.text and len(builder.citations) > cited and \
                new_terms(f"{second.draft.text} {second.draft.short}", query.text) - content_terms(text):
            text = f"{text} {second.text}"
        else:  # nothing new: its sentences are not cited
            del builder.citations[cited:]
        log.debug("second ask %r adds %r", parts[1], second.text if text.endswith(second.text) else "")
        return Reading(text, first.draft, first.replies + second.replies, first.opening)

    def _read(self, query: Query, evidence: list[Sentence], passages: list[Passage], ranked: list[Sentence],
              builder: CitationBuilder, stop: threading.Event) -> Reading | None:
        """One question read: when the first draft fails, the next candidate is a second one written
        answer first, kept only when it gives an answer the first gave too: one that says something
        else is a guess (tune split: of five such, none right). A first draft that adds nothing to
        the question ("Elon Musk" to "Who is richest now that Elon Musk dropped from the top spot?")
        gave no answer to disagree with (session 41, replayed: tune right 49 -> 50 of 68, no twin
        answered; test unchanged)."""
        messages = answer_messages(query, evidence, passages)
        tokens: list[Token] = []
        replies = [self._reply(messages, SCHEMA, stop, tokens)]
        if replies[0] is None:
            return None
        draft = parse_reply(replies[0])
        text = self.verify(query, draft, evidence, passages, ranked, builder)
        if not text and draft.text:
            tokens.clear()
            replies.append(self._reply(messages, ANSWER_FIRST, stop, tokens))
            if replies[1] is None:
                return None
            again = parse_reply(replies[1])
            asked = content_terms(query.text)
            first, second = (content_terms(f"{d.text} {d.short}") - asked for d in (draft, again))
            if overlap(first, second) or not first:
                text = self.verify(query, again, evidence, passages, ranked, builder)
        log.debug("replies %r -> %r", replies, text)
        return Reading(text, draft, replies, opening_logprob(tokens))

    def _reply(self, messages: list[dict[str, str]], schema: dict, stop: threading.Event,
               tokens: list[Token]) -> str | None:
        """The model's whole reply under ``schema`` (its tokens appended to ``tokens`` where the
        backend gives them); None when stopped."""
        reply = ""
        stream = self.llm.stream(messages, self.max_tokens, schema=schema, tokens=tokens)
        try:
            for piece in stream:
                reply += piece
                if stop.is_set():
                    return None
        finally:
            stream.close()
        return reply

    def verify(self, query: Query, draft: Draft, evidence: list[Sentence], passages: list[Passage],
               ranked: list[Sentence], builder: CitationBuilder) -> str:
        """The draft's sentences that offer the kind of answer asked and that the cited (those the
        draft writes out, then ``draft.ids`` into ``evidence``, from 1), else the best-matching,
        evidence sentences state, each followed by its markers; nothing when the draft's answer in a
        few words, put into the question, is not what those sentences state. A bare "Yes" or "No",
        as the answer or as the short answer to a yes/no question, is a verdict the model cannot be
        trusted with (its judge scores either polarity alike): the cited sentences are quoted
        instead. So are they when the draft's own sentences fail: on a yes/no question those it
        writes out, else those it retells part of, else the numbered ones on its topic (those that
        speak of what was asked, when the retold ones do not); on other questions those holding the
        short answer (the model often cites the right sentence and writes out its neighbour);
        failing those, the short answer itself. A sentence answer leads with its short form when
        the judge checked it and the sentence lacks it."""
        numbered = [evidence[i - 1] for i in dict.fromkeys(draft.ids) if 1 <= i <= len(evidence)]
        written = restated(draft.text, evidence)
        cited = list(dict.fromkeys([*written, *numbered]))
        log.debug("cited %s", [s.text[:60] for s in cited])
        yes_no = answer_type(query.text) == "yes/no"
        # In the source's words (no coverage rule refuses them: they are the source): those the
        # draft writes out ("further attacks would depend on ..." for "Are more strikes coming?"),
        # else those it retells part of (a small model numbers a neighbour of the sentence it read),
        # else the numbered ones on the question's topic. On a yes/no question the coverage rule
        # chooses: the numbered ones that speak of what was asked, when none of the retold ones does
        # (the model wrote out the union's wage claim for "did she say how big their strike fund
        # is" and numbered "... a strike fund but declined to say how large it was" beside it).
        retold = written or drawn_from(draft.text, evidence)
        on_topic = [s for s in numbered if overlap(content_terms(query.text), content_terms(s.text))]
        sources = retold or on_topic
        if yes_no and retold:
            topic = headlines(cited, passages)
            speaking = [s for s in on_topic if offers_answer(query.text, s.text, topic)]
            if speaking and not any(offers_answer(query.text, s.text, topic) for s in retold):
                sources = speaking
        quotable = [s.text for s in sources]
        quoted = bare_reply(draft.text) or (yes_no and bare_reply(draft.short))
        claims = quotable if quoted else \
            stating(draft.short, query.text, [draft.text[a:b].strip() for a, b in split_sentences(draft.text)])
        kept = self._kept(query, claims, quoted, cited, evidence, passages, ranked)
        if not kept and not quoted:  # the draft fails: what it cited may still say it, in the source's words
            kept = self._kept(query, quotable if yes_no else quoting(draft.short, query.text, cited), yes_no,
                              cited, evidence, passages, ranked)
            log.debug("quoted instead: %s", [c[:60] for c, _ in kept])
        if not kept and not quoted and not yes_no and 0 < len(words(draft.short)) <= FRAGMENT_WORDS \
                and words(draft.short) != words(draft.text):  # the last candidate: the short answer itself
            kept = self._kept(query, [draft.short], False, cited, evidence, passages, ranked)
        # Judged against every kept sentence's support: each may state one ask of a two-part question.
        if kept and not self._answers(query.text, draft.short, kept[0][0],
                                      list(dict.fromkeys(s for _, support in kept for s in support)), passages):
            return ""
        text = " ".join(f"{as_written(claim, support)} " + "".join(f"[{builder.cite(s)}]" for s in support)
                        for claim, support in kept)
        checked = kept and self.judge and self.checked == "judge"
        lead = leading(draft.short, query.text, *kept[0], passages) if checked else ""
        return f"{lead[:1].upper()}{lead[1:].rstrip(' .')}. {text}" if lead else text

    def _kept(self, query: Query, claims: list[str], quoted: bool, cited: list[Sentence], evidence: list[Sentence],
              passages: list[Passage], ranked: list[Sentence]) -> list[tuple[str, list[Sentence]]]:
        """The claims on the question that offer an answer, each with the sentences that state it."""
        kept = []
        topic = headlines(cited, passages)
        for claim in self._on_question(query.text, claims):
            if not quoted and not any(offers_answer(ask, claim, topic) for ask in asks(query.text)):
                log.debug("offers no answer: %r", claim)
                continue
            support = self._support(query, claim, cited, evidence, passages, ranked)
            if support:
                kept.append((claim, support))
        return kept

    def _answers(self, question: str, short: str, claim: str, support: list[Sentence], passages: list[Passage]) -> bool:
        """Whether the support states the short answer as the answer to the question: "Israel elected
        its first-ever leftist leader this week", not only the true sentence the answer quotes. A
        short form of a sentence or more ("17 seats needed to gain control") is judged as it stands,
        and must offer the kind of answer asked, as an answer sentence must ("The lawsuit was filed
        in March" gives no amount); an answer that is its own short form already was judged. A short
        form made of the question's own words is judged too: "Kestrel" for "Which bank is lending
        Kestrel the $900 million?" states "Kestrel is lending Kestrel the $900 million". The short
        form of an answer to a question of two asks covers both: it need be a name for neither."""
        kind = answer_type(question)
        if kind == "yes/no":  # the cited sentences are quoted: no short form to check
            return True
        # "Who is Paul Reinholt?" short-answered "Paul Reinholt": the answer sentence, judged already,
        # says who he is; the name alone says nothing to judge.
        if kind == "identity" and set(words(short)) <= set(words(question)):
            return True
        if len(words(short)) > FRAGMENT_WORDS and not any(offers_answer(ask, short) for ask in asks(question)):
            log.debug("short form offers no answer: %r", short)
            return False
        if len(asks(question)) == 1 and kind == "name" and not written_as_name(short, question):
            log.debug("short form is no name: %r", short)
            return False
        # A bare answer was judged in the question's place already (``_states``); a short form
        # inside it ("Antiwar.com" of "Senior Editor for Antiwar.com") says less, not something else.
        if not self.judge or not words(short) or words(short) == words(claim) \
                or (len(words(claim)) <= FRAGMENT_WORDS and set(words(short)) <= set(words(claim))):
            return True
        p_yes = self.judge(judge_messages(statement(question, short), "\n".join(headed(support, passages))))
        log.debug("answers %.2f: %r", p_yes or 0.0, short)
        return p_yes is None or p_yes >= ANSWERS_THRESHOLD

    def _on_question(self, question: str, claims: list[str]) -> list[str]:
        """The first sentence (the answer) and those after it that are about as close to the
        question, or to one of its asks: true sentences on something else are padding, not answer."""
        if len(claims) < 2 or self.embed is None:
            return claims
        questions = list(dict.fromkeys([question, *asks(question)]))
        vectors = self.embed(questions + claims)
        closeness = vectors[len(questions):] @ vectors[:len(questions)].T  # claims x (question, asks)
        close = (closeness >= closeness[0] - RELATED_MARGIN).any(axis=1)
        return [c for c, keep in zip(claims, close) if keep]

    def _support(self, query: Query, claim: str, cited: list[Sentence], evidence: list[Sentence],
                 passages: list[Passage], ranked: list[Sentence]) -> list[Sentence] | None:
        """The sentences that state ``claim``: the cited ones of one article, else the best lexical
        match, else the sentence closest in meaning to the claim in the question's place (the model
        numbered another: "Italy" for whose prime minister stepped down, on "Draghi's resignation
        also comes as ..."), unless newer coverage has superseded them. One article: a sentence
        stitched from two stories ("Andrew Whitworth, a former New York Giants wide receiver")
        states neither."""
        match = best_match(claim, evidence)
        terms = content_terms(claim)

        def groups() -> Iterator[list[Sentence]]:
            yield from by_article(cited, passages).values()
            if match and match not in cited:
                yield [match]
            near = self._nearest(statement(query.text, claim), evidence)  # embedded only when needed
            if near and near not in cited and near != match:
                yield [near]

        for group in groups():
            group = bearing(terms, group)
            if group and superseded(group, passages, ranked, query.as_of, query.text):
                log.debug("superseded: %r", claim)
            elif group and self._states(query.text, claim, group, evidence, passages):
                return group
        return None

    def _nearest(self, text: str, sentences: list[Sentence]) -> Sentence | None:
        """The sentence closest in meaning to ``text`` (MiniLM cosine), if the reader has an embedder."""
        if self.embed is None or not sentences:
            return None
        vectors = self.embed([text, *(s.text for s in sentences)])
        return sentences[int((vectors[1:] @ vectors[0]).argmax())]

    def _states(self, question: str, claim: str, group: list[Sentence], evidence: list[Sentence],
                passages: list[Passage]) -> bool:
        text = " ".join(s.text for s in group)
        articles = {passages[s.passage].article_id for s in group}
        context = with_headers([s for s in evidence if passages[s.passage].article_id in articles], passages)
        # A bare answer is what its sentences name: "Wendy's" is not stated by "The average time ...
        # was 226.3 seconds" because the article names Wendy's elsewhere.
        bare = len(words(claim)) <= FRAGMENT_WORDS
        if not grounded(claim, text, question, with_headers(group, passages) if bare else context):
            log.debug("not grounded: %r in %r", claim, text)
            return False
        p_yes = self.judge(judge_messages(statement(question, claim), "\n".join(headed(group, passages)))) \
            if self.judge else None
        if p_yes is None:  # no calibrated judge (another model, or a server without logprobs): words only
            self.checked = "words"
            return supports(claim, text, question, context)
        log.debug("states %.2f: %r from %r", p_yes, claim, text)
        return p_yes >= STATES_THRESHOLD


def headlines(sentences: Sequence[Sentence], passages: list[Passage]) -> str:
    """The headlines of the articles ``sentences`` come from, each once: the topic they speak of."""
    return " ".join(dict.fromkeys(passages[s.passage].title for s in sentences))


def bearing(terms: set[str], group: list[Sentence]) -> list[Sentence]:
    """The sentences of ``group`` that share at least half as many of the claim's ``terms`` as the
    one sharing most: what the claim rests on, not a neighbour cited with it."""
    shared = [len(terms & content_terms(s.text)) for s in group]
    return [s for s, n in zip(group, shared) if 2 * n >= max(shared, default=0)]


def adds(short: str, question: str) -> set[str]:
    """The words a short answer of a few words adds to the question (none for a sentence or more)."""
    return set() if len(words(short)) > FRAGMENT_WORDS else new_terms(short, question)


def stating(short: str, question: str, claims: list[str]) -> list[str]:
    """The claims that state the short answer (share a word of it the question lacks), when any do:
    the others are the model's preamble or padding ("The lawsuit was filed in March ..." before
    "they raised that estimate to roughly 31,500")."""
    answer = adds(short, question)
    if len(claims) < 2 or not answer:
        return claims
    return [c for c in claims if answer & content_terms(c)] or claims


def leading(short: str, question: str, claim: str, support: list[Sentence], passages: list[Passage]) -> str:
    """The short answer as the lead of an answer sentence, when the judge checked it (it adds words
    to the question) and it holds words the sentence lacks, every one of them in the support or its
    headline: "Nuclear fusion" before "The breakthrough could someday bring clean power ..."."""
    adds_to_claim = content_terms(short) - content_terms(question) - content_terms(claim)
    if len(words(claim)) <= FRAGMENT_WORDS or answer_type(question) == "yes/no" or not adds_to_claim \
            or not adds_to_claim <= content_terms(with_headers(support, passages)):
        return ""
    return as_written(short, support)


def by_article(sentences: Sequence[Sentence], passages: list[Passage]) -> dict[str, list[Sentence]]:
    """The sentences grouped by article, articles and sentences in the order given."""
    groups: dict[str, list[Sentence]] = {}
    for s in sentences:
        groups.setdefault(passages[s.passage].article_id, []).append(s)
    return groups


def with_headers(sentences: list[Sentence], passages: list[Passage]) -> str:
    """The sentences after their articles' headers (headline, byline, date; each once): what a claim's
    names and words may come from."""
    return " ".join([*dict.fromkeys(passages[s.passage].header for s in sentences), *(s.text for s in sentences)])


def as_written(claim: str, support: list[Sentence]) -> str:
    """A fragment answer as its support writes it ("$19 million", "Rep. Liz Cheney"); a sentence as it is."""
    return source_span(claim, [s.text for s in support]) if len(words(claim)) <= FRAGMENT_WORDS else claim


def quoting(short: str, question: str, cited: list[Sentence]) -> list[str]:
    """The cited sentences holding every word the short answer adds to the question: the answer in
    the source's words when the model's own sentence fails ("within 60 days" cited, a neighbouring
    sentence written)."""
    answer = adds(short, question)
    return [s.text for s in cited if answer and answer <= content_terms(s.text)]


def superseded(group: Sequence[Sentence], passages: list[Passage], ranked: list[Sentence], as_of: dt.date | None,
               question: str = "") -> bool:
    """Whether these sentences' newest article is over ``STALE_DAYS`` older than the question and
    than another retrieved article that bears on the question about as well (a sentence scoring
    within ``NEWER_MARGIN`` of theirs, and at least ``RELEVANCE_GATE``, that shares the question's
    words they or their headline contain, and whose article names something theirs names): an answer
    from the story before last.
    A newer story on something else supersedes nothing, nor does any when these sentences and their
    headline share no word with the question (nothing shows the newer one is on their subject: an
    article on a lunar lander superseded a company's answer to a court ruling), nor one whose
    article shares no name with theirs (the lander's "report" superseded a screening report's
    estimate of renters)."""
    cited = max((passages[s.passage].published for s in group if passages[s.passage].published), default=None)
    if not cited or not as_of or (as_of - cited).days <= STALE_DAYS:
        return False
    # The newer sentence must pass the reader's own relevance gate: under a weakly matching answer,
    # "within the margin" reaches sentences on something else ("a judge ruled" for Aaron Judge).
    bar = max(max(s.score for s in group) - NEWER_MARGIN, RELEVANCE_GATE)
    topic = content_terms(question) & content_terms(" ".join(_headed_text(s, passages) for s in group))
    named = _article_names({passages[s.passage].article_id for s in group}, passages)
    return any(s.score >= bar and (passages[s.passage].published or cited) - cited > dt.timedelta(days=STALE_DAYS)
               and topic & content_terms(_headed_text(s, passages))
               and named & _article_names({passages[s.passage].article_id}, passages) for s in ranked)


def _article_names(articles: set[str], passages: list[Passage]) -> set[str]:
    """The names (capitalised words, not days or months) in these articles' headlines and retrieved text."""
    return names_in(" ".join(f"{p.title}. {p.text}" for p in passages if p.article_id in articles))


def _headed_text(s: Sentence, passages: list[Passage]) -> str:
    """A sentence with its article's headline: what it is about, when the sentence says "he" or "it"."""
    return f"{passages[s.passage].title} {s.text}"


def asked_period(query: Query) -> TimeFrame | None:
    """The period the question names ("this week", "on Monday"), as retrieval narrowed to it (the
    store holds dated articles in it), or read against the date the question was asked as of. Asked
    with no date of articles none of which is in that period, "last year" is the articles' last
    year, not the one before today: they answer it."""
    return query.frame or (resolve_timeframe(query.text, query.now) if query.now else None)


def within_period(query: Query, passages: list[Passage], ranked: list[Sentence]) -> tuple[list[Sentence], str]:
    """The sentences an answer may rest on: for a question naming its period ("this week", not a
    weekday), those of articles published no more than ``PERIOD_SLACK`` days before it began
    (undated ones too); and, when any were left out, a note saying when the newest of them was
    published."""
    period = asked_period(query)
    if not period or period.weekday:
        return ranked, ""
    start = period.since - dt.timedelta(days=PERIOD_SLACK)
    kept = [s for s in ranked if not passages[s.passage].published or passages[s.passage].published >= start]
    left_out = set(ranked) - set(kept)
    older = max((passages[s.passage].published for s in left_out if s.score >= RELEVANCE_GATE), default=None)
    return kept, f"The newest report found on it is from {older.isoformat()}, before {period.phrase!r}." if older else ""


def current(answer: Answer, query: Query) -> Answer:
    """The answer, or, when it rests only on articles more than ``HORIZON_DAYS`` older than the date
    the question was asked as of and the question names no time of its own, an abstention saying how
    old the newest of them is."""
    newest = max((c.published for c in answer.citations if c.published), default=None)
    if answer.abstained or not newest or not query.now or (query.now - newest).days <= HORIZON_DAYS \
            or _DATED_QUESTION.search(query.text) or asked_period(query):
        return answer
    note = f"The newest report found on it is from {newest.isoformat()}, more than {HORIZON_DAYS} days before " \
           f"{query.now.isoformat()}."
    return Answer(answer.question, f"{ABSTENTION} {note}", True, passages=answer.passages, mode=answer.mode,
                  model=answer.model)


def dated(text: str, query: Query, citations: list) -> str:
    """A question about the present answered only from evidence older than ``STALE_DAYS`` says
    how old its evidence is: "As of 2014-06-02: ..."."""
    newest = max((c.published for c in citations if c.published), default=None)
    if newest and query.as_of and (query.as_of - newest).days > STALE_DAYS and _CURRENT.search(query.text):
        return f"As of {newest.isoformat()}: {text}"
    return text


def extract_answer(question: str, passages: list[Passage], ranked: list[Sentence]) -> Answer:
    """No LLM: the best relevant sentence that offers an answer, quoted verbatim with its citation
    (both sides when dated sources disagree); an abstention when none does."""
    answering = [s for s in ranked[:ANSWER_CANDIDATES]
                 if s.score >= RELEVANCE_GATE and offers_answer(question, s.text) and not is_instruction(s.text)]
    if not answering:
        return Answer(question, ABSTENTION, True, passages=passages, mode="extract")
    builder = CitationBuilder(passages)
    conflict = find_conflict(answering, passages, RELEVANCE_GATE)
    if conflict:
        parts = []
        for label, s in (("Newest report", conflict.newer), ("Earlier report", conflict.older)):
            parts.append(f"{label} ({passages[s.passage].date_label}): {s.text} [{builder.cite(s)}]")
        text = " ".join(parts)
    else:
        text = f"{answering[0].text} [{builder.cite(answering[0])}]"
    return Answer(question, text, False, builder.citations, passages, "extract")
