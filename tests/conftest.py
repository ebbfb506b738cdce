"""Shared fixtures: real Chroma stores on temp dirs, the real packaged models, loaded once."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds" / "articles"
RTQA = REPO.parent / "shared" / "data" / "realtimeqa-2022"
ATTRIBUTION_Q = "What proof was offered for the attribution?"
# What a test marked fast must not import: a model (torch, llama.cpp) or the UI would make it slow.
HEAVY = frozenset({"torch", "llama_cpp", "gradio"})


@pytest.fixture(autouse=True)
def _fast_stays_fast(request):
    """Fail a test marked fast that loads a model or the UI (caught when it runs first, as in `make test-fast`)."""
    before = HEAVY & sys.modules.keys()
    yield
    if request.node.get_closest_marker("fast"):
        loaded = (HEAVY & sys.modules.keys()) - before
        assert not loaded, f"a test marked fast imported {sorted(loaded)}: unmark it"


def assert_consistent(store_path: Path) -> dict[str, int]:
    """Reopen a store and check it: each article stored whole (chunks 0..n-1 once), in one
    version, and the BM25 index over exactly Chroma's chunks. Returns chunk counts by article."""
    from index.lexical import load_lexical
    from index.store import Store

    store = Store(store_path)
    versions: dict[str, list[tuple[str, int, int]]] = {}
    for _, _, m in store.iter_chunks(["metadatas"]):
        versions.setdefault(m["article_id"], []).append((m["text_hash"], m["chunk_index"], m["n_chunks"]))
    for article, chunks in versions.items():
        assert len({h for h, _, _ in chunks}) == 1, f"{article}: several versions stored"
        assert sorted(i for _, i, _ in chunks) == list(range(chunks[0][2])), f"{article}: half-stored"
    ids = sorted(cid for cid, _, _ in store.iter_chunks([]))
    assert sorted(load_lexical(store, store_path / "bm25").ids) == ids
    return {article: len(chunks) for article, chunks in versions.items()}


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(argv: list[str], ready_url: str, log: Path, timeout: float = 240.0, cwd: Path | None = None) -> Iterator[None]:
    """Run a server process until ``ready_url`` answers 200; stop it on exit."""
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert proc.poll() is None, f"{argv[0]} exited: {log.read_text(errors='replace')[-2000:]}"
            try:
                with urllib.request.urlopen(ready_url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"{ready_url} not up after {timeout:.0f}s: {log.read_text(errors='replace')[-2000:]}"
            time.sleep(0.5)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def write_jsonl(path: Path, rows: list[dict | str]) -> Path:
    """Write rows (dicts as JSON, strings verbatim) one per line."""
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def seeded_store(tmp_path_factory) -> Path:
    """A store holding the seed article, built once per test session."""
    from qa import Assistant

    path = tmp_path_factory.mktemp("seeded") / "store"
    report = Assistant(path, model="none").ingest([SEEDS])
    assert report.articles == 1 and report.chunks > 1
    return path


@pytest.fixture(scope="session")
def smol(seeded_store):
    """Assistant over the seed store with the fast SmolLM2-135M model."""
    from qa import Assistant

    return Assistant(seeded_store, model="smollm2-135m")


@pytest.fixture(scope="session")
def qwen(seeded_store):
    """Assistant over the seed store with the default packaged Qwen2.5-1.5B model."""
    from qa import Assistant

    return Assistant(seeded_store, model="qwen2.5-1.5b")
