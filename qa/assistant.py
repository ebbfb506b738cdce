"""The public entry point: ingest articles, ask questions, get verified, cited answers."""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from functools import cached_property, partial
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from index.embedding import Embedder, Tokenizer
from index.ingest import ingest
from index.lexical import LexicalIndex, load_lexical
from index.models import IngestReport, LoadIssue
from index.store import Store, StoredArticle

from .answer_type import answer_type, offers_answer
from .citations import CitationBuilder, DraftChecker, Verifier
from .config import Config
from .followup import rewrite
from .evidence import Sentence, passage_sentences, rank_sentences
from .judging import can_judge, support_probability
from .prompting import build_messages
from .recency import Conflict, find_conflict
from .retrieval import Filters, HybridRetriever, to_passage
from .timeframe import TimeFrame
from .timeframe import resolve as resolve_timeframe
from .types import Answer, Passage

log = logging.getLogger(__name__)

ABSTENTION = "The sources don't say."
MODES = ("default", "generate", "extract")
# Minimum question-sentence score (cosine + 0.3 x term overlap) for any answer at all.
RELEVANCE_GATE = 0.3
# Best-ranked sentences considered for an extractive answer.
ANSWER_CANDIDATES = 5
# Evidence windows given to the LLM: prompt length is latency (~50-100 prompt tokens/s here).
MAX_WINDOWS = 3


