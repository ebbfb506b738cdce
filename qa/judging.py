"""The local LLM's constrained yes/no judgement: does this passage state this claim?"""
from __future__ import annotations

from .llm import LlamaCppLLM, judge_yes_no

_SYSTEM = "You are a strict fact checker. Reply with yes or no only."


def can_judge(llm: object) -> bool:
    """Only an in-process llama.cpp model exposes the first token's probabilities."""
    return isinstance(llm, LlamaCppLLM)


def support_probability(llm: LlamaCppLLM, claim: str, evidence: str) -> float:
    """P(yes) that ``evidence`` states ``claim``, read from the reply's first token."""
    user = f'Passage: "{evidence}"\n\nStatement: {claim}\n\nDoes the passage state this statement? Reply yes or no.'
    return judge_yes_no(llm, [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}])
