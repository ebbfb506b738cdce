"""The public entry point: ingest articles, ask questions, get verified, cited answers."""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from index.embedding import Embedder, Tokenizer
from index.ingest import ingest_records
from index.lexical import LexicalIndex, load_lexical
from index.loading import load_paths
from index.store import Store

from .answer_type import asks
from .byline import about, asks_author, byline
from .config import FUSIONS, MODES, Config
from .evidence import Sentence, rank_sentences
from .followup import resolve, rewrite
from .fusion import load_fusion
from .reader import JUDGES, Query, Reader
from .retrieval import Filters, HybridRetriever, to_passage
from .timeframe import TimeFrame
from .timeframe import resolve as resolve_timeframe
from .types import (Answer, Feed, FeedResult, IngestReport, LoadIssue, Passage, RefreshReport, ReindexReport,
                    StoredArticle)

log = logging.getLogger(__name__)


class Assistant:
    """Question answering over one store of news articles.

    >>> a = Assistant("newsqa-store")
    >>> a.ingest(["seeds/"])
    >>> a.ask("What proof was offered for the attribution?").text
    """

    def __init__(self, store: str | Path | None = None, config: Config | None = None, **overrides: object) -> None:
        """``config`` (default: ``Config.from_env()``) with ``store`` and the non-None ``overrides`` applied
        to a copy: the caller's ``config`` is never changed."""
        self.config = (config or Config.from_env()).with_overrides(store=store, **overrides)
        if self.config.fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {self.config.fusion!r}; choose one of {', '.join(FUSIONS)}")
        self._store = Store(self.config.store, self.config.chroma_url)
        self._embedder = Embedder(self.config.embed_batch_size, self.config.embed_bf16, self.config.embed_variant,
                                  self.config.embed_backend, self.config.embed_threads)
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
        records = load_paths(paths, limit=limit, max_file_bytes=self.config.max_file_bytes)
        return self._ingest_records(records, progress, on_issue, total=limit)

    def articles(self) -> list[StoredArticle]:
        return self._store.articles()

    def remove(self, key: str) -> int:
        """Remove an article by id or URL; returns the number of chunks removed."""
        with self._writing:
            removed = self._store.remove(key)
            self._lexical = None
            return removed

    def stats(self) -> dict[str, object]:
        return {"store": str(self.config.store), "articles": len(self.articles()), "chunks": self._store.count(),
                "embedding_model": self._embedder.name}

    def retrieve(self, question: str, as_of: dt.date | str | None = None, sites: Iterable[str] = (),
                 *, articles: Iterable[str] = (), history: Sequence[str] = (), top_k: int | None = None) -> list[Passage]:
        """The top passages for a question: hybrid, filtered by date, site and article, diverse across articles.

        ``articles`` restricts the search to those article ids (an article's id is its URL when it has one).
        A relative time phrase ("last Friday") narrows the search to articles published since then,
        unless nothing matches there. ``history``: the conversation's earlier questions, oldest first;
        a follow-up ("who wrote it?") is searched with the topic they carry. ``top_k``: how many
        passages for this call (default ``config.top_k``).
        """
        return self._retrieve(searched(question, history), _as_date(as_of), tuple(sites), tuple(articles), top_k)[0]

    def retriever(self, filters: Filters = Filters(), top_k: int | None = None) -> HybridRetriever:
        """The llama-index retriever over the serving indexes, as ``retrieve`` uses it (no time-phrase
        narrowing, no follow-up rewriting); its ``lexical`` and ``dense`` parts can be queried alone."""
        c = self.config
        lexical, current = self._lexical_state()
        return HybridRetriever(self._store, lexical, self._embedder, filters=filters, top_k=top_k or c.top_k,
                               candidates=c.candidates, max_per_article=c.max_per_article,
                               bm25_weight=c.bm25_weight, dense_weight=c.dense_weight, rrf_k=c.rrf_k, current=current,
                               fusion=load_fusion() if c.fusion == "learned" else None)

    def _retrieve(self, question: str, as_of: dt.date | None, sites: tuple[str, ...], articles: tuple[str, ...] = (),
                  top_k: int | None = None) -> tuple[list[Passage], TimeFrame | None]:
        frame = resolve_timeframe(question, as_of)
        for since in ([frame.since] if frame else []) + [None]:
            retriever = self.retriever(Filters(as_of, sites, since, articles), top_k)
            passages = [to_passage(n) for n in retriever.retrieve(question)]
            # Undated articles pass a period's filter (their date is unknown), but finding only them
            # finds nothing in the period: "on Tuesday" over articles of other years is their Tuesday.
            if passages and (since is None or any(p.published for p in passages)):
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
        model's verified answer (or the abstention) replaces it.
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
        day = _as_date(as_of)
        question = resolve(question, history)
        search = searched(question, history)
        passages, frame = self._retrieve(search, day, tuple(sites), tuple(articles))
        ranked = rank_sentences(search, passages, self._embedder.embed)  # a follow-up ranks by its topic too
        passages, ranked = self._on_writer(question, search, passages, ranked, day, tuple(sites))
        query = Query(question, tuple(history), day or dt.date.today(), frame, day)
        for answer in self._reader(mode).answers(query, passages, ranked, mode, stop or threading.Event()):
            answer.seconds, answer.searched = time.perf_counter() - started, search
            yield answer

    def _on_writer(self, question: str, search: str, passages: list[Passage], ranked: list[Sentence],
                   day: dt.date | None, sites: tuple[str, ...]) -> tuple[list[Passage], list[Sentence]]:
        """For "who wrote it, and what does he cover?", the passages and ranked sentences with the
        byline's article searched again for the second ask, about the writer by name: the line on
        the writer is often in a chunk the question did not reach (a recall story's "Desmond
        Achterberg covers consumer technology ..." at its end)."""
        parts = asks(question)
        writer = byline(parts[0], passages, ranked) if len(parts) == 2 and asks_author(parts[0]) else None
        ask = about(parts[1], writer[0]) if writer else parts[-1]
        if ask == parts[-1]:  # no writer, or a second ask not about them
            return passages, ranked
        known = {p.chunk_id for p in passages}
        found = self._retrieve(ask, day, sites, (passages[writer[1].passage].article_id,))[0]
        more = [p for p in found if p.chunk_id not in known]
        if not more:
            return passages, ranked
        passages = passages + more
        return passages, rank_sentences(search, passages, self._embedder.embed)

    def _reader(self, mode: str) -> Reader:
        llm = self.llm if mode != "extract" else None
        # A server's probabilities are taken at the packaged Qwen's threshold: a server is there to
        # run that model or a larger one; a small local GGUF (SmolLM2) judges near chance.
        calibrated = bool(self.config.llm_url) or self.config.model in JUDGES
        judge = llm.yes_probability if llm is not None and self.config.judge and calibrated else None
        return Reader(llm, judge, self._embedder.embed, self.config.max_answer_tokens)

    def _lexical_state(self) -> tuple[LexicalIndex, bool]:
        """The BM25 index to serve from, and whether it holds every stored chunk."""
        with self._lock:
            # During an ingest the index from before it serves (its new chunks are found densely):
            # rebuilding BM25 after every batch would stall both the questions and the ingest.
            # The store's version token, not its chunk count: another client of a shared server may
            # remove and add as many chunks as it removed. Read before loading, so a write during
            # the load shows up as a change next time.
            version = self._store.version()
            changed = self._lexical is not None and version != self._lexical_version
            if self._lexical is None or (changed and not self._writing.locked()):
                self._lexical = load_lexical(self._store, self.lexical_dir)
                self._lexical_version = version
            return self._lexical, version == self._lexical_version

    def ingest_urls(self, urls: Iterable[str], progress: bool = False,
                    on_issue: Callable[[LoadIssue], None] | None = None) -> IngestReport:
        """Fetch and ingest article pages, feeds (each entry) and OPML lists (each listed feed's entries)."""
        from index.sources import load_urls

        records = load_urls(urls, self._fetcher, self.config.fetch_workers)
        return self._ingest_records(records, progress, on_issue)

    def follow(self, source: str, on_issue: Callable[[LoadIssue], None] | None = None) -> list[Feed]:
        """Follow a feed URL, or every feed an OPML list (URL or file) names; returns the feeds newly
        followed. Their articles come with the next :meth:`refresh`."""
        from index.sources import discover

        found, issues = discover(source, self._fetcher)
        for issue in issues:
            (on_issue or log.warning)(issue)
        return self._store.feeds.add(found)

    def unfollow(self, url: str) -> bool:
        """Stop following a feed (its stored articles stay); False when it was not followed."""
        return self._store.feeds.remove(url)

    def feeds(self) -> list[Feed]:
        """The followed feeds, with when each was last fetched and what came of it."""
        return self._store.feeds.all()

    def refresh(self, on_feed: Callable[[FeedResult], None] | None = None, progress: bool = False,
                on_issue: Callable[[LoadIssue], None] | None = None) -> RefreshReport:
        """Fetch what is new in every followed feed and ingest it; ``on_feed`` hears each feed's result
        as soon as its articles are read. A feed's state is saved once its articles are stored."""
        from index.sources import refresh_feeds

        after: list[Feed] = []
        results: list[FeedResult] = []

        def done(feed: Feed, result: FeedResult) -> None:
            after.append(feed)
            results.append(result)
            if on_feed:
                on_feed(result)

        records = refresh_feeds(self.feeds(), self._fetcher, done, self.config.fetch_workers)
        report = self._ingest_records(records, progress, on_issue)
        self._store.feeds.update(after)
        return RefreshReport(results, report)

    @cached_property
    def _fetcher(self):
        """One fetcher for the assistant's life: its per-host limits and robots.txt rules hold across runs."""
        from index.fetching import Fetcher

        return Fetcher(self.config.fetch_settings())

    def _ingest_records(self, records, progress: bool, on_issue: Callable[[LoadIssue], None] | None,
                        total: int | None = None) -> IngestReport:
        with self._writing:
            report = ingest_records(records, self._store, self._embedder, Tokenizer(), self.lexical_dir,
                                    chunk_tokens=self.config.chunk_tokens, overlap=self.config.chunk_overlap_sentences,
                                    total=total, progress=progress, on_issue=on_issue)
            self._lexical = None
            return report

    def reindex(self, progress: bool = False) -> ReindexReport:
        """Re-embed every stored chunk with the configured variant (``embed_variant``). The new vectors are
        built aside and replace the old ones whole, so an interrupted reindex leaves the store as it was."""
        from index.reindex import reindex

        with self._writing:
            report = reindex(self._store, self._embedder, progress)
            self._lexical = None
            return report


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
