"""The retriever's fitted fusion: its features from the two candidate lists, the fit, the served
ranking on a real store."""
from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest

from conftest import write_jsonl


@pytest.mark.fast
def test_features_come_from_the_two_lists_and_the_dates():
    from qa.fusion import features

    june = {"a@h#0": dt.date(2022, 6, 10).toordinal(), "b@h#3": dt.date(2022, 6, 1).toordinal()}
    lexical = [("a@h#0", 10.0), ("b@h#3", 5.0)]
    dense = [("b@h#3", 0.8), ("c@h#1", 0.6), ("a@h#2", 0.5)]
    ids, x = features(lexical, dense, lambda cid: june.get(cid, 0))
    assert ids == ["a@h#0", "b@h#3", "c@h#1", "a@h#2"]  # BM25's first, then dense's new ones
    expected = [
        # cosine (BM25-only: the dense list's lowest), article's best BM25 share, log days older than
        # the newest dated candidate (undated: 0), log chunk index
        [0.5, 1.0, 0.0, 0.0],
        [0.8, 0.5, math.log1p(9), math.log1p(3)],
        [0.6, 0.0, 0.0, math.log1p(1)],
        [0.5, 1.0, 0.0, math.log1p(2)],
    ]
    assert x == pytest.approx(np.array(expected))
    assert features([], [], lambda cid: 0)[1].shape == (0, 4)


@pytest.mark.fast
def test_the_listwise_fit_learns_which_feature_marks_the_answer():
    """Lists whose answer-holding candidate has the highest first feature, the others random: the fit
    weights the first and ranks every list's positive first."""
    from evals.fusion_fit import fit_listwise

    rng = np.random.default_rng(0)
    xs, ys = [], []
    for _ in range(40):
        x = rng.normal(size=(12, 4))
        y = np.zeros(12)
        y[np.argmax(x[:, 0])] = 1
        x[np.argmax(x[:, 0]), 0] += 1  # clear of the next
        xs.append(x)
        ys.append(y)
    xs.append(rng.normal(size=(5, 4)))  # a list without an answer: standardised, not fitted
    ys.append(np.zeros(5))
    model = fit_listwise(xs, ys)
    assert model.coef[0] > 1 and max(abs(w) for w in model.coef[1:]) < model.coef[0] / 3
    z = lambda x: ((x - model.mean) / model.std) @ np.array(model.coef)  # noqa: E731
    assert all(np.argmax(z(x)) == np.argmax(y) for x, y in zip(xs[:-1], ys[:-1]))


@pytest.mark.fast
def test_a_model_of_other_features_is_refused(tmp_path):
    from qa.fusion import MODEL, load_fusion

    served = load_fusion()
    assert len(served.coef) == 4 and served.coef[2] < 0  # older than the newest candidate ranks lower
    other = tmp_path / "fusion.json"
    other.write_text(json.dumps({**json.loads(MODEL.read_text()), "features": ["cosine", "bm25"]}))
    with pytest.raises(ValueError, match=f"{other}: fitted on features"):
        load_fusion(other)


def test_a_newer_report_on_the_same_story_ranks_first(tmp_path):
    """Two reports of one vote three weeks apart, the older matching the question a little better by
    both BM25 and the embedder: rank fusion serves the older first, the fitted fusion the newer (as
    of the question's date); an unknown fusion is refused."""
    from qa import Assistant

    text = ("The city council approved the Harbor Line tram extension on Tuesday by a vote of 7 to 2. "
            "Construction of the four new stops is due to start in the spring.")
    rows = [{"url": f"https://example.org/{day}", "title": "Council approves Harbor Line tram extension",
             "text": text + more, "date": f"2024-03-{day:02d}"}
            for day, more in ((4, " The vote followed a long debate."), (25, " Work on the depot begins next year."))]
    a = Assistant(tmp_path / "store", model="none")
    a.ingest([write_jsonl(tmp_path / "articles.jsonl", rows)])
    question = "How did the council vote on the tram extension?"
    served = a.retrieve(question, as_of="2024-04-01")
    by_rank = Assistant(tmp_path / "store", model="none", fusion="rrf").retrieve(question, as_of="2024-04-01")
    assert [p.published.day for p in served] == [25, 4] and [p.published.day for p in by_rank] == [4, 25]
    with pytest.raises(ValueError, match="unknown fusion 'best'"):
        Assistant(tmp_path / "store", model="none", fusion="best")
