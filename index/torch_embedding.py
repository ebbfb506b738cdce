"""The torch backend: sentence-transformers running the packaged MiniLM (the fp32 reference)."""
from __future__ import annotations

import os
import threading

import numpy as np

from .embedding import model_dir


class TorchRunner:
    """The packaged model in sentence-transformers; torch is imported when this is built."""

    def __init__(self, bf16: bool) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(model_dir()), device="cpu")
        # bf16 autocast (cosine 0.99998 to fp32) only pays on CPUs with native bf16 kernels (AMX).
        self.bf16 = bf16
        self._lock = threading.Lock()  # the model is not safe to call from several threads at once

    def encode(self, texts: list[str], batch_size: int, threads: int) -> np.ndarray:
        import torch

        with self._lock, torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            before = torch.get_num_threads()
            torch.set_num_threads(threads)  # costs well under a microsecond
            try:
                vecs = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                         convert_to_numpy=False, convert_to_tensor=True, show_progress_bar=False)
            finally:
                torch.set_num_threads(before)
        return vecs.float().cpu().numpy()
