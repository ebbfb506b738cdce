"""A development set for the support checks, built from RealTime QA (not from the seed article).

For each question whose gold answer appears in one of its answer articles, the sentence holding
the answer is a supported claim about its window (the sentence and its neighbours). Three
variants of it must fail: the answer swapped for a wrong multiple-choice option, the sentence
negated, and the sentence checked against another article's window.

    python -m evals.devset [--data DIR] [--limit N] [--judge MODEL]

Measured (80 questions; judge: packaged Qwen2.5-1.5B on a 65-item sample): lexical checks
correct on 98% of gold, 100% negated, 100% other-article, 92% swapped items; the judge gave
every gold item P(yes) >= 0.86 and caught both swapped items the lexical checks passed.
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from qa import clean_text, split_sentences

from .matching import normalise

_AUX = re.compile(r"\b(is|are|was|were|has|have|had|will|would|can|could|did|does|do)\b")


@dataclass(frozen=True)
class DevItem:
    """A claim, the evidence window it is checked against, and whether it should verify."""

    qid: str
    question: str
    kind: str  # "gold", "swapped", "negated", "other-article"
    claim: str
    evidence: str
    supported: bool


def build(data: Path, limit: int = 60) -> list[DevItem]:
    """Up to ``limit`` questions' worth of items (four per question)."""
    questions = [json.loads(line) for line in (data / "questions.jsonl").open(encoding="utf-8")]
    wanted = {u for q in questions for u in q.get("answer_urls", [])}
    articles = {}
    with gzip.open(data / "articles.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row.get("url") in wanted:
                articles[row["url"]] = clean_text(row.get("text") or "")
    items: list[DevItem] = []
    others = list(articles.values())
    for q in questions:
        found = _gold_window(q, articles)
        if not found:
            continue
        sentence, window = found
        gold = q["answer"]
        wrong = next((c for i, c in enumerate(q["choices"]) if i != q["answer_index"]), None)
        # Another article's best-overlapping window: plausible, on a similar topic, but not the source.
        other = next((_best_window(sentence, t) for t in others[len(items) % len(others):] + others
                      if t not in window and normalise(gold) not in normalise(t)), "")
        items.append(DevItem(q["id"], q["question"], "gold", sentence, window, True))
        if wrong:
            swapped = _replace_ci(sentence, _plain(gold), _plain(wrong))
            items.append(DevItem(q["id"], q["question"], "swapped", swapped, window, False))
        negated = _negate(sentence)
        if negated:
            items.append(DevItem(q["id"], q["question"], "negated", negated, window, False))
        if other:
            items.append(DevItem(q["id"], q["question"], "other-article", sentence, other, False))
        if len({i.qid for i in items}) >= limit:
            break
    return items


def _plain(answer: str) -> str:
    return answer.strip("“”\"' ")


def _gold_window(q: dict, articles: dict[str, str]) -> tuple[str, str] | None:
    answer = normalise(_plain(q["answer"]))
    for url in q.get("answer_urls", []):
        text = articles.get(url, "")
        spans = split_sentences(text)
        for i, (a, b) in enumerate(spans):
            if answer and answer in normalise(text[a:b]):
                lo, hi = max(0, i - 1), min(len(spans), i + 2)
                return text[a:b], text[spans[lo][0]:spans[hi - 1][1]]
    return None


def _best_window(sentence: str, text: str) -> str:
    from qa.evidence import content_terms

    terms = content_terms(sentence)
    spans = split_sentences(text)
    if not spans:
        return ""
    i = max(range(len(spans)), key=lambda k: len(terms & content_terms(text[spans[k][0]:spans[k][1]])))
    lo, hi = max(0, i - 1), min(len(spans), i + 2)
    return text[spans[lo][0]:spans[hi - 1][1]]


def _replace_ci(text: str, old: str, new: str) -> str:
    return re.sub(re.escape(old), new, text, count=1, flags=re.IGNORECASE) if old else text


def _negate(sentence: str) -> str | None:
    from qa.evidence import negated

    m = None if negated(sentence) else _AUX.search(sentence)
    return f"{sentence[:m.end()]} not{sentence[m.end():]}" if m else None


def score(items: list[DevItem], judge: Callable[[str, str, str], float] | None = None) -> dict[str, dict[str, float]]:
    """Share of items per kind that the lexical check, the judge (if given) and both together get right."""
    from qa.evidence import supports
    from qa.reader import STATES_THRESHOLD

    out: dict[str, dict[str, float]] = {}
    for kind in sorted({i.kind for i in items}):
        group = [i for i in items if i.kind == kind]
        lexical = [supports(i.claim, i.evidence, i.question) for i in group]
        row = {"n": len(group), "lexical": _share(lexical, group)}
        if judge:
            judged = [judge(i.question, i.claim, i.evidence) >= STATES_THRESHOLD for i in group]
            row["judge"] = _share(judged, group)
            row["both"] = _share([a and b for a, b in zip(lexical, judged)], group)
        out[kind] = row
    return out


def _share(verdicts: list[bool], group: list[DevItem]) -> float:
    return sum(v == i.supported for v, i in zip(verdicts, group)) / len(group)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.devset", description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/realtimeqa-2022")
    p.add_argument("--limit", type=int, default=60)
    p.add_argument("--out", type=Path, help="write the items as JSONL")
    p.add_argument("--judge", metavar="MODEL", help="also score the LLM judge (packaged model name or .gguf)")
    args = p.parse_args(argv)
    items = build(args.data, args.limit)
    if args.out:
        args.out.write_text("".join(json.dumps(asdict(i)) + "\n" for i in items), encoding="utf-8")
    judge = None
    if args.judge:
        from qa import Config
        from qa.llm import load_llm
        from qa.prompting import judge_messages

        llm = load_llm(Config.from_env(model=args.judge))
        judge = lambda question, claim, evidence: llm.yes_probability(judge_messages(claim, evidence))  # noqa: E731
    for kind, row in score(items, judge).items():
        print(f"{kind:>14}  n={row['n']:>3}  " + "  ".join(f"{k} correct {v:.0%}" for k, v in row.items() if k != "n"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
