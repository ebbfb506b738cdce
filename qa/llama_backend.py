"""The in-process backend: a GGUF model run by llama-cpp-python (imported on first load only)."""
from __future__ import annotations

import ctypes
import functools
import json
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .confidence import Token
from .errors import ModelError
from .llm import LLM, Messages, option_shares
from .weights import FIX, resolve_model_path

_SEED = 0


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
            raise ModelError(f"llama-cpp-python is not importable ({e}); {FIX} or set NEWSQA_LLM_URL") from e
        self.name = model_path.stem
        self._option_ids: dict[str, list[int]] = {}  # an option's one-token spellings
        # The last reply under a schema: its prompt and llama.cpp's state after it (the KV cache,
        # about 20 MB, and its tokens). A second draft on the same prompt after the judge's calls
        # resumes from it instead of reading the prompt again.
        self._kept: tuple[str, Any, Any] | None = None
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
               schema: dict | None = None, tokens: list[Token] | None = None) -> Iterator[str]:
        """Yield text pieces; the model stays locked until the generator is exhausted or closed."""
        # A schema becomes a llama.cpp grammar: only tokens that keep the reply valid are sampled.
        fmt: dict[str, Any] = {"response_format": {"type": "json_object", "schema": schema}} if schema else {}
        if tokens is not None:
            from llama_cpp import LogitsProcessorList

            fmt["logits_processor"] = LogitsProcessorList([_Recorder(self._llama, tokens)])
        prompt = json.dumps(messages) if schema else None
        with self._lock:
            if prompt and self._kept and self._kept[0] == prompt:
                self._restore(*self._kept[1:])
            chunks = self._llama.create_chat_completion(
                messages=messages, max_tokens=max_tokens, stop=stop or [], temperature=0.0, stream=True, **fmt
            )
            for chunk in chunks:
                if piece := chunk["choices"][0]["delta"].get("content"):
                    yield piece
            if prompt:
                self._kept = (prompt, *self._state())

    def _state(self) -> tuple[Any, Any]:
        """The context's state and tokens. Not ``Llama.save_state``: that copies the logits too
        (300 MB, 1.4 s here), which the next call recomputes from the prompt's last token anyway."""
        from llama_cpp import llama_state_get_data, llama_state_get_size

        ctx = self._llama._ctx.ctx
        size = llama_state_get_size(ctx)
        data = (ctypes.c_uint8 * size)()
        used = llama_state_get_data(ctx, data, size)
        return (ctypes.c_uint8 * used).from_buffer_copy(data), self._llama.input_ids[:self._llama.n_tokens].copy()

    def _restore(self, data: Any, tokens: Any) -> None:
        from llama_cpp import llama_state_set_data

        if llama_state_set_data(self._llama._ctx.ctx, data, len(data)) != len(data):
            raise ModelError(f"{self.name}: llama.cpp refused a saved state")
        self._llama.input_ids[:len(tokens)] = tokens
        self._llama.n_tokens = len(tokens)
        self._llama._requires_eval = True  # the logits are not restored: the prompt's last token is read again

    def option_probabilities(self, messages: Messages, options: Sequence[str]) -> list[float]:
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
            for o in options:
                if o not in self._option_ids:
                    self._option_ids[o] = _single_token_ids(self._llama, o)
            ids = [self._option_ids[o] for o in options]
        if not all(ids):
            raise ModelError(f"{self.name} has no single token for each of {', '.join(options)}")
        return option_shares({self._llama.detokenize([t]).decode(): float(logits[t]) for i in ids for t in i}, options)


class _Recorder:
    """A logits processor that appends each sampled token and its log-probability under the model's
    raw logits (before the schema's grammar narrows them) to ``tokens``. It is called before each
    token is sampled, so it records a token when the next one is asked for: the last one (the end of
    the reply) goes unrecorded."""

    def __init__(self, llama: Any, tokens: list[Token]) -> None:
        self.llama, self.tokens, self.last = llama, tokens, None

    def __call__(self, input_ids: Any, logits: Any) -> Any:
        import numpy as np

        if self.last is not None:
            token = int(input_ids[-1])
            self.tokens.append((self.llama.detokenize([token]).decode("utf-8", "replace"), float(self.last[token])))
        top = logits.max()
        self.last = logits - (top + np.log(np.exp(logits - top).sum()))  # log-softmax
        return logits


def _single_token_ids(llama: Any, word: str) -> list[int]:
    """The ids of ``word``'s one-token spellings (lower, capitalised, upper case; with and without a
    leading space). Only those: a longer spelling's first piece ("Y") also starts unrelated words."""
    spellings = {f"{space}{w}" for space in ("", " ") for w in (word.lower(), word.capitalize(), word.upper())}
    tokenized = {tuple(llama.tokenize(w.encode(), add_bos=False, special=False)) for w in spellings}
    return [t[0] for t in tokenized if len(t) == 1]


_load_lock = threading.Lock()


def load(model: str, n_ctx: int, n_threads: int, n_threads_batch: int) -> LlamaCppLLM:
    """A packaged model name or ``.gguf`` path, loaded once per process; 0 threads: every usable core."""
    # One lock so that concurrent first requests neither assemble nor load the same model twice.
    with _load_lock:
        return _load(resolve_model_path(model), n_ctx, n_threads or usable_cores(), n_threads_batch or usable_cores())


@functools.cache
def _load(path: Path, n_ctx: int, n_threads: int, n_threads_batch: int) -> LlamaCppLLM:
    return LlamaCppLLM(path, n_ctx, n_threads, n_threads_batch)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
