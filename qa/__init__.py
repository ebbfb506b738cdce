"""newsqa's public Python API: ``Assistant``, its settings, the results it returns, the errors it raises,
and the text tools the pipeline uses (for code that scores it).

``Assistant`` and ``EMBEDDING_MODEL`` are imported on first use, so that ``newsqa --help`` does not
pay for llama-index, Chroma, torch or numpy.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from index.chunking import split_sentences
from index.cleaning import clean_text

from .config import MODES, Config
from .errors import ModelError, StoreMismatch
from .types import (Answer, Citation, Feed, FeedResult, IngestReport, LoadIssue, Passage, RefreshReport,
                    ReindexReport, StoredArticle)

if TYPE_CHECKING:
    from index.embedding import MODEL_NAME as EMBEDDING_MODEL

    from .assistant import Assistant

__all__ = ["MODES", "Answer", "Assistant", "Citation", "Config", "EMBEDDING_MODEL", "Feed", "FeedResult", "IngestReport",
           "LoadIssue", "ModelError", "Passage", "RefreshReport", "ReindexReport", "StoreMismatch", "StoredArticle",
           "clean_text", "split_sentences"]


def __getattr__(name: str):
    if name == "Assistant":
        from .assistant import Assistant

        return Assistant
    if name == "EMBEDDING_MODEL":
        from index.embedding import MODEL_NAME

        return MODEL_NAME
    raise AttributeError(name)
