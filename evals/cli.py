"""``newsqa eval`` (``qa``: a Q&A file, ``hostile``: the same with attacks planted in its documents, ``rtqa``:
a RealTime QA folder, ``reading``: the reader's dev set, ``retrieval``: the rankers side by side,
``fit-fusion``: the retriever's fusion fitted), registered through the ``newsqa.commands`` entry point."""
from __future__ import annotations

import argparse
from pathlib import Path

from qa import MODES, Config
from qa.options import command_options

REPO = Path(__file__).resolve().parents[1]
RTQA_2022 = REPO.parent / "shared" / "data" / "realtimeqa-2022"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``eval qa``, ``eval hostile``, ``eval rtqa``, ``eval reading``, ``eval retrieval`` and ``eval
    fit-fusion`` under the ``newsqa`` command's subparsers."""
    ev = subparsers.add_parser("eval", help="evaluate answers, citations and retrieval on a benchmark")
    ev.set_defaults(run=run)
    kinds = ev.add_subparsers(dest="eval_kind", required=True)
    shared = argparse.ArgumentParser(add_help=False, parents=[command_options(
        store_help="store to ingest the documents into and answer from "
                   "(default: one cached per corpus under ~/.cache/newsqa/evals/)")])
    shared.add_argument("--mode", choices=MODES)
    shared.add_argument("--out", help="run folder (default evals/runs/<time>-<kind>/); an existing one resumes")
    replaying = argparse.ArgumentParser(add_help=False)
    replaying.add_argument("--replay", type=Path, help="an earlier run folder of the same questions: reuse the model's "
                                                       "replies recorded there where it is shown the same evidence "
                                                       "(the judge runs live); minutes instead of half an hour for a "
                                                       "change to the checks")

    qa = kinds.add_parser("qa", parents=[shared, replaying], help="a Q&A file: id, question, answer, must_include, "
                                                       "evidence, answerable")
    qa.add_argument("file", type=Path)
    qa.add_argument("--docs", type=Path, action="append",
                    help="documents to answer from (repeatable; default seeds/articles/)")
    qa.add_argument("--judge", default="auto",
                    help="citation support judge: 'auto' (the answering model, lexical without one), "
                         "'lexical', or a model name / .gguf path")

    ho = kinds.add_parser("hostile", parents=[shared],
                          help="a Q&A file answered over its documents as they are and with attack sentences "
                               "planted in them: answers carrying attack text, and what the attacks cost")
    ho.add_argument("file", type=Path)
    ho.add_argument("--docs", type=Path, action="append", help="folders of .txt/.md articles (repeatable; "
                                                               "default seeds/articles/)")
    ho.add_argument("--attacks", type=Path, required=True,
                    help="JSON list of attack sentences, or an object of such lists (BIPIA's text_attack_test.json)")
    ho.add_argument("--per-article", type=int, default=8, help="attacks planted in each article (default 8)")

    rt = kinds.add_parser("rtqa", parents=[shared], help="a RealTime QA folder: articles.jsonl.gz + questions.jsonl")
    rt.add_argument("--data", type=Path, help="default ../shared/data/realtimeqa-2022/ beside the repository")
    rt.add_argument("--limit", type=int, help="N questions spread evenly over the file (default all)")
    rt.add_argument("--mc", choices=["auto", "lexical"], default="auto",
                    help="multiple choice: 'auto' adds the LLM's letter pick, averaged over the choices' cyclic "
                         "orders, when the mode uses the LLM (over the evidence sentences it read for its "
                         "answer); 'lexical' scores support in the passages only")

    rd = kinds.add_parser("reading", parents=[shared, replaying],
                          help="the reader's dev set: RealTime QA questions over their own search results, "
                               "split by quiz week")
    rd.add_argument("--split", choices=["tune", "test"], required=True)
    rd.add_argument("--data", type=Path, help="default ../shared/data/realtimeqa-2022/ beside the repository")
    rd.add_argument("--limit", type=int, help="N items spread evenly over the split (default all)")
    rd.add_argument("--mc", action="store_true", help="pick each question's multiple choice too: the model by letter "
                                                      "over the evidence it read, and the lexical support")

    rv = kinds.add_parser("retrieval", parents=[shared],
                          help="BM25, dense and hybrid answer-recall side by side on RealTime QA questions "
                               "(give --store a whole-corpus store)")
    rv.add_argument("--split", choices=["tune", "test", "all"], default="all")
    rv.add_argument("--data", type=Path, help="default ../shared/data/realtimeqa-2022/ beside the repository")

    ff = kinds.add_parser("fit-fusion", parents=[shared],
                          help="fit the retriever's fusion on the RealTime QA weeks outside the dev splits "
                               "(give --store a whole-corpus store)")
    ff.add_argument("--data", type=Path, help="default ../shared/data/realtimeqa-2022/ beside the repository")
    ff.add_argument("--to", type=Path, help="where the model goes (default qa/fusion.json, the one served)")
    ff.add_argument("--c", type=float, default=1.0, help="inverse L2 penalty (default 1, chosen on the tune split)")


def run(args: argparse.Namespace, config: Config) -> int:
    """Run the chosen evaluation, print its summary table and where its report is."""
    from .report import text_table

    store = Path(args.store) if args.store else None
    if args.eval_kind == "qa":
        from .qa_eval import evaluate_qa, summary_rows

        docs = args.docs or [REPO / "seeds" / "articles"]
        run_path, results = evaluate_qa(args.file, docs, config, args.out, store, args.judge, args.replay)
    elif args.eval_kind == "hostile":
        from .hostile import evaluate_hostile, summary_rows

        run_path, results = evaluate_hostile(args.file, args.docs or [REPO / "seeds" / "articles"], args.attacks,
                                             config, args.out, args.per_article)
    elif args.eval_kind == "retrieval":
        from .retrieval import evaluate_retrieval, summary_rows

        run_path, results = evaluate_retrieval(args.data or RTQA_2022, args.split, config, args.out, store)
    elif args.eval_kind == "fit-fusion":
        from qa.fusion import MODEL

        from .fusion_fit import fit_fusion

        if store is None:
            raise ValueError("eval fit-fusion: give --store a store holding the whole corpus")
        fitted = fit_fusion(args.data or RTQA_2022, store, config, args.to or MODEL, args.c)
        print(f"fitted on {fitted['questions']} questions ({fitted['with_answer']} with an answer among their "
              f"candidates): coef {dict(zip(fitted['features'], (round(w, 3) for w in fitted['coef'])))}"
              f"\nmodel: {args.to or MODEL}")
        return 0
    elif args.eval_kind == "reading":
        from .reading import evaluate_reading, summary_rows

        run_path, results = evaluate_reading(args.data or RTQA_2022, args.split, config, args.out, store, args.limit,
                                             args.replay, args.mc)
    else:
        from .rtqa import evaluate_rtqa, summary_rows

        run_path, results = evaluate_rtqa(args.data or RTQA_2022, config, args.out, store, args.limit, args.mc)
    print(text_table(summary_rows(results)))
    print(f"\nreport: {run_path / 'report.md'}\nresults: {run_path / 'results.json'}")
    return 0
