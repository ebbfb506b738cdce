"""Sentence splitting and chunking against the real MiniLM tokenizer."""
from __future__ import annotations

import gzip
import json
from itertools import islice

import pytest

from conftest import RTQA, SEEDS
from index.chunking import chunk_article, split_sentences
from index.embedding import MAX_WORDPIECES, Tokenizer
from index.models import Article

pytestmark = pytest.mark.fast


def test_split_sentences_keeps_offsets_and_abbreviations():
    text = 'Mr. Smith met Dr. J. Jones of the U.S. Army at 5 p.m. Friday. He said "no." Then he left!\nA headline\n\nSen. Warren disagreed.'
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == [
        "Mr. Smith met Dr. J. Jones of the U.S. Army at 5 p.m. Friday.",
        'He said "no."',
        "Then he left!",
        "A headline",
        "Sen. Warren disagreed.",
    ]


def test_seed_chunks_are_whole_sentences_with_offsets():
    text = (SEEDS / "000_a3f0896ac364095c.txt").read_text()
    title, body = text.split("\n", 1)
    article = Article("seed", title, body.strip())
    tok = Tokenizer()
    chunks = chunk_article(article, tok, max_tokens=120, overlap=1)
    assert len(chunks) > 3
    ends = {b for _, b in split_sentences(article.full_text)}
    for c in chunks:
        assert article.full_text[c.start:c.end] == c.text
        assert c.end in ends
    assert chunks[0].text.startswith(title)
    # Neighbours share a sentence (unless it is over half the budget), and nothing is skipped.
    assert any(b.start < a.end for a, b in zip(chunks, chunks[1:]))
    assert all(b.start <= a.end + 2 for a, b in zip(chunks, chunks[1:]))


def test_real_news_chunks_fit_the_embedding_model():
    tok = Tokenizer()
    with gzip.open(RTQA / "articles.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in islice(f, 40)]
    budget = 200
    for row in rows:
        article = Article(row["url"], row["title"] or "", row["text"] or "x")
        for c in chunk_article(article, tok, max_tokens=budget):
            assert article.full_text[c.start:c.end] == c.text
            assert tok.count([c.text])[0] <= budget < MAX_WORDPIECES - 2
