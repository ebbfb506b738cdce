"""The embedder's numeric variant: ONNX fp32 is the torch fp32 variant, int8 another, recorded by the
store, enforced on ingest, and converted by ``reindex`` (real Chroma, the packaged MiniLM)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, SEEDS, write_jsonl
from index.embedding import Embedder
from index.ingest import store_settings
from index.onnx_embedding import kernels_for
from index.store import COLLECTION, REBUILT, REPLACED, Store
from qa import Assistant, StoreMismatch

FERRY = {"url": "https://example.com/ferry", "title": "Harbor ferry timetable changes", "published": "2022-05-01",
         "text": "The harbor ferry will run every thirty minutes from Monday. Officials said the old boats retire in June."}
OKAPI = {"url": "https://example.com/okapi", "title": "Zoo welcomes okapi calf", "published": "2022-05-02",
         "text": "The city zoo welcomed a newborn okapi calf named Pemba on Sunday. Keepers said mother and calf are well."}


@pytest.mark.fast
def test_the_variant_is_part_of_the_store_settings_and_the_backend_is_not():
    fp32 = store_settings(Embedder(backend="torch"), 200, 1)
    assert fp32 == store_settings(Embedder(backend="onnx"), 200, 1)
    assert fp32["embedding_variant"] == "fp32"
    assert store_settings(Embedder(variant="int8"), 200, 1) == {**fp32, "embedding_variant": "int8"}


@pytest.mark.fast
def test_the_evals_store_cache_key_includes_the_variant():
    from evals.stores import store_key
    from qa import Config

    fp32, int8 = store_key("docs", Config(embed_variant="fp32")), store_key("docs", Config(embed_variant="int8"))
    assert fp32 != int8
    assert fp32 == store_key("docs", Config(embed_variant="fp32", embed_backend="torch"))


@pytest.mark.fast
def test_bad_embedder_choices_are_one_line_errors():
    with pytest.raises(ValueError, match="int8 embedding variant runs on the onnx backend only"):
        Embedder(variant="int8", backend="torch")
    with pytest.raises(ValueError, match="unknown embedding variant 'int4'"):
        Embedder(variant="int4")
    with pytest.raises(ValueError, match="unknown embedding backend 'tf'"):
        Embedder(backend="tf")


@pytest.mark.fast
def test_kernel_per_cpu():
    assert kernels_for({"avx2", "fma"}) == {"fp32": "avx2", "int8": "avx2"}
    assert kernels_for({"avx2", "avx512f", "avx512_vnni", "avx_vnni"}) == {"fp32": "avx512f", "int8": "avx512-vnni"}
    assert kernels_for({"avx2", "avx512f", "avx512_vnni", "amx_int8", "amx_tile"})["int8"] == "amx"


def test_onnx_fp32_is_torch_fp32_and_int8_is_close_but_another_variant():
    texts = [" ".join(line.split()) for line in next(SEEDS.glob("*.txt")).read_text().splitlines() if len(line) > 40]
    texts = texts[:20] + [f"{FERRY['title']}\n{FERRY['text']}", f"{OKAPI['title']}\n{OKAPI['text']}"]
    torch32 = Embedder(backend="torch").embed(texts)
    onnx32 = Embedder(backend="onnx").embed(texts)
    int8 = Embedder(variant="int8").embed(texts)
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-4)
    assert (torch32 * onnx32).sum(1).min() >= 0.999
    cosine = (torch32 * int8).sum(1)
    assert cosine.mean() >= 0.99 and cosine.min() < 0.9999  # close, yet not the same vectors


def test_a_store_refuses_the_other_variant_and_reindex_converts_it(tmp_path):
    docs = write_jsonl(tmp_path / "news.jsonl", [FERRY, OKAPI])
    store = tmp_path / "store"
    Assistant(store, model="none", embed_variant="fp32").ingest([docs])

    int8 = Assistant(store, model="none", embed_variant="int8")
    with pytest.raises(StoreMismatch) as refused:
        int8.ingest([SEEDS])
    message = str(refused.value)
    assert "\n" not in message and "`newsqa reindex`" in message and "fp32" in message
    assert len(int8.articles()) == 2  # nothing of the refused ingest stored

    before = {cid: meta for cid, _, meta in Store(store).iter_chunks(["metadatas"])}
    report = int8.reindex()
    assert (report.chunks, report.variant_before, report.variant_after) == (len(before), "fp32", "int8")
    reopened = Store(store)
    assert reopened.settings()["embedding_variant"] == "int8"
    assert {cid: meta for cid, _, meta in reopened.iter_chunks(["metadatas"])} == before  # ids, texts, dates kept
    ids, vectors = reopened.vectors(sorted(before))
    expected = Embedder(variant="int8").embed([f"{m['title']}\n{d}" for _, d, m in sorted(reopened.iter_chunks(
        ["documents", "metadatas"]))])
    assert np.allclose(vectors, expected, atol=1e-5)
    assert {c.name for c in reopened.client.list_collections()} >= {COLLECTION}
    assert not {REBUILT, REPLACED} & {c.name for c in reopened.client.list_collections()}

    assert int8.retrieve("When does the harbor ferry run?")[0].url == FERRY["url"]
    assert int8.ingest([SEEDS]).articles == 1
    with pytest.raises(StoreMismatch, match="holds int8 embeddings, not fp32: run `newsqa reindex`"):
        Assistant(store, model="none", embed_variant="fp32").ingest([docs])


def test_cli_refuses_with_one_line_and_reindex_converts(tmp_path):
    docs = write_jsonl(tmp_path / "news.jsonl", [FERRY, OKAPI])
    store = tmp_path / "store"
    newsqa = [sys.executable, "-m", "qa.cli", "--store", str(store)]
    env = {**os.environ, "NEWSQA_EMBED_VARIANT": "fp32"}
    assert subprocess.run([*newsqa, "ingest", str(docs)], env=env, cwd=REPO, capture_output=True).returncode == 0
    env["NEWSQA_EMBED_VARIANT"] = "int8"
    refused = subprocess.run([*newsqa, "ingest", str(docs)], env=env, cwd=REPO, capture_output=True, text=True)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "newsqa reindex" in refused.stderr, refused.stderr
    converted = subprocess.run([*newsqa, "reindex"], env=env, cwd=REPO, capture_output=True, text=True)
    assert converted.returncode == 0, converted.stderr
    assert "re-embedded 2 chunks (fp32 -> int8)" in converted.stdout
    asked = subprocess.run([*newsqa, "ask", "What was the okapi calf named?", "--mode", "extract", "--json"],
                           env=env, cwd=REPO, capture_output=True, text=True)
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["citations"][0]["url"] == OKAPI["url"]


def test_a_store_from_before_variants_were_recorded_is_fp32(tmp_path):
    a = Assistant(tmp_path / "store", model="none", embed_variant="fp32")
    a.ingest([SEEDS])
    store = Store(tmp_path / "store")
    meta = dict(store.collection.metadata)
    old = json.loads(meta.pop("newsqa_settings"))
    del old["embedding_variant"]
    meta.pop("hnsw:space", None)
    store.collection.modify(metadata={**meta, "newsqa_settings": json.dumps(old)})
    assert Store(tmp_path / "store").settings()["embedding_variant"] == "fp32"
    assert a.ingest([SEEDS]).skipped == 1
    with pytest.raises(StoreMismatch, match="holds fp32 embeddings, not int8"):
        Assistant(tmp_path / "store", model="none", embed_variant="int8").ingest([SEEDS])


def _rebuilt_copy(store: Store, settings: dict):
    """What a reindex has built aside just before it swaps: every chunk, under the new settings."""
    rebuilt = store.rebuild_aside(settings)
    got = store.collection.get(include=["documents", "metadatas", "embeddings"])
    store.add_aside(rebuilt, got["ids"], np.asarray(got["embeddings"]), got["documents"], got["metadatas"])
    return rebuilt


@pytest.mark.parametrize("killed", ["while filling", "between the renames", "before dropping the old"])
def test_a_killed_reindex_leaves_a_whole_store(tmp_path, killed):
    a = Assistant(tmp_path / "store", model="none", embed_variant="fp32")
    a.ingest([SEEDS])
    store = Store(tmp_path / "store")
    chunks = store.count()
    rebuilt = _rebuilt_copy(store, {**store.settings(), "embedding_variant": "int8"})
    if killed != "while filling":
        store.collection.modify(name=REPLACED)
    if killed == "before dropping the old":
        rebuilt.modify(name=COLLECTION)

    reopened = Store(tmp_path / "store")
    names = {c.name for c in reopened.client.list_collections()}
    assert COLLECTION in names and REPLACED not in names
    assert reopened.count() == chunks
    variant = "int8" if killed == "before dropping the old" else "fp32"
    assert reopened.settings()["embedding_variant"] == variant
    again = Assistant(tmp_path / "store", model="none", embed_variant=variant)
    assert again.ingest([SEEDS]).skipped == 1
    assert again.retrieve("What proof was offered for the attribution?")[0].title.startswith("US Conducts Airstrikes")
    assert again.reindex().chunks == chunks  # a leftover of the killed one is dropped first
    assert not {REBUILT, REPLACED} & {c.name for c in Store(tmp_path / "store").client.list_collections()}
