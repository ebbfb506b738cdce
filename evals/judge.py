"""Support judges for citation scoring, independent of the pipeline's own verifier."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from qa import Config
from qa.llm import LLM, load_llm
from qa.prompting import SYSTEM

from .matching import words


class Judge(Protocol):
    name: str

    def supports(self, claim: str, passages: list[str]) -> bool:
        """Whether ``passages`` together fully state ``claim``."""
        ...


@dataclass
class LLMJudge:
    """P(yes) >= 0.5 from a model's first reply token (``LLM.yes_probability``)."""

    llm: LLM

    @property
    def name(self) -> str:
        return f"LLM yes/no judge ({self.llm.name})"

    def p_yes(self, user: str) -> float:
        # The pipeline's system prompt (it covers yes/no checks): the model keeps its prefix
        # cached, so judging between questions does not slow the answers being timed.
        return self.llm.yes_probability([{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]) or 0.0

    def supports(self, claim: str, passages: list[str]) -> bool:
        sources = "\n".join(f'"{p}"' for p in passages)
        return self.p_yes(f"Sources:\n{sources}\n\nClaim: {claim}\n\n"
                          "Do the sources fully support the claim? Answer yes or no.") >= 0.5


class LexicalJudge:
    """Fallback without a model: a word-overlap heuristic, not an entailment judgement."""

    name = "lexical fallback (>= 80% of the claim's 3+ letter words and numbers in the passages)"

    def supports(self, claim: str, passages: list[str]) -> bool:
        claim_words = {w for w in words(claim) if len(w) > 2 or w.isdigit()}
        found = set(words(" ".join(passages)))
        return bool(claim_words) and len(claim_words & found) >= 0.8 * len(claim_words)


def make_judge(spec: str, config: Config, answering_llm: object) -> Judge:
    """``spec``: "auto" (the answering model, else lexical), "lexical", or a model name / .gguf path."""
    if spec == "lexical":
        return LexicalJudge()
    llm = answering_llm if spec == "auto" else load_llm(Config(model=spec, n_ctx=config.n_ctx,
                                                               n_threads=config.n_threads,
                                                               n_threads_batch=config.n_threads_batch))
    # A judge reads the first token's probabilities: a server may not give them.
    return LLMJudge(llm) if llm is not None and llm.yes_probability(_PROBE) is not None else LexicalJudge()


_PROBE = [{"role": "user", "content": "Is Paris in France? Reply yes or no."}]
