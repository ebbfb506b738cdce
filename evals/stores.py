"""Stores built once per corpus and reused across runs, keyed on the documents' content."""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from qa import EMBEDDING_MODEL, Config
from qa.weights import cache_dir


def fingerprint(paths: list[Path]) -> str:
    """sha256 over the files under ``paths`` (names relative to each path, and contents)."""
    digest = hashlib.sha256()
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for f in files:
            digest.update(f"{f.relative_to(root) if root.is_dir() else f.name}\0".encode())
            digest.update(hashlib.sha256(f.read_bytes()).digest())
    return digest.hexdigest()


def store_key(content: str, config: Config) -> str:
    """What a store's vectors depend on: the documents, the embedder and its variant, and the chunker
    (fp32 adds nothing, so the keys of stores built before the variant was recorded stay valid)."""
    variant = [] if config.embed_variant == "fp32" else [config.embed_variant]
    settings = [content, EMBEDDING_MODEL, config.chunk_tokens, config.chunk_overlap_sentences, *variant]
    return hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:16]


def evals_cache() -> Path:
    return cache_dir() / "evals"


def build_store(docs: list[Path], config: Config, store: Path | None = None) -> tuple[Path, dict]:
    """Ingest ``docs`` into ``store`` (default: a cached store keyed on their content) and
    return its path with the ingest summary. A finished cached store is not re-read."""
    from qa import Assistant

    path = store or evals_cache() / f"store-{store_key(fingerprint(docs), config)}"
    marker = path / "eval-ingest.json"
    if store is None and marker.exists():
        return path, {**json.loads(marker.read_text()), "reused": True}
    print(f"ingesting {', '.join(map(str, docs))} into {path}", file=sys.stderr)
    issues: list[str] = []
    builder = Assistant(path, config, model="none")
    report = builder.ingest(docs, progress=sys.stderr.isatty(), on_issue=lambda i: issues.append(str(i)))
    summary = {"docs": [str(d) for d in docs], "summary": report.summary(), "articles": report.articles,
               "chunks": report.chunks, "skipped": report.skipped, "rejected": report.rejected,
               "seconds": round(report.seconds, 1), "issues": len(issues), "first_issues": issues[:5],
               "stored_articles": len(builder.articles()), "stored_chunks": builder.stats()["chunks"]}
    print(report.summary(), file=sys.stderr)
    if not summary["stored_articles"]:
        raise ValueError(f"no articles in {', '.join(map(str, docs))}: {'; '.join(issues[:3]) or 'nothing found'}")
    if store is None:
        # Written last: an interrupted ingest resumes (unchanged articles are skipped) instead of counting as done.
        tmp = marker.with_name(f".{marker.name}.{os.getpid()}")
        tmp.write_text(json.dumps(summary, indent=2))
        tmp.replace(marker)
    return path, {**summary, "reused": False}
