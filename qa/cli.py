"""The ``newsqa`` command line: the product's own commands (ingest, ask, list, remove, stats), and
those extensions register through the ``newsqa.commands`` entry-point group (``serve``, ``eval``).

An entry point names a ``register(subparsers)`` function that adds its command's parser with
``parents=[qa.options.command_options()]`` and ``set_defaults(run=...)``; ``run(args, config)``
returns the exit code. Only the parsers load at start-up: a command imports what it needs when it runs.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from importlib.metadata import entry_points

from .config import MODES, Config
from .errors import ModelError, StoreMismatch
from .options import add_global_options, command_options

COMMANDS_GROUP = "newsqa.commands"


def parser() -> argparse.ArgumentParser:
    """The whole command line: the core's commands, then each registered extension's."""
    p = argparse.ArgumentParser(prog="newsqa", description="Answer questions about news articles with cited passages.")
    add_global_options(p)
    sub = p.add_subparsers(dest="command", required=True)
    common = command_options()

    ing = sub.add_parser("ingest", parents=[common], help="add articles (txt, md, html, jsonl, jsonl.gz, folders)")
    ing.add_argument("paths", nargs="+")
    ing.add_argument("--limit", type=int, help="stop after N articles")
    ing.set_defaults(run=_on_store(_ingest))

    ask = sub.add_parser("ask", parents=[common], help="ask a question")
    ask.add_argument("question")
    ask.add_argument("--as-of", help="ignore articles published after this date (YYYY-MM-DD)")
    ask.add_argument("--site", action="append", default=[], help="only articles from this site (repeatable)")
    ask.add_argument("--article", action="append", default=[], metavar="URL_OR_ID",
                     help="only this article (repeatable; ids as `newsqa list` shows them)")
    ask.add_argument("--mode", choices=MODES)
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.set_defaults(run=_on_store(_ask))

    sub.add_parser("list", parents=[common], help="list stored articles").set_defaults(run=_on_store(_list))
    rm = sub.add_parser("remove", parents=[common], help="remove an article by id or URL")
    rm.add_argument("key")
    rm.set_defaults(run=_on_store(_remove))
    sub.add_parser("stats", parents=[common], help="store statistics").set_defaults(run=_on_store(_stats))

    for extension in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        extension.load()(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    cfg = Config.from_env(store=args.store, chroma_url=args.chroma_url, model=args.model, llm_url=args.llm_url,
                          n_threads=args.threads, n_threads_batch=args.threads, mode=getattr(args, "mode", None))
    try:
        return args.run(args, cfg)
    except (StoreMismatch, ModelError, ValueError) as exc:
        print(f"newsqa: {exc}", file=sys.stderr)
        return 2


def _on_store(command: Callable) -> Callable[[argparse.Namespace, Config], int]:
    """A core command, ``command(assistant, args)``, run on an ``Assistant`` over the configured store."""
    def run(args: argparse.Namespace, config: Config) -> int:
        from .assistant import Assistant

        return command(Assistant(config=config), args)

    return run


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


if __name__ == "__main__":
    sys.exit(main())
