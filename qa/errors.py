"""The errors the public API raises (besides ``ValueError`` for bad arguments)."""
from __future__ import annotations

from index.models import StoreMismatch

__all__ = ["ModelError", "StoreMismatch"]


class ModelError(Exception):
    """A model cannot be found, assembled, verified, loaded or reached."""
