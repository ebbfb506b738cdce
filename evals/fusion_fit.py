"""`newsqa eval fit-fusion`: fit the retriever's fusion (``qa/fusion.py``) on RealTime QA 2022.

The questions are those of the quiz weeks neither dev split uses (week groups 0 and 2 of four; tune
is group 1, test group 3), each asked as of its date over a whole-corpus store, so the fit never
sees a tune or test question. For each, the BM25 and dense candidates the retriever would fuse are
labelled by whether they hold the gold answer (``answer_hit``, as `eval retrieval` counts it), and
a softmax over each question's candidates is fitted to put its answer-holding ones first (listwise
logistic regression, L2 penalty 1/C), on standardised ``FEATURES``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from qa import Config
from qa.fusion import FEATURES, MODEL, LinearFusion, features
from qa.retrieval import Filters, to_passage
from qa.timeframe import resolve as resolve_timeframe

from .reading import SPLITS, WEEK_GROUPS
from .retrieval import answer_hit, answerable
from .rtqa import RTQAQuestion, load_folder


def fit_questions(questions: list[RTQAQuestion]) -> list[RTQAQuestion]:
    """The questions of the quiz weeks in neither dev split."""
    weeks = sorted({q.week for q in questions})
    kept = {w for i, w in enumerate(weeks) if i % WEEK_GROUPS not in SPLITS.values()}
    return [q for q in questions if q.week in kept]


def labelled(assistant, q: RTQAQuestion) -> tuple[np.ndarray, np.ndarray]:
    """The question's candidates' features and labels, under the filter retrieval settles on (the
    question's period first, when it names one and that finds dated articles, as ``Assistant`` does)."""
    frame = resolve_timeframe(q.question, q.date)
    for since in ([frame.since] if frame else []) + [None]:
        retriever = assistant.retriever(Filters(q.date, (), since, ()))
        served = [to_passage(n) for n in retriever.retrieve(q.question)]
        if served and (since is None or any(p.published for p in served)):
            ids, x = features(*retriever.candidates_of(q.question), retriever.day_of)
            found = {p.chunk_id: p for p in retriever.passages(ids)}
            return x, np.array([cid in found and answer_hit(found[cid], q.answer) for cid in ids], dtype=float)
    return np.zeros((0, len(FEATURES))), np.zeros(0)


def fit_listwise(xs: list[np.ndarray], ys: list[np.ndarray], c: float = 1.0) -> LinearFusion:
    """Weights on standardised features maximising the softmax share of each list's positives
    (lists without one are left out of the loss, not of the standardisation)."""
    from scipy.optimize import minimize

    stacked = np.concatenate(xs)
    mean, std = stacked.mean(0), stacked.std(0) + 1e-9
    lists = [((x - mean) / std, y / y.sum()) for x, y in zip(xs, ys) if y.any()]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = w @ w / (2 * c), w / c
        for z, target in lists:
            s = z @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            total -= target @ np.log(p)
            grad = grad + z.T @ (p - target)
        return total / len(lists), grad / len(lists)

    w = minimize(loss, np.zeros(stacked.shape[1]), jac=True, method="L-BFGS-B").x
    return LinearFusion(tuple(mean.tolist()), tuple(std.tolist()), tuple(w.tolist()))


def fit_fusion(data: Path, store: Path, config: Config, to: Path = MODEL, c: float = 1.0) -> dict:
    """Fit on ``store`` (a whole-corpus store of ``data``) and write the model to ``to``."""
    from qa import Assistant

    questions = answerable(fit_questions(load_folder(data)), data)
    assistant = Assistant(store, config.with_overrides(fusion="rrf"), model="none")
    rows = [labelled(assistant, q) for q in questions]
    model = fit_listwise([x for x, _ in rows], [y for _, y in rows], c)
    fitted = {**model.to_json(), "questions": len(questions), "with_answer": sum(bool(y.any()) for _, y in rows),
              "c": c}
    to.write_text(json.dumps(fitted, indent=1) + "\n", encoding="utf-8")
    return fitted
