"""The ``newsqa`` command line: ingest, ask, list, remove, stats, serve, eval."""
from __future__ import annotations

import argparse
import json
import sys

from evals.cli import add_parser as add_eval_parser

from .config import MODES, Config


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", help="store folder (default ./newsqa-store, or $NEWSQA_STORE)")
    common.add_argument("--chroma-url", help="use a Chroma server instead of the local store ($NEWSQA_CHROMA_URL)")
    p = argparse.ArgumentParser(prog="newsqa", description="Answer questions about news articles with cited passages.")
    sub = p.add_subparsers(dest="command", required=True)

    ing = sub.add_parser("ingest", parents=[common], help="add articles (txt, md, html, jsonl, jsonl.gz, folders)")
    ing.add_argument("paths", nargs="+")
    ing.add_argument("--limit", type=int, help="stop after N articles")

    ask = sub.add_parser("ask", parents=[common], help="ask a question")
    ask.add_argument("question")
    ask.add_argument("--as-of", help="ignore articles published after this date (YYYY-MM-DD)")
    ask.add_argument("--site", action="append", default=[], help="only articles from this site (repeatable)")
    ask.add_argument("--article", action="append", default=[], metavar="URL_OR_ID",
                     help="only this article (repeatable; ids as `newsqa list` shows them)")
    ask.add_argument("--mode", choices=MODES)
    ask.add_argument("--model", help="packaged model name, a .gguf path, or 'none' ($NEWSQA_MODEL)")
    ask.add_argument("--llm-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 ($NEWSQA_LLM_URL)")
    ask.add_argument("--threads", type=int, help="llama.cpp threads (default 0: all usable cores; $NEWSQA_N_THREADS)")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")

    sub.add_parser("list", parents=[common], help="list stored articles")
    rm = sub.add_parser("remove", parents=[common], help="remove an article by id or URL")
    rm.add_argument("key")
    sub.add_parser("stats", parents=[common], help="store statistics")
    srv = sub.add_parser("serve", parents=[common], help="open the chat UI in the browser")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=7860)
    srv.add_argument("--model", help="packaged model name, a .gguf path, or 'none'")
    srv.add_argument("--auth", metavar="USER:PASSWORD", help="require this login (needed off loopback)")
    srv.add_argument("--max-upload-mb", type=float, default=64, help="refuse larger uploads (default 64)")
    add_eval_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    threads = getattr(args, "threads", None)
    cfg = Config.from_env(store=args.store, chroma_url=args.chroma_url, mode=getattr(args, "mode", None),
                          model=getattr(args, "model", None), llm_url=getattr(args, "llm_url", None),
                          n_threads=threads, n_threads_batch=threads)
    from .assistant import Assistant
    from .errors import ModelError, StoreMismatch

    try:
        if args.command == "eval":  # runs on stores of its own, not the default one
            from evals.cli import run as run_eval

            return run_eval(args, cfg)
        assistant = Assistant(config=cfg)
        return COMMANDS[args.command](assistant, args)
    except (StoreMismatch, ModelError, ValueError) as exc:
        print(f"newsqa: {exc}", file=sys.stderr)
        return 2


def _ingest(a, args) -> int:
    report = a.ingest(args.paths, limit=args.limit, progress=True)
    print(report.summary())
    return 0 if report.articles or report.skipped or not report.rejected else 1


def _ask(a, args) -> int:
    answer = a.ask(args.question, as_of=args.as_of, sites=args.site, articles=args.article)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    if answer.citations:
        print("\nSources:")
        for c in answer.citations:
            print(f"[{c.n}] {c.title} ({c.date_label}) {c.url}".rstrip())
            print(f"    “{c.quote}”")
        if answer.checked == "words":
            print("\n(checked by word overlap only: the model's yes/no probabilities were not available)")
    elif answer.passages:
        print("\nClosest passages:")
        closest: dict[str, object] = {}
        for p in answer.passages:
            closest.setdefault(p.article_id, p)
        for p in list(closest.values())[:3]:
            print(f"- {p.title} ({p.date_label}) {p.url}".rstrip())
    return 0


def _list(a, args) -> int:
    for art in a.articles():
        print(f"{art.date_label:>12}  {art.chunks:>3} chunks  {art.title}  [{art.id}]")
    return 0


def _remove(a, args) -> int:
    n = a.remove(args.key)
    print(f"removed {n} chunks" if n else f"newsqa: no article with id or URL {args.key!r}")
    return 0 if n else 1


def _stats(a, args) -> int:
    for k, v in a.stats().items():
        print(f"{k}: {v}")
    return 0


def _serve(a, args) -> int:
    from ui.app import exposure_warning, serve

    if warning := exposure_warning(args.host, args.auth):
        print(warning, file=sys.stderr)
    serve(a, args.host, args.port, auth=args.auth, max_upload_mb=args.max_upload_mb)
    return 0


COMMANDS = {"ingest": _ingest, "ask": _ask, "list": _list, "remove": _remove, "stats": _stats, "serve": _serve}

if __name__ == "__main__":
    sys.exit(main())
