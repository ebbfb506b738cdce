"""The conversation: stream verified answers into the transcript, stop on request.

Follow-ups are resolved by ``Assistant.ask_stream`` from the conversation's earlier questions."""
from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from qa import Assistant, ModelError

from .render import Turn

T = TypeVar("T")
# How often the handler comes up for air while the model writes: it notices Stop then.
POLL_SECONDS = 0.25
# How long Stop and New chat wait for the answer to end (within POLL_SECONDS unless the UI hangs).
END_WAIT_SECONDS = 5.0


def ask(assistant: Assistant, question: str, turns: list[Turn], as_of: str, sites: Sequence[str], mode: str | None,
        stop: threading.Event) -> Iterator[list[Turn] | None]:
    """The transcript after each verified snapshot of the answer (the new turn is last), or None: nothing new.

    Setting ``stop`` (or closing this iterator) stops the answer: the model halts at its next token,
    and the last transcript yielded shows the turn as stopped.
    """
    question = " ".join(question.split())
    if not question:
        return
    history = [t.question for t in turns]
    turn = Turn(question, question)
    turns = [*turns, turn]
    yield turns
    answers = in_background(lambda closing: assistant.ask_stream(question, as_of=as_of.strip() or None,
                                                                 sites=tuple(sites), mode=mode or None, stop=closing,
                                                                 history=history))
    try:
        for answer in answers:
            if stop.is_set():
                turn.stopped = True
                break
            if answer is not None:
                turn.answer, turn.searched = answer, answer.searched or question
            yield turns if answer is not None else None
    except (ValueError, ModelError) as exc:  # a malformed date, an unusable model: say so in the chat
        turn.error = str(exc)
    finally:
        answers.close()
    turn.done = True
    yield turns


@dataclass
class _Run:
    stop: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)


class Answering:
    """The answer each browser session is being given, so that Stop and New chat can end it.

    The answer ends itself and its handler completes as usual. Gradio's own cancellation is not
    used: the page defers a question asked while a cancellation is still settling until the
    cancelled event completes, which it never does, so that question never got an answer.
    """

    def __init__(self) -> None:
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def run(self, session: str) -> Iterator[threading.Event]:
        """Register the session's answer for its duration; yields the event that stops it."""
        run = _Run()
        with self._lock:
            self._runs[session] = run
        try:
            yield run.stop
        finally:
            with self._lock:
                if self._runs.get(session) is run:
                    del self._runs[session]
            run.ended.set()

    def end(self, session: str, wait: float = END_WAIT_SECONDS) -> None:
        """Stop the session's answer, if one is running, and wait until its handler has ended."""
        with self._lock:
            run = self._runs.get(session)
        if run is not None:
            run.stop.set()
            run.ended.wait(wait)


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_END = object()


def in_background(make: Callable[[threading.Event], Iterator[T]], poll: float = POLL_SECONDS) -> Iterator[T | None]:
    """``make(closing)``'s items, iterated in a thread; None whenever ``poll`` seconds pass without one.

    The caller never blocks for long inside ``next``, so it can be cancelled promptly. Closing
    this generator sets ``closing`` (for ``make`` to watch) and closes ``make``'s iterator after
    its next item (a generator can only be closed by the thread running it, between items).
    """
    items: queue.Queue = queue.Queue()
    closing = threading.Event()

    def run() -> None:
        try:
            it = make(closing)
            try:
                for item in it:
                    items.put(item)
                    if closing.is_set():
                        break
            finally:
                it.close()
        except BaseException as exc:  # handed to the caller's thread, raised there
            items.put(_Failed(exc))
        items.put(_END)

    threading.Thread(target=run, name="newsqa-answer", daemon=True).start()
    try:
        while True:
            try:
                item = items.get(timeout=poll)
            except queue.Empty:
                yield None
                continue
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        closing.set()
