"""End to end on real parts: seed store, real retrieval, real packaged LLMs, verified citations."""
from __future__ import annotations

import json
import re
import subprocess
import sys

from conftest import ATTRIBUTION_Q, REPO, write_jsonl
from qa import Assistant


def _check_attribution(answer):
    assert not answer.abstained
    assert re.search(r"\[\d+\]", answer.text)
    assert any("offered no proof" in c.quote for c in answer.citations)
    for c in answer.citations:
        assert c.passage and c.quote in c.passage and c.end - c.start == len(c.quote)


def test_extract_mode_quotes_the_no_proof_sentence(smol):
    _check_attribution(smol.ask(ATTRIBUTION_Q, mode="extract"))


def test_smollm2_answer_is_grounded_or_abstains(smol):
    """The tiny model invents freely and its yes/no judgement is not calibrated, so its answers are
    checked by words: each sentence survives only if the sentences it cites state it."""
    from qa.evidence import supports

    answer = smol.ask(ATTRIBUTION_Q)
    if answer.abstained:
        assert answer.text == "The sources don't say." and not answer.citations and answer.passages
        return
    claims = re.findall(r"(.+?)\s*((?:\[\d+\])+)(?:\s+|$)", answer.text)
    assert claims and "".join(c + m for c, m in claims).replace(" ", "") == answer.text.replace(" ", "")
    for claim, marks in claims:
        quoted = " ".join(answer.citations[int(n) - 1].quote for n in re.findall(r"\d+", marks))
        assert supports(claim, quoted, ATTRIBUTION_Q), (claim, quoted)
    for c in answer.citations:
        assert c.quote in c.passage and c.end - c.start == len(c.quote)


def test_qwen_default_model_answers_with_citations(qwen):
    answer = qwen.ask(ATTRIBUTION_Q)
    _check_attribution(answer)


def test_fabricated_claim_is_dropped_and_off_topic_abstains(smol):
    from qa.citations import CitationBuilder
    from qa.evidence import passage_sentences
    from qa.reader import Draft, Query, Reader

    passages = smol.retrieve(ATTRIBUTION_Q)
    evidence = [s for i, p in enumerate(passages) for s in passage_sentences(p, i)]
    builder = CitationBuilder(passages)
    draft = "The strikes were ordered by President Donald Trump. Officials offered proof of the attack."
    # Without a judge (as with an OpenAI-compatible server) the word checks decide, citing every sentence.
    text = Reader(None, None).verify(Query(ATTRIBUTION_Q), Draft(tuple(range(1, len(evidence) + 1)), draft), evidence,
                                     passages, evidence, builder)
    assert text == "" and builder.citations == []
    off_topic = smol.ask("Who won the 2022 football World Cup final?")
    assert off_topic.abstained and not off_topic.citations


def test_as_of_hides_later_articles(tmp_path):
    a = Assistant(tmp_path / "store", model="none")
    rows = [
        {"url": "https://example.com/old", "title": "Mayor opens bridge", "published": "2022/03/01",
         "text": "The mayor of Riverton opened the new Elm Street bridge on Monday. The bridge cost 12 million dollars."},
        {"url": "https://example.com/new", "title": "Elm Street bridge closed", "published": "2022/06/01",
         "text": "The Elm Street bridge in Riverton was closed on Friday after cracks were found. Engineers will inspect it."},
        {"url": "https://example.com/undated", "title": "Riverton weather", "published": None,
         "text": "Riverton expects heavy rain near the Elm Street bridge this week. Residents were told to stay home."},
    ]
    a.ingest([write_jsonl(tmp_path / "bridge.jsonl", rows)])
    early = {p.article_id for p in a.retrieve("Elm Street bridge Riverton", as_of="2022-04-01")}
    assert early == {"https://example.com/old", "https://example.com/undated"}
    late = {p.article_id for p in a.retrieve("Elm Street bridge Riverton", as_of="2022-07-01")}
    assert "https://example.com/new" in late
    assert [p.date_label for p in a.retrieve("Riverton heavy rain") if p.article_id.endswith("undated")] == ["date unknown"]


def test_cli_ask_json_has_answer_and_offsets(seeded_store):
    out = subprocess.run(
        [sys.executable, "-m", "qa.cli", "ask", ATTRIBUTION_Q, "--json", "--store", str(seeded_store), "--model", "qwen2.5-1.5b"],
        capture_output=True, text=True, cwd=REPO, timeout=600, check=True,
    )
    data = json.loads(out.stdout)
    assert data["abstained"] is False and data["text"]
    cite = data["citations"][0]
    assert {"n", "title", "url", "published", "passage", "start", "end", "quote"} <= set(cite)
    assert cite["end"] - cite["start"] == len(cite["quote"])


def test_qwen_abstains_when_the_article_does_not_say(qwen):
    """Answerable-looking questions whose answer the seed article lacks: the model's guess must not pass."""
    for question in ("What was the name of the US contractor killed in the attack near Kirkuk?",
                     "Who ordered the US airstrikes on the militia bases?"):
        answer = qwen.ask(question)
        assert answer.abstained and answer.text == "The sources don't say." and not answer.citations
        assert answer.passages  # the closest passages are still listed
        assert answer.draft and answer.draft != answer.text  # what the model said, kept for diagnosis
