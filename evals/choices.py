"""Multiple choice over what an answer rests on: the lexical pick (each choice's support in the
ranked passages) and the model's pick by letter over the evidence it read for its answer."""
from __future__ import annotations

import datetime as dt

from qa import Config
from qa.llm import LLM
from qa.prompting import SYSTEM, asked

from .judge import LLMJudge, make_judge
from .matching import contains, words

# When the model read no evidence sentences (the reader abstained first), the model's pick reads
# the top passages up to this many characters, the reader's own evidence budget.
PASSAGE_CHARS = 1400
LETTERS = "ABCDEFGH"


def argmax(scores: list[float]) -> int:
    return max(range(len(scores)), key=scores.__getitem__)


def choice_support(choices: list[str], texts: list[str]) -> list[float]:
    """How strongly the ranked ``texts`` mention each choice: per text, 1 for the whole choice,
    else half the share of its distinctive words present; weighted 1/rank and summed.

    Words every choice shares ("Children ages ...") cannot tell choices apart and are ignored.
    """
    vocab = [{w for w in words(c) if len(w) > 2 or w.isdigit()} for c in choices]
    shared = set.intersection(*vocab) if vocab else set()
    text_words = [set(words(t)) for t in texts]
    scores = []
    for choice, terms in zip(choices, vocab):
        distinctive = terms - shared or terms
        score = 0.0
        for rank, (text, present) in enumerate(zip(texts, text_words), 1):
            if contains(text, choice):
                score += 1 / rank
            elif distinctive:
                score += 0.5 * len(distinctive & present) / len(distinctive) / rank
        scores.append(score)
    return scores


def picking_llm(config: Config, answering_llm: object, mc: str) -> LLM | None:
    """The model that picks among the choices: the answering one, only when it answers (extract
    mode stays fast) and gives token probabilities (``make_judge`` falls back to words without)."""
    if config.mode == "extract" or mc != "auto":
        return None
    judge = make_judge("auto", config, answering_llm)
    return judge.llm if isinstance(judge, LLMJudge) else None


def evidence_read(answer) -> str:
    """What the model read for the answer, else the top passages within ``PASSAGE_CHARS``."""
    if answer.evidence:
        return answer.evidence
    return "\n".join(f"{p.title}: {p.text}" for p in answer.passages)[:PASSAGE_CHARS]


def letter_shares(llm: LLM, question: str, date: dt.date, choices: list[str], evidence: str) -> list[float]:
    """Each choice's probability as the model's one-letter pick, averaged over the choices' cyclic
    orders: a single order is mostly the model's letter bias (on tune it picked "A" whatever the
    order), and each choice takes each letter once across the orders. Same call count as one yes/no
    per choice."""
    # Laid out as the answer prompt is and the same up to the choices: the calls share their
    # prefill, and the model judges what it read when answering (the question's best sentences).
    head = "\n".join(asked(question)) + f"\n{evidence}\n\nToday is {date.isoformat()}.\nQuestion: {question}\nChoices:\n"
    n = len(choices)
    shares = [0.0] * n
    for shift in range(n):
        order = [(k + shift) % n for k in range(n)]
        listed = "\n".join(f"{LETTERS[k]}. {choices[i]}" for k, i in enumerate(order))
        picked = llm.option_probabilities(
            [{"role": "system", "content": SYSTEM},
             {"role": "user", "content": head + listed + "\n\nWhich choice do the sentences show is correct? "
                                                        "Reply with its letter."}], LETTERS[:n]) or [0.0] * n
        for k, i in enumerate(order):
            shares[i] += picked[k] / n
    return shares
