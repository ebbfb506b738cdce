"""One configuration dataclass: defaults, overridden by ``NEWSQA_*`` env vars, then CLI flags."""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, fields
from pathlib import Path

from index.fetching import FetchSettings

# How an answer is made: "default" (the extractive answer at once, then the model's verified one),
# "generate" (the model's only) or "extract" (no model).
MODES = ("default", "generate", "extract")
# How retrieval fuses its two candidate lists (``fusion`` below).
FUSIONS = ("learned", "rrf")


@dataclass
class Config:
    """Every tunable of newsqa. Env var for field ``x`` is ``NEWSQA_X``."""

    store: Path = Path("newsqa-store")
    # LLM: a packaged model name ("qwen2.5-1.5b", "smollm2-135m"), a .gguf path, or "none".
    model: str = "qwen2.5-1.5b"
    # OpenAI-compatible endpoint (llama.cpp server, Ollama, vLLM); overrides `model` when set.
    llm_url: str = ""
    llm_api_model: str = "default"
    # llama.cpp threads for generation and for prompt reading; 0: every core this process may use.
    # On an idle 2-core machine 2 threads answer in half the time of 1 (prompt 45 vs 28 tokens/s);
    # on a machine busy with other work, 1 thread keeps generation from stalling on the busy core.
    n_threads: int = 0
    n_threads_batch: int = 0
    n_ctx: int = 2048
    max_answer_tokens: int = 160
    # Ask the LLM "does the passage state this?" of every claim that passes the lexical checks.
    judge: bool = True
    mode: str = "default"  # one of MODES
    # Retrieval.
    # The passages an answer's sentences are ranked from. Four, two an article, left the answer
    # chunks of a long article unread; eight, four an article, with the evidence's best sentence alone
    # given neighbours, put the gold answer in the prompt for 89 of 116 answerable RealTime QA tune
    # questions against 87 (real runs; README, Measuring the reader).
    top_k: int = 8
    candidates: int = 30
    max_per_article: int = 4
    # How the BM25 and dense candidates become one ranking: "learned" (qa/fusion.json, a linear score
    # fitted on RealTime QA 2022 weeks outside the dev splits: answer-recall@5 89.3% on the test
    # split against BM25's 85.1%) or "rrf" (reciprocal rank, weighted as below: 84.3%).
    fusion: str = "learned"
    bm25_weight: float = 1.0
    dense_weight: float = 0.7
    rrf_k: int = 60
    # Chunking (word-pieces of the embedding model; MiniLM truncates at 256 with specials).
    chunk_tokens: int = 200
    chunk_overlap_sentences: int = 1
    # Embedding.
    embed_batch_size: int = 32
    # bf16 autocast (torch backend) measured 6x slower than fp32 on this CPU (3.7 vs 24 chunks/s): off by default.
    embed_bf16: bool = False
    # "onnx" (ONNX Runtime, graph exported locally from the packaged weights) or "torch"
    # (sentence-transformers); fp32 gives the same vectors on both, ONNX faster (README, Embedding variants).
    embed_backend: str = "onnx"
    # The weights' numeric variant, recorded in the store: "fp32" or "int8" (onnx only; other vectors).
    # int8: 1.9x ONNX fp32's and 4x torch's chunks/s here, cosine 0.994 to fp32, the same recall (README).
    embed_variant: str = "int8"
    # Threads for embedding batches of over 128 texts; 0: every core this process may use.
    embed_threads: int = 0
    # Ingest limits.
    max_file_bytes: int = 64 * 1024 * 1024
    chroma_url: str = ""
    # Fetching article pages and feeds (index/fetching.py): seconds per connect and per read, the
    # largest body, redirects followed, requests to one host at once and seconds between their starts,
    # pages fetched at once over all hosts.
    fetch_timeout: float = FetchSettings.timeout
    fetch_max_bytes: int = FetchSettings.max_bytes
    fetch_max_redirects: int = FetchSettings.max_redirects
    fetch_per_host: int = FetchSettings.per_host
    fetch_delay: float = FetchSettings.delay
    fetch_workers: int = 4
    user_agent: str = FetchSettings.user_agent
    # Fetch from loopback, private and link-local addresses too (an intranet feed); off, a feed
    # cannot make newsqa fetch internal addresses.
    allow_private: bool = False

    def fetch_settings(self) -> FetchSettings:
        return FetchSettings(self.fetch_timeout, self.fetch_max_bytes, self.fetch_max_redirects, self.fetch_per_host,
                             self.fetch_delay, self.user_agent, self.allow_private)

    @classmethod
    def from_env(cls, **overrides: object) -> Config:
        """Defaults, then ``NEWSQA_*`` env vars, then non-None ``overrides`` (CLI flags)."""
        env = {f.name: _parse(f, raw) for f in fields(cls) if (raw := os.environ.get(f"NEWSQA_{f.name.upper()}")) is not None}
        return cls(**env).with_overrides(**overrides)

    def with_overrides(self, **overrides: object) -> Config:
        """A copy with the non-None ``overrides`` applied (strings parsed as their field's type); ``self`` is unchanged."""
        return dataclasses.replace(self, **{name: _parse(_field(name), value) if isinstance(value, str) else value
                                            for name, value in overrides.items() if value is not None})


def _field(name: str) -> dataclasses.Field:
    for f in fields(Config):
        if f.name == name:
            return f
    raise AttributeError(f"unknown setting {name!r}")


def _parse(f: dataclasses.Field, raw: str) -> object:
    kind = type(f.default)
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind is Path:
        return Path(raw)
    return kind(raw)
