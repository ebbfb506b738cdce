"""What answering needs of a model (the ``LLM`` protocol) and ``load_llm``, which picks the backend:
``qa.llama_backend`` (a GGUF in process) or ``qa.openai_client`` (an OpenAI-compatible server)."""
from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Protocol

from .config import Config

Messages = list[dict[str, str]]


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


def share_of_yes(logprobs: dict[str, float]) -> float | None:
    """P(yes) / (P(yes) + P(no)) from first-token log-probabilities (or logits) by token text."""
    top = max(logprobs.values(), default=0.0)
    mass = {"yes": 0.0, "no": 0.0}
    for token, value in logprobs.items():
        if (word := token.strip().lower()) in mass:
            mass[word] += math.exp(value - top)
    total = mass["yes"] + mass["no"]
    return mass["yes"] / total if total else None


def load_llm(cfg: Config) -> LLM | None:
    """The configured LLM: ``cfg.llm_url`` if set, else ``cfg.model`` (loaded once per process), None for "none"."""
    if cfg.llm_url:
        from .openai_client import OpenAICompatLLM

        return OpenAICompatLLM(cfg.llm_url, cfg.llm_api_model, api_key=os.environ.get("NEWSQA_LLM_API_KEY"))
    if cfg.model == "none":
        return None
    from .llama_backend import load

    return load(cfg.model, cfg.n_ctx, cfg.n_threads, cfg.n_threads_batch)
