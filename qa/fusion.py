"""How the BM25 and dense candidate lists become one ranking.

``rrf``: weighted reciprocal-rank fusion. ``LinearFusion`` (served by default): a linear score of
four things the two lists already hold, fitted on RealTime QA 2022 weeks that neither the tune nor
the test split uses (``newsqa eval fit-fusion``; README, *Measuring retrieval*): the chunk's dense
cosine, how well its article matches by BM25, how much older it is than the newest candidate, and
how far into its article it lies. Rank fusion alone never beat BM25 alone on the dev set; these
four, weighted on data, did.
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.store import parse_chunk_id

Ranking = list[tuple[str, float]]  # (chunk id, score), best first
FEATURES = ("cosine", "article_bm25", "days_older", "chunk_position")
MODEL = Path(__file__).with_name("fusion.json")


def rrf(lexical: Ranking, dense: Ranking, weights: tuple[float, float], k: int) -> dict[str, float]:
    """Each chunk's weighted reciprocal rank summed over the two lists."""
    fused: dict[str, float] = {}
    for weight, ranking in zip(weights, (lexical, dense)):
        for rank, (cid, _) in enumerate(ranking):
            fused[cid] = fused.get(cid, 0.0) + weight / (k + rank + 1)
    return fused


def features(lexical: Ranking, dense: Ranking, day_of: Callable[[str], int]) -> tuple[list[str], np.ndarray]:
    """The candidates (both lists' chunks, BM25's first) and one row of ``FEATURES`` each:
    - cosine: the dense list's cosine, or its lowest for a chunk only BM25 found;
    - article_bm25: the best BM25 score of the chunk's article among the candidates, over the best
      of all (0 for an article only dense retrieval found);
    - days_older: log(1 + days) the chunk's article is older than the newest dated candidate (0 when
      undated); ``day_of(chunk id)`` gives a date ordinal, 0 for unknown;
    - chunk_position: log(1 + the chunk's index in its article): a news story leads with its facts."""
    ids = list(dict.fromkeys([cid for cid, _ in lexical] + [cid for cid, _ in dense]))
    bm25, cosine = dict(lexical), dict(dense)
    top = max(bm25.values(), default=0.0) or 1.0
    floor = min(cosine.values(), default=0.0)
    parsed = [parse_chunk_id(cid) for cid in ids]
    article_best: dict[str, float] = {}
    for (article, _, _), cid in zip(parsed, ids):
        article_best[article] = max(article_best.get(article, 0.0), bm25.get(cid, 0.0) / top)
    days = [day_of(cid) for cid in ids]
    newest = max(days, default=0)
    rows = [(cosine.get(cid, floor), article_best[article], math.log1p(newest - day) if day else 0.0,
             math.log1p(index)) for cid, (article, _, index), day in zip(ids, parsed, days)]
    return ids, np.array(rows, dtype=float).reshape(len(ids), len(FEATURES))


@dataclass(frozen=True)
class LinearFusion:
    """A weighted sum of the standardised ``FEATURES``."""

    mean: tuple[float, ...]
    std: tuple[float, ...]
    coef: tuple[float, ...]

    def scores(self, lexical: Ranking, dense: Ranking, day_of: Callable[[str], int]) -> dict[str, float]:
        """Each candidate's score, in candidate order (a stable sort breaks ties BM25 first)."""
        ids, x = features(lexical, dense, day_of)
        return dict(zip(ids, (((x - self.mean) / self.std) @ np.array(self.coef)).tolist()))

    def to_json(self) -> dict:
        return {"features": list(FEATURES), "mean": list(self.mean), "std": list(self.std), "coef": list(self.coef)}


@lru_cache(maxsize=4)
def load_fusion(path: Path = MODEL) -> LinearFusion:
    """The fitted model; its features must be today's ``FEATURES``, in order."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data.get("features", ())) != FEATURES:
        raise ValueError(f"{path}: fitted on features {data.get('features')}, not {list(FEATURES)}; "
                         "refit with `newsqa eval fit-fusion`")
    return LinearFusion(tuple(data["mean"]), tuple(data["std"]), tuple(data["coef"]))
