"""Scale-out: a real Chroma server shared by two clients, and llama-cpp-python's OpenAI-compatible server.

Each test starts its server on a free 127.0.0.1 port from the venv and stops it afterwards.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import ATTRIBUTION_Q, SEEDS, free_port, running, write_jsonl
from qa import Assistant
from qa.cli import main as cli
from qa.openai_client import OpenAICompatLLM
from qa.weights import resolve_model_path

BIN = Path(sys.executable).parent
NEW_ARTICLE = {
    "url": "https://example.com/news/lighthouse",
    "title": "Harbor lighthouse reopens after restoration",
    "text": "The Port Alder lighthouse reopened on Saturday after a two-year restoration costing 4 million dollars. "
            "Volunteers repainted the tower in red and white stripes.",
    "authors": ["B. Keeper"],
    "published": "2022/06/11",
}
LIGHTHOUSE_Q = "How much did the Port Alder lighthouse restoration cost?"


def test_two_clients_share_one_chroma_server(tmp_path, capsys):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [str(BIN / "chroma"), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)]
    with running(argv, f"{url}/api/v2/heartbeat", tmp_path / "chroma.log"):
        # Client A ingests through the CLI; nothing is written to its local store folder but the BM25 cache.
        assert cli(["ingest", str(SEEDS), "--store", str(tmp_path / "a"), "--chroma-url", url]) == 0
        assert not (tmp_path / "a" / "chroma").exists()
        a = Assistant(tmp_path / "a", chroma_url=url, model="none")
        b = Assistant(tmp_path / "b", chroma_url=url, model="none")
        assert b.stats()["chunks"] == a.stats()["chunks"] > 1
        assert "proof" in b.ask(ATTRIBUTION_Q, mode="extract").text.lower()

        # A adds an article; B, with its own (now stale) BM25 cache, must find it.
        assert a.ingest([write_jsonl(tmp_path / "new.jsonl", [NEW_ARTICLE])]).articles == 1
        assert b.retrieve(LIGHTHOUSE_Q)[0].url == NEW_ARTICLE["url"]
        assert b.retriever().lexical.search("lighthouse restoration", 5)[0][0].startswith(NEW_ARTICLE["url"])
        # Filtered dense search over HTTP (Chroma asked for ids and distances only).
        assert [p.url for p in b.retrieve(LIGHTHOUSE_Q, sites=["example.com"])] == [NEW_ARTICLE["url"]]
        assert all(p.url != NEW_ARTICLE["url"] for p in b.retrieve(LIGHTHOUSE_Q, as_of="2022-06-10"))

        # A removes it; B no longer cites it, and the CLI in server mode sees the same store.
        assert a.remove(NEW_ARTICLE["url"]) > 0
        assert all(p.url != NEW_ARTICLE["url"] for p in b.retrieve(LIGHTHOUSE_Q))
        capsys.readouterr()
        assert cli(["list", "--store", str(tmp_path / "c"), "--chroma-url", url]) == 0
        listed = capsys.readouterr().out
        assert "Shi’ite Militias" in listed and "lighthouse" not in listed


@pytest.mark.parametrize("logprobs", [False, True], ids=["no-logprobs", "logprobs"])
def test_answers_through_llama_cpp_openai_server(tmp_path, seeded_store, logprobs):
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    model = resolve_model_path("smollm2-135m")
    argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
            "--port", str(port), "--n_threads", "1", "--n_threads_batch", "1", "--n_ctx", "2048",
            "--logits_all", str(logprobs)]
    with running(argv, f"{url}/models", tmp_path / "llama.log"):
        llm = OpenAICompatLLM(url)
        reply = llm.complete([{"role": "user", "content": "Say hello."}], max_tokens=8)
        assert reply.strip()
        # The judge reads the first token's log-probabilities where the server gives them.
        p_yes = llm.yes_probability([{"role": "user", "content": "Is Paris in France? Reply yes or no."}])
        assert (p_yes is not None and 0.0 <= p_yes <= 1.0) if logprobs else p_yes is None
        shares = llm.option_probabilities([{"role": "user", "content": "Which letter comes first in the alphabet, A or B? Reply with the letter only."}], "AB")
        assert (shares is not None and abs(sum(shares) - 1) < 1e-6) if logprobs else shares is None

        a = Assistant(seeded_store, llm_url=url)
        assert a.llm.name == f"default@{url}/chat/completions"
        answer = a.ask(ATTRIBUTION_Q)
        assert answer.model == a.llm.name
        # Whatever the small model says, what is shown is verified: cited, or an honest abstention,
        # and it says when only words checked it.
        assert answer.abstained or (answer.citations and answer.checked == ("judge" if logprobs else "words"))
