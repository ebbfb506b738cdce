"""Replaying an earlier run's model replies: the reader's checks measured in minutes, not half an hour.

Generating the draft is most of an answer's time; the checks after it (statements, the judge,
superseding, the fallbacks) are what most reader changes touch. A replayed run gives each item
the reply recorded for it when the model is shown the same evidence, so the draft is the one the
model wrote; the judge still runs. Where the evidence differs (a change before the draft), the
model answers anew; a change to the prompt's wording needs a run without a replay. The judge's
probabilities near a threshold move a little with llama.cpp's cache state, so a replay of
unchanged code can differ from its record by an item or two in a hundred. A replayed reply carries
no token probabilities: its answer's ``opening_logprob`` is None.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path


def recorded(run: Path) -> dict[str, tuple[str, list[str]]]:
    """``item id -> (evidence, replies)`` from a run folder's ``results.json`` (items without a reply left
    out). The evidence is what the model read: ``read`` in `eval qa` rows, whose ``evidence`` is the gold
    sentence."""
    path = run / "results.json"
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["questions"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not the results of a run to replay ({exc.__class__.__name__})") from None
    read = {r["id"]: r.get("read", r.get("evidence")) for r in rows}
    return {r["id"]: (read[r["id"]], r["replies"]) for r in rows if r.get("replies") and read[r["id"]]}


class Replayed:
    """The assistant's model, except that the n-th request showing the evidence of the item now
    asked gets that item's n-th recorded reply (a second draft follows a failed first)."""

    def __init__(self, llm, replies: dict[str, tuple[str, list[str]]]) -> None:
        self.llm, self.replies, self.name = llm, replies, llm.name
        self.item: str | None = None
        self.turn = 0
        self.replayed = self.generated = 0

    def start(self, item: str) -> None:
        """The next requests are for ``item``."""
        self.item, self.turn = item, 0

    def stream(self, messages: list[dict[str, str]], max_tokens: int, **kwargs) -> Iterator[str]:
        evidence, replies = self.replies.get(self.item, ("", []))
        if evidence and evidence in messages[-1]["content"] and self.turn < len(replies):
            self.turn += 1
            self.replayed += 1
            return iter_once(replies[self.turn - 1])
        self.generated += 1
        return self.llm.stream(messages, max_tokens, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.llm, name)  # yes_probability and the rest: the real model


def iter_once(text: str) -> Iterator[str]:
    yield text
