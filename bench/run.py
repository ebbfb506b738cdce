"""``python -m bench``: ingest a slice of a corpus, time retrieval and answers, then compare rankers,
in three child processes.

Each phase runs in its own process so its peak RSS is its own: ingest, then serving (what a
long-lived ``newsqa serve`` holds), then BM25 / dense / hybrid recall side by side. The physical
limit comes first: the same model embedding the same chunks with nothing else running, against
which the pipeline's throughput is judged.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .report import comparison, table

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "data" / "realtimeqa-2022" / "articles.jsonl.gz"
PHASES = ("ingest", "serve", "rankers")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--corpus", type=Path, default=CORPUS, help="articles (.jsonl.gz); questions.jsonl beside it")
    p.add_argument("--questions", type=Path, help="default: questions.jsonl beside the corpus")
    p.add_argument("--limit", type=int, default=400, help="first N articles (0 = all)")
    p.add_argument("--json", type=Path, help="also write the figures here")
    p.add_argument("--store", type=Path, help="store folder (default: a fresh temp folder, removed after)")
    p.add_argument("--raw-sample", type=int, default=1024, help="chunks for the raw embedding limit (0 = all)")
    p.add_argument("--latency-questions", type=int, default=300, help="questions timed for retrieval (>= 200)")
    p.add_argument("--answers", type=int, default=30, help="questions answered in the default mode (0 = skip)")
    p.add_argument("--model", default="qwen2.5-1.5b", help="LLM for the answer latencies")
    p.add_argument("--embedders", default="",
                   help="compare embedders as BACKEND:VARIANT,... (e.g. torch:fp32,onnx:fp32,onnx:int8): each ingests "
                        "and serves the same articles in turn, in a store of its own (default: the configured one)")
    p.add_argument("--split", choices=("tune", "test", "all"), default="test",
                   help="questions for BM25 / dense / hybrid side by side (the reading dev set's date split)")
    p.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.questions = args.questions or args.corpus.with_name("questions.jsonl")
    if args.phase:
        from . import phases

        result = getattr(phases, args.phase)(args)
        args.out.write_text(json.dumps(result))
        return 0
    if args.embedders:
        return _compare(args)
    with tempfile.TemporaryDirectory(prefix="newsqa-bench-") as tmp:
        args.store = args.store or Path(tmp) / "store"
        results = {"limit": args.limit, "load": _load_average()}
        for phase in PHASES:
            results[phase] = _child(phase, args, Path(tmp) / f"{phase}.json")
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def _compare(args: argparse.Namespace) -> int:
    """Each embedder's ingest and serve phases in turn, on the same articles, in one run."""
    import numpy as np

    runs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="newsqa-bench-") as tmp:
        reference = None
        for label in args.embedders.split(","):
            backend, _, variant = label.partition(":")
            env = {**os.environ, "NEWSQA_EMBED_BACKEND": backend, "NEWSQA_EMBED_VARIANT": variant or "fp32"}
            args.store = Path(tmp) / f"store-{backend}-{variant}"
            run = {"limit": args.limit, "load": _load_average()}
            for phase in ("ingest", "serve"):
                run[phase] = _child(phase, args, Path(tmp) / f"{phase}-{backend}-{variant}.json", env)
            vectors = np.load(Path(tmp) / f"ingest-{backend}-{variant}.npy")
            reference = vectors if reference is None else reference
            cosine = (vectors * reference).sum(1)  # unit vectors, the same raw sample in the same order
            run["cosine_mean"], run["cosine_min"] = float(cosine.mean()), float(cosine.min())
            runs[label] = run
            print(f"== {label}\n{table(run)}\n", flush=True)
    print(comparison(runs))
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2))
    return 0


def _child(phase: str, args: argparse.Namespace, out: Path, env: dict[str, str] | None = None) -> dict:
    argv = [sys.executable, "-m", "bench", "--phase", phase, "--out", str(out), "--corpus", str(args.corpus),
            "--questions", str(args.questions), "--limit", str(args.limit), "--store", str(args.store),
            "--raw-sample", str(args.raw_sample), "--latency-questions", str(args.latency_questions),
            "--answers", str(args.answers), "--model", args.model, "--split", args.split]
    subprocess.run(argv, check=True, cwd=REPO, env=env)
    return json.loads(out.read_text())


def _load_average() -> str:
    # The machine may be shared: every figure is only as quiet as this.
    return " ".join(f"{x:.2f}" for x in os.getloadavg())
