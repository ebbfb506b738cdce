"""Run folders, and per-question results cached as they finish so an interrupted run resumes."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from qa import Config

RUNS = Path(__file__).resolve().parent / "runs"
T = TypeVar("T")


def run_dir(out: str | Path | None, kind: str) -> Path:
    """``out``, else ``evals/runs/<UTC time>-<kind>/``; an existing folder is resumed."""
    path = Path(out) if out else RUNS / f"{dt.datetime.now(dt.timezone.utc):%Y%m%d-%H%M%S}-{kind}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_settings(config: Config) -> dict:
    """The settings that shape answers (where the store lives does not)."""
    return {k: str(v) if isinstance(v, Path) else v
            for k, v in dataclasses.asdict(config).items() if k not in ("store", "chroma_url")}


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


class ResultCache:
    """``questions.jsonl`` in the run folder: one line per finished question, keyed by id + settings."""

    def __init__(self, run: Path, settings: dict) -> None:
        self.path = run / "questions.jsonl"
        self.key = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]
        self.done: dict[str, dict] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue  # the half-written last line of a killed run
                if row.get("key") == self.key:
                    self.done[row["id"]] = row["result"]

    def add(self, qid: str, result: dict) -> None:
        self.done[qid] = result
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"id": qid, "key": self.key, "result": result}, ensure_ascii=False, default=str) + "\n")


def run_all(items: Sequence[T], ident: Callable[[T], str], evaluate: Callable[[T], dict],
            cache: ResultCache) -> tuple[list[dict], int]:
    """Each item's result, from the cache or evaluated now, in the order of ``items``; and how many were cached."""
    from tqdm import tqdm

    reused = sum(ident(item) in cache.done for item in items)
    for item in tqdm(items, desc="questions", unit="q", file=sys.stderr, mininterval=10, dynamic_ncols=True):
        if ident(item) not in cache.done:
            cache.add(ident(item), evaluate(item))
    return [cache.done[ident(item)] for item in items], reused
