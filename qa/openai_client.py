"""The server backend: any server speaking OpenAI's ``/v1/chat/completions`` (llama.cpp, Ollama, vLLM)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from typing import Any

from .confidence import Token
from .errors import ModelError
from .llm import LLM, Messages, option_shares


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
               schema: dict | None = None, tokens: list[Token] | None = None) -> Iterator[str]:
        """Yield the reply's text pieces; ``tokens`` stays empty: a server's token probabilities are
        not requested for replies (the judge's are, in ``option_probabilities``)."""
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

    def option_probabilities(self, messages: Messages, options: Sequence[str]) -> list[float] | None:
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
            return option_shares({t["token"]: float(t["logprob"]) for t in first}, options)
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
