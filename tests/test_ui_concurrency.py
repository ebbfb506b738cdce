"""8 concurrent clients against one real `newsqa serve` (loopback): no errors, no crossed or corrupted answers."""
from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor

from conftest import REPO
from qa.markers import MARKER, cited
from test_ui import served

CLIENTS = 8
CLIENT_TIMEOUT = 900  # seconds for all answers; the model serves one at a time
QUESTIONS = [json.loads(line)["question"] for line in (REPO / "seeds" / "seed_qa.jsonl").read_text().splitlines()[:4]]


def check_answer(a: dict, question: str) -> None:
    """Internally consistent: its question, [n] markers backed by citations, quotes at their offsets."""
    assert a["question"] == question
    numbers = {c["n"] for c in a["citations"]}
    assert {n for m in MARKER.finditer(a["text"]) for n in cited(m)} <= numbers, a["text"]
    assert a["abstained"] or numbers
    for c in a["citations"]:
        lo, hi = c["start"] - c["passage_start"], c["end"] - c["passage_start"]
        assert c["passage"][lo:hi] == c["quote"] and c["quote"]
        # The cited passage lies inside a retrieved passage of the same article, at the same offsets.
        assert any(p["article_id"] == c["article_id"] and p["start"] <= c["passage_start"]
                   and p["text"][c["passage_start"] - p["start"]:][:len(c["passage"])] == c["passage"]
                   for p in a["passages"]), c


def test_eight_concurrent_clients(seeded_store, tmp_path):
    from gradio_client import Client

    from qa import Assistant

    store = tmp_path / "store"
    shutil.copytree(seeded_store, store)
    # Half quote only (deterministic: twins must match exactly), half go through the model.
    half = CLIENTS // 2
    jobs = [(QUESTIONS[i % 2], "extract") for i in range(half)] + [(QUESTIONS[2 + i % 2], "default") for i in range(half)]
    with served(store, tmp_path / "serve.log") as url:
        clients = [Client(url, verbose=False) for _ in range(CLIENTS)]

        def run(k: int) -> dict:
            question, mode = jobs[k]
            if k == CLIENTS - 1:  # one client drives the chat endpoint the page uses
                _, html = clients[k].predict(question, "", [], mode, api_name="/ask")
                return {"html": html}
            return clients[k].predict(question, "", [], mode, api_name="/answer")

        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(run, range(CLIENTS), timeout=CLIENT_TIMEOUT))

    articles = {a.id for a in Assistant(store, model="none").articles()}
    for (question, mode), result in zip(jobs[:-1], results[:-1]):
        check_answer(result, question)
        assert {c["article_id"] for c in result["citations"]} <= articles
    extract = results[:half]
    for k, result in enumerate(extract):
        twin = next(r for j, r in enumerate(extract) if j != k and jobs[j][0] == jobs[k][0])
        assert result["text"] == twin["text"] and result["citations"] == twin["citations"]
    html = results[-1]["html"]
    assert html.count('class="nq-user"') == 1 and jobs[-1][0] in html and "nq-error" not in html