class Assistant:
    """Question answering over one store of news articles.

    >>> a = Assistant("newsqa-store")
    >>> a.ingest(["seeds/"])
    >>> a.ask("What proof was offered for the attribution?").text
    """

    def __init__(self, store: str | Path | None = None, config: Config | None = None, **overrides: object) -> None:
        self.config = config or Config.from_env(**overrides)
        if store is not None:
            self.config.store = Path(store)
        self.store = Store(self.config.store, self.config.chroma_url)
        self.embedder = Embedder(self.config.embed_batch_size, self.config.embed_bf16)
        self._lexical: LexicalIndex | None = None
        self._lexical_version = ""
        self._lock = threading.RLock()  # guards _lexical
        self._writing = threading.Lock()  # one ingest or remove at a time; questions go on meanwhile

    @property
    def lexical_dir(self) -> Path:
        return self.config.store / "bm25"

    @cached_property
    def llm(self):
        """The configured LLM, loaded on first use (None when ``model`` is "none")."""
        from .llm import load_llm

        return load_llm(self.config)

    def ingest(self, paths: Iterable[str | Path], limit: int | None = None, progress: bool = False,
               on_issue: Callable[[LoadIssue], None] | None = None) -> IngestReport:
        """Load, clean, chunk, embed and store articles from files or folders; unchanged ones are skipped."""
        with self._writing:
            report = ingest(paths, self.store, self.embedder, Tokenizer(), self.lexical_dir,
                            chunk_tokens=self.config.chunk_tokens, overlap=self.config.chunk_overlap_sentences,
                            limit=limit, max_file_bytes=self.config.max_file_bytes, progress=progress,
                            on_issue=on_issue)
            self._lexical = None
            return report

    def articles(self) -> list[StoredArticle]:
        return self.store.articles()

    def remove(self, key: str) -> int:
        """Remove an article by id or URL; returns the number of chunks removed."""
        with self._writing:
            removed = self.store.remove(key)
            self._lexical = None
            return removed

    def stats(self) -> dict[str, object]:
        return {"store": str(self.config.store), "articles": len(self.articles()), "chunks": self.store.count(),
                "embedding_model": self.embedder.name}

    def retrieve(self, question: str, as_of: dt.date | str | None = None, sites: Iterable[str] = (),
                 *, articles: Iterable[str] = (), history: Sequence[str] = ()) -> list[Passage]:
        """The top passages for a question: hybrid, filtered by date, site and article, diverse across articles.

        ``articles`` restricts the search to those article ids (an article's id is its URL when it has one).
        A relative time phrase ("last Friday") narrows the search to articles published since then,
        unless nothing matches there. ``history``: the conversation's earlier questions, oldest first;
        a follow-up ("who wrote it?") is searched with the topic they carry.
        """
        return self._retrieve(searched(question, history), _as_date(as_of), tuple(sites), tuple(articles))[0]

    def _retrieve(self, question: str, as_of: dt.date | None, sites: tuple[str, ...],
                  articles: tuple[str, ...] = ()) -> tuple[list[Passage], TimeFrame | None]:
        c = self.config
        frame = resolve_timeframe(question, as_of)
        lexical, current = self._lexical_state()
        for since in ([frame.since] if frame else []) + [None]:
            retriever = HybridRetriever(self.store, lexical, self.embedder,
                                        filters=Filters(as_of, sites, since, articles),
                                        top_k=c.top_k, candidates=c.candidates, max_per_article=c.max_per_article,
                                        bm25_weight=c.bm25_weight, dense_weight=c.dense_weight, rrf_k=c.rrf_k,
                                        current=current)
            passages = [to_passage(n) for n in retriever.retrieve(question)]
            if passages:
                return passages, frame if since else None
        return [], None

    def ask(self, question: str, as_of: dt.date | str | None = None, sites: Iterable[str] = (),
            mode: str | None = None, *, articles: Iterable[str] = (), history: Sequence[str] = ()) -> Answer:
        """Answer briefly with verified ``[n]`` citations, or abstain when the sources don't say."""
        answer = None
        for answer in self.ask_stream(question, as_of, sites, mode, articles=articles, history=history):
            pass
        return answer

    def ask_stream(self, question: str, as_of: dt.date | str | None = None, sites: Iterable[str] = (),
                   mode: str | None = None, stop: threading.Event | None = None,
                   *, articles: Iterable[str] = (), history: Sequence[str] = ()) -> Iterator[Answer]:
        """Verified answers as they firm up; the last one yielded is the final answer.

        In the default mode the extractive answer comes first (no wait for the model), then the
        model's answer replaces it sentence by sentence, each sentence shown only once verified.
        Closing the iterator stops generation; so does setting ``stop`` (from another thread),
        at the next token. ``history``: the conversation's earlier questions, oldest first.
        """
        started = time.perf_counter()
        mode = mode or self.config.mode
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        question = " ".join(question.split())
        if not question:
            raise ValueError("empty question")
        passages, frame = self._retrieve(searched(question, history), _as_date(as_of), tuple(sites), tuple(articles))
        ranked = rank_sentences(question, passages, self.embedder)
        for answer in self._answers(question, passages, ranked, mode, frame, stop or threading.Event()):
            answer.seconds = time.perf_counter() - started
            yield answer

    def _answers(self, question: str, passages: list[Passage], ranked: list[Sentence], mode: str,
                 frame: TimeFrame | None, stop: threading.Event) -> Iterator[Answer]:
        abstain = Answer(question, ABSTENTION, True, passages=passages, mode=mode)
        extracted = extract_answer(question, passages, ranked)
        relevant = bool(ranked) and ranked[0].score >= RELEVANCE_GATE
        # The model runs even when no sentence offers the asked type word for word: it can bridge a
        # paraphrase ("Author: Jason Ditz" answers "who wrote it?"), and its sentences are verified.
        llm = self.llm if relevant and mode != "extract" else None
        if llm is None:
            yield extracted
            return
        extracted.model = abstain.model = llm.name
        if mode == "default" and not extracted.abstained:
            yield extracted
        windows = focus_windows(passages, ranked)
        judge = partial(support_probability, llm) if self.config.judge and can_judge(llm) else None
        verifier = Verifier(windows, question, judge)
        checker = DraftChecker(verifier, question)

        def generated(text: str) -> Answer:
            return Answer(question, text, False, list(verifier.citations), passages, "generate", llm.name)

        stream = llm.stream(build_messages(question, windows, frame), self.config.max_answer_tokens)
        try:
            for piece in stream:
                if checker.feed(piece) and checker.answers:
                    yield generated(checker.text)
                if checker.failed or stop.is_set():
                    break
        finally:
            stream.close()
        if stop.is_set():
            return
        checker.finish()
        for _ in checker.confirm():
            if checker.answers:
                yield generated(checker.text)
        log.debug("draft %r: kept %s%s", checker.draft, checker.kept, " (lead sentence failed)" * checker.failed)
        if checker.answers and not checker.failed:
            text = checker.text
            conflict = _within(find_conflict(ranked, passages, RELEVANCE_GATE), passages, windows)
            if conflict:
                text = cite_both_sides(text, verifier.builder, conflict, windows)
            final = generated(text)
        elif mode == "default" and answer_type(question):
            # The model's answer did not verify. Only a typed question ("how many", "when", "what
            # name", yes/no) whose type sits next to the asked words in a sentence is still answered
            # by quoting that sentence: for an open question a true sentence on the topic is no answer.
            final = extracted
        else:
            final = abstain
        final.draft = checker.draft
        yield final

    def _current_lexical(self) -> LexicalIndex:
        return self._lexical_state()[0]

    def _lexical_state(self) -> tuple[LexicalIndex, bool]:
        """The BM25 index to serve from, and whether it holds every stored chunk."""
        with self._lock:
            # During an ingest the index from before it serves (its new chunks are found densely):
            # rebuilding BM25 after every batch would stall both the questions and the ingest.
            # The store's version token, not its chunk count: another client of a shared server may
            # remove and add as many chunks as it removed. Read before loading, so a write during
            # the load shows up as a change next time.
            version = self.store.version()
            changed = self._lexical is not None and version != self._lexical_version
            if self._lexical is None or (changed and not self._writing.locked()):
                self._lexical = load_lexical(self.store, self.lexical_dir)
                self._lexical_version = version
            return self._lexical, version == self._lexical_version


