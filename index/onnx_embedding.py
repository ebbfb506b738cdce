"""The ONNX Runtime backend: MiniLM exported locally from the packaged weights, fp32 or int8.

The graph (transformer, mean pooling, normalisation) is exported with ``torch.onnx`` on first
use and cached under ``$NEWSQA_CACHE/onnx``, keyed on the weights' sha256 and the torch and
onnxruntime versions; nothing is downloaded. The int8 variant is the fp32 graph with its MatMul
weights quantised per output channel (dynamic quantisation: activations are quantised per call).

ONNX Runtime's MLAS picks its kernels from the CPU at run time: fp32 uses AVX-512F where the
CPU has it, else AVX2/FMA; int8 uses AMX tiles where the CPU and kernel grant them (a Xeon
Sapphire Rapids or later), else AVX-512 VNNI, else AVX-VNNI, else AVX2 (``cpu_kernels`` says which).
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import warnings
from contextlib import contextmanager, redirect_stdout
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Iterator

import numpy as np

from .embedding import MAX_WORDPIECES, model_dir

INPUTS = ("input_ids", "attention_mask")


def cache_root() -> Path:
    """``$NEWSQA_CACHE``, else ``$XDG_CACHE_HOME/newsqa``, else ``~/.cache/newsqa`` (as ``qa.weights``)."""
    if explicit := os.environ.get("NEWSQA_CACHE"):
        return Path(explicit).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsqa"


@lru_cache(maxsize=1)
def _weights_hash() -> str:
    digest = hashlib.sha256()
    with (model_dir() / "model.safetensors").open("rb") as f:
        while block := f.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()[:16]


def graph_path(variant: str) -> Path:
    """The cached ONNX graph of ``variant``, exported (and quantised) first if missing."""
    key = f"minilm-{_weights_hash()}-torch{version('torch')}-ort{version('onnxruntime')}"
    path = cache_root() / "onnx" / f"{key}-{variant}.onnx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        if variant == "fp32":
            _atomic(path, _export)
        else:
            source = graph_path("fp32")
            _atomic(path, lambda tmp: _quantise(source, tmp))
    return path


def _atomic(path: Path, write) -> None:
    # Written aside and renamed: a killed export, or another process exporting at once, never
    # leaves a half-written graph under the final name.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _export(dest: Path) -> None:
    import torch
    from transformers import AutoModel

    # Eager attention: the exporter traces it into plain ops that ONNX Runtime fuses itself.
    bert = AutoModel.from_pretrained(str(model_dir()), attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        """What sentence-transformers computes: mean of the unmasked token states, normalised."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    # Two tensors, not one twice: the exporter would trace the inputs as one aliased input.
    example = (torch.ones(2, 16, dtype=torch.long), torch.ones(2, 16, dtype=torch.long))
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq", max=MAX_WORDPIECES)
    with warnings.catch_warnings(), redirect_stdout(None), _quiet():  # the exporter narrates each step
        warnings.simplefilter("ignore")
        program = torch.onnx.export(Pooled(), example, dynamo=True, verbose=False,
                                    input_names=list(INPUTS), output_names=["sentence_embedding"],
                                    dynamic_shapes={name: {0: batch, 1: seq} for name in INPUTS})
    program.save(str(dest), external_data=False)


@contextmanager
def _quiet() -> Iterator[None]:
    """Warnings logged while exporting (torchvision ops skipped, "run pre-processing first") are not ours."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _quantise(source: Path, dest: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # MatMul weights only: quantising the word-embedding table (Gather) too lowered the cosine to fp32.
    with _quiet():
            quantize_dynamic(str(source), str(dest), per_channel=True, weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul"])


def cpu_kernels() -> dict[str, str]:
    """What MLAS runs on this CPU for each variant (from the CPU's flags, Linux; "unknown" elsewhere)."""
    try:
        line = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        return {"fp32": "unknown", "int8": "unknown"}
    return kernels_for(set(line.split(":", 1)[1].split()))


def kernels_for(flags: set[str]) -> dict[str, str]:
    """MLAS's choice for CPU flags: its fp32 GEMM by vector width, its int8 GEMM by dot-product instructions."""
    fp32 = "avx512f" if "avx512f" in flags else "avx2" if "avx2" in flags else "sse"
    int8 = next((name for flag, name in (("amx_int8", "amx"), ("avx512_vnni", "avx512-vnni"),
                                         ("avx_vnni", "avx-vnni"), ("avx2", "avx2")) if flag in flags), "sse")
    return {"fp32": fp32, "int8": int8}


class OnnxRunner:
    """One variant's graph in ONNX Runtime sessions, one per thread count (created on first use)."""

    def __init__(self, variant: str) -> None:
        from tokenizers import Tokenizer

        self.path = graph_path(variant)
        self._tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        self._tok.no_padding()  # the file pads every text to 128; batches are padded to their longest here
        self._tok.enable_truncation(MAX_WORDPIECES)
        self._sessions: dict[int, object] = {}
        self._lock = threading.Lock()

    def _session(self, threads: int):
        import onnxruntime as ort

        with self._lock:
            if threads not in self._sessions:
                options = ort.SessionOptions()
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
                # Idle threads sleep instead of spinning: the cores are shared with the LLM and Chroma.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                self._sessions[threads] = ort.InferenceSession(str(self.path), options,
                                                               providers=["CPUExecutionProvider"])
            return self._sessions[threads]

    def encode(self, texts: list[str], batch_size: int, threads: int) -> np.ndarray:
        """Unit vectors for ``texts``, batched by length so that little padding is computed."""
        session = self._session(threads)
        encoded = self._tok.encode_batch(texts)
        order = np.argsort([len(e.ids) for e in encoded], kind="stable")
        out = np.empty((len(texts), 384), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            rows = order[start:start + batch_size]
            width = max(len(encoded[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for k, i in enumerate(rows):
                n = len(encoded[i].ids)
                ids[k, :n], mask[k, :n] = encoded[i].ids, 1
            out[rows] = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return out
