"""The local LLM's constrained yes/no judgement: does this passage state this claim?"""
from __future__ import annotations

from .llm import LlamaCppLLM, judge_yes_no
from .prompting import judge_messages


def can_judge(llm: object) -> bool:
    """Only an in-process llama.cpp model exposes the first token's probabilities."""
    return isinstance(llm, LlamaCppLLM)


def support_probability(llm: LlamaCppLLM, claim: str, evidence: str) -> float:
    """P(yes) that ``evidence`` states ``claim``, read from the reply's first token."""
    return judge_yes_no(llm, judge_messages(claim, evidence))