def focus_windows(passages: list[Passage], ranked: list[Sentence], limit: int = MAX_WINDOWS) -> list[Passage]:
    """For the best passages, the best sentence with its neighbours: short, question-focused evidence."""
    windows: list[Passage] = []
    used: set[int] = set()
    for s in ranked:
        if s.passage in used or s.score < RELEVANCE_GATE:
            continue
        used.add(s.passage)
        p = passages[s.passage]
        windows.append(_window(p, s))
        if len(windows) == limit:
            break
    return windows


def _window(p: Passage, best: Sentence) -> Passage:
    sents = passage_sentences(p, 0)
    i = next(k for k, s in enumerate(sents) if s.start == best.start)
    lo, hi = max(0, i - 1), min(len(sents), i + 2)
    a, b = sents[lo].start, sents[hi - 1].end
    return Passage(p.chunk_id, p.article_id, p.title, p.url, p.published,
                   p.text[a - p.start:b - p.start], a, b, best.score)


def extract_answer(question: str, passages: list[Passage], ranked: list[Sentence]) -> Answer:
    """No LLM: the best relevant sentence that offers an answer, quoted verbatim with its citation
    (both sides when dated sources disagree); an abstention when none does."""
    answering = [s for s in ranked[:ANSWER_CANDIDATES] if s.score >= RELEVANCE_GATE and offers_answer(question, s.text)]
    if not answering:
        return Answer(question, ABSTENTION, True, passages=passages, mode="extract")
    builder = CitationBuilder(passages)
    conflict = find_conflict(answering, passages, RELEVANCE_GATE)
    if conflict:
        text = cite_both_sides("", builder, conflict, passages)
    else:
        text = f"{answering[0].text} [{builder.cite(answering[0])}]"
    return Answer(question, text, False, builder.citations, passages, "extract")


def cite_both_sides(text: str, builder: CitationBuilder, conflict: Conflict, passages: list[Passage]) -> str:
    """``text`` followed by whichever side of the conflict it does not cite yet, the newer first."""
    cited = {c.article_id for c in builder.citations}
    parts = [text] if text else []
    for label, s in (("Newest report", conflict.newer), ("Earlier report", conflict.older)):
        p = passages[s.passage]
        if p.article_id not in cited:
            parts.append(f"{label} ({p.date_label}): {s.text} [{builder.cite(s)}]")
    return " ".join(parts)


def _within(conflict: Conflict | None, passages: list[Passage], windows: list[Passage]) -> Conflict | None:
    """The conflict with its sentences numbered by the evidence windows holding them, if both are shown."""
    def relocate(s: Sentence) -> Sentence | None:
        p = passages[s.passage]
        return next((Sentence(k, s.text, s.start, s.end, s.score) for k, w in enumerate(windows)
                     if w.article_id == p.article_id and w.start <= s.start < w.end), None)

    if conflict is None:
        return None
    newer, older = relocate(conflict.newer), relocate(conflict.older)
    return Conflict(newer, older) if newer and older else None


def searched(question: str, history: Sequence[str]) -> str:
    """The question as searched: a follow-up carries the topic of the questions before it."""
    chain: list[str] = []
    for earlier in [*history, question]:
        chain.append(rewrite(earlier, chain))
    return chain[-1]


def _as_date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value.replace("/", "-"))
