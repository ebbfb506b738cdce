"""How sure the model was of its reply, read from its tokens' log-probabilities."""
from __future__ import annotations

import re
from collections.abc import Sequence

Token = tuple[str, float]  # a generated token's text and its log-probability under the model alone


def opening_logprob(tokens: Sequence[Token], field: str = "answer") -> float | None:
    """The log-probability of the first token of ``field``'s string value in a JSON reply; None when
    the value is empty or missing, or the backend gave no probabilities."""
    opened = re.compile(rf'"{re.escape(field)}"\s*:\s*"$')
    text = ""
    for piece, logprob in tokens:
        if opened.search(text):
            return None if piece.startswith('"') else logprob
        text += piece
    return None
