"""What answering needs of a model (the ``LLM`` protocol) and ``load_llm``, which picks the backend:
``qa.llama_backend`` (a GGUF in process) or ``qa.openai_client`` (an OpenAI-compatible server)."""
from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from typing import Protocol

from .confidence import Token
from .config import Config

Messages = list[dict[str, str]]


class LLM(Protocol):
    """A chat model generating greedily (temperature 0)."""

    name: str

    def stream(self, messages: Messages, max_tokens: int, stop: list[str] | None = None,
               schema: dict | None = None, tokens: list[Token] | None = None) -> Iterator[str]:
        """Yield the reply's text pieces as they are generated; ``schema``: a JSON schema the reply must
        follow; ``tokens``: a list to append each generated token's text and log-probability to, where
        the backend gives them (the in-process one does; it is left empty otherwise)."""
        ...

    def complete(self, messages: Messages, max_tokens: int, stop: list[str] | None = None,
                 schema: dict | None = None) -> str:
        """The whole reply."""
        return "".join(self.stream(messages, max_tokens, stop, schema))

    def option_probabilities(self, messages: Messages, options: Sequence[str]) -> list[float] | None:
        """Each option's share of the probability the reply's first token puts on the options
        (one-token words such as "yes"/"no" or "A"-"D", any case); None when the backend gives no
        token probabilities."""
        ...

    def yes_probability(self, messages: Messages) -> float | None:
        """P(yes) / (P(yes) + P(no)) for the reply's first token; None without token probabilities."""
        shares = self.option_probabilities(messages, ("yes", "no"))
        return shares[0] if shares else None


def option_shares(logprobs: dict[str, float], options: Sequence[str]) -> list[float] | None:
    """Each option's share of the mass on the options, from first-token log-probabilities (or
    logits) by token text; a token counts for an option whatever its case and surrounding space."""
    top = max(logprobs.values(), default=0.0)
    mass = dict.fromkeys((o.lower() for o in options), 0.0)
    for token, value in logprobs.items():
        if (word := token.strip().lower()) in mass:
            mass[word] += math.exp(value - top)
    total = sum(mass.values())
    return [mass[o.lower()] / total for o in options] if total else None


def load_llm(cfg: Config) -> LLM | None:
    """The configured LLM: ``cfg.llm_url`` if set, else ``cfg.model`` (loaded once per process), None for "none"."""
    if cfg.llm_url:
        from .openai_client import OpenAICompatLLM

        return OpenAICompatLLM(cfg.llm_url, cfg.llm_api_model, api_key=os.environ.get("NEWSQA_LLM_API_KEY"))
    if cfg.model == "none":
        return None
    from .llama_backend import load

    return load(cfg.model, cfg.n_ctx, cfg.n_threads, cfg.n_threads_batch)
