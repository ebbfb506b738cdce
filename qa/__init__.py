"""newsqa's public Python API: ``Assistant`` and the typed results it returns.

Imported lazily so that ``newsqa --help`` does not pay for llama-index, Chroma or torch.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .config import Config
from .types import Answer, Citation, Passage

if TYPE_CHECKING:
    from .assistant import Assistant

__all__ = ["Assistant", "Answer", "Citation", "Config", "Passage"]


def __getattr__(name: str):
    if name == "Assistant":
        from .assistant import Assistant

        return Assistant
    raise AttributeError(name)
