"""Crash safety: an ingest killed half-way leaves a consistent store, and the next ingest completes it."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading

import numpy as np

from conftest import REPO, RTQA, assert_consistent, write_jsonl
from index.loading import load_paths
from index.models import Article
from qa import Assistant

LIMIT = 150  # about 1,300 chunks in several batches: the kill at the third leaves more to do than a fast (int8) embedder finishes first


def _ingest_cmd(store) -> list[str]:
    return [sys.executable, "-m", "qa.cli", "ingest", str(RTQA / "articles.jsonl.gz"), "--limit", str(LIMIT), "--store", str(store)]


def _kill_at_third_batch(proc: subprocess.Popen) -> str:
    """SIGKILL the ingest when its progress bar counts the third batch of articles.

    The bar counts a batch as it goes to the embedder, after the batch before last was
    stored: so the first batch is stored and the third is not, and the kill lands half-way.
    """
    seen = b""

    def read() -> None:
        nonlocal seen
        while chunk := os.read(proc.stderr.fileno(), 4096):
            seen += chunk
            if len({int(n) for n in re.findall(rb"\b(\d+)/%d\b" % LIMIT, seen)} - {0}) >= 3:
                proc.send_signal(signal.SIGKILL)
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=600)
    proc.kill()  # no-op when already dead; stops a hung run
    proc.wait(timeout=60)
    return seen.decode(errors="replace")


def test_killed_ingest_leaves_whole_articles_and_rerun_completes(tmp_path):
    store = tmp_path / "store"
    proc = subprocess.Popen(_ingest_cmd(store), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    progress = _kill_at_third_batch(proc)
    assert proc.returncode == -signal.SIGKILL, f"not killed half-way: {progress[-2000:]}"

    stored = assert_consistent(store)  # opens; whole articles, one version each; BM25 = Chroma
    expected = {a.id for a in load_paths(RTQA / "articles.jsonl.gz", limit=LIMIT) if isinstance(a, Article)}
    assert 0 < len(stored) < len(expected) and set(stored) <= expected

    rerun = subprocess.run(_ingest_cmd(store), cwd=REPO, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"ingested {len(expected) - len(stored)} articles" in rerun.stdout
    assert f"skipped {len(stored)} unchanged" in rerun.stdout
    after = assert_consistent(store)
    assert set(after) == expected
    assert all(after[a] == n for a, n in stored.items())  # what survived the kill was kept, not redone


def _story(key: str, text: str) -> dict:
    return {"url": f"https://example.com/{key}", "title": f"Story {key}", "published": "2022-06-01", "text": text}


def test_interrupted_replace_and_half_stored_article_are_repaired_at_ingest_start(tmp_path):
    old = _story("a", "The port reopened on Monday after the storm. Ferries ran on time.")
    new = _story("a", "The port stayed closed on Monday after the storm. Ferries were cancelled.")
    other = _story("b", "The museum added a new wing for modern art. It opens in May.")
    long = _story("c", " ".join(f"Section {n} of the plan widens road {n} and adds a bus lane to it." for n in range(60)))
    main = Assistant(tmp_path / "main", model="none")
    main.ingest([write_jsonl(tmp_path / "v1.jsonl", [old, other])])

    # The state a kill leaves: the new version of "a" added beside the old one (killed before the
    # old one's delete), and "c" missing its last chunk (a batch over Chroma's limit, killed between calls).
    side = Assistant(tmp_path / "side", model="none")
    v2 = write_jsonl(tmp_path / "v2.jsonl", [new, other, long])
    side.ingest([v2])
    rows = side._store.collection.get(include=["embeddings", "documents", "metadatas"])
    keep = [k for k, m in enumerate(rows["metadatas"]) if m["article_id"] != "https://example.com/b"
            and not (m["article_id"] == "https://example.com/c" and m["chunk_index"] == m["n_chunks"] - 1)]
    [n_long] = {m["n_chunks"] for m in rows["metadatas"] if m["article_id"] == "https://example.com/c"}
    assert n_long > 2
    main._store.add([rows["ids"][k] for k in keep], np.array([rows["embeddings"][k] for k in keep]),
                   [rows["documents"][k] for k in keep], [rows["metadatas"][k] for k in keep])
    hashes = {m["text_hash"] for _, _, m in main._store.iter_chunks(["metadatas"], where={"article_id": "https://example.com/a"})}
    assert len(hashes) == 2

    reopened = Assistant(tmp_path / "main", model="none")
    report = reopened.ingest([v2])
    assert (report.articles, report.skipped, report.replaced) == (1, 2, 0)  # only "c" was (re)stored
    stored = assert_consistent(tmp_path / "main")
    assert stored["https://example.com/c"] == n_long
    assert "stayed closed" in reopened.ask("Did the port reopen on Monday?", mode="extract").text
