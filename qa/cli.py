"""The ``newsqa`` command line: the product's own commands (ingest, ask, list, remove, stats, reindex,
feeds, refresh, watch), and those extensions register through the ``newsqa.commands`` entry-point group (``serve``, ``eval``).

An entry point names a ``register(subparsers)`` function that adds its command's parser with
``parents=[qa.options.command_options()]`` and ``set_defaults(run=...)``; ``run(args, config)``
returns the exit code. Only the parsers load at start-up: a command imports what it needs when it runs.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
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
    fetching = argparse.ArgumentParser(add_help=False)
    fetching.add_argument("--allow-private", action="store_true", default=None,
                          help="also fetch from loopback, private and link-local addresses ($NEWSQA_ALLOW_PRIVATE)")

    ing = sub.add_parser("ingest", parents=[common, fetching],
                         help="add articles: files (txt, md, html, jsonl, jsonl.gz), folders, article or feed URLs")
    ing.add_argument("paths", nargs="+", metavar="PATH_OR_URL",
                     help="a file or folder, or an http(s) URL of an article page, a feed (RSS, Atom, JSON Feed) "
                          "or an OPML list of feeds")
    ing.add_argument("--limit", type=_count, help="stop after N articles (files and folders)")
    ing.set_defaults(run=_on_store(_ingest))

    feeds = sub.add_parser("feeds", parents=[common], help="follow feeds: add, list or remove")
    what = feeds.add_subparsers(dest="action", required=True)
    add = what.add_parser("add", parents=[common, fetching], help="follow a feed, or every feed of an OPML list")
    add.add_argument("sources", nargs="+", metavar="URL_OR_OPML")
    add.set_defaults(run=_on_store(_feeds_add))
    what.add_parser("list", parents=[common], help="the followed feeds, each with its last fetch"
                    ).set_defaults(run=_on_store(_feeds_list))
    unfollow = what.add_parser("remove", parents=[common], help="stop following a feed (its articles stay)")
    unfollow.add_argument("url")
    unfollow.set_defaults(run=_on_store(_feeds_remove))

    sub.add_parser("refresh", parents=[common, fetching], help="fetch what is new in the followed feeds (for cron)"
                   ).set_defaults(run=_on_store(_refresh))
    watch = sub.add_parser("watch", parents=[common, fetching], help="refresh the followed feeds in a loop")
    watch.add_argument("--every", type=_duration, default="30m", help="time between refreshes: 90s, 30m, 2h (default 30m)")
    watch.add_argument("--runs", type=int, help="stop after N refreshes (default: until interrupted)")
    watch.set_defaults(run=_on_store(_watch))

    ask = sub.add_parser("ask", parents=[common], help="ask a question")
    ask.add_argument("question")
    ask.add_argument("--as-of", help="ask as of this date (YYYY-MM-DD): later articles are ignored, and an "
                     "answer resting only on articles months older abstains")
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
    sub.add_parser("reindex", parents=[common],
                   help="re-embed every stored chunk with the configured embedding variant ($NEWSQA_EMBED_VARIANT)"
                   ).set_defaults(run=_on_store(_reindex))

    for extension in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        extension.load()(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    cfg = Config.from_env(store=args.store, chroma_url=args.chroma_url, model=args.model, llm_url=args.llm_url,
                          n_threads=args.threads, n_threads_batch=args.threads, mode=getattr(args, "mode", None),
                          allow_private=getattr(args, "allow_private", None))
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
    # Anything with a scheme goes to the fetcher, which refuses all but http(s) with one line.
    urls = [p for p in args.paths if "://" in p]
    paths = [p for p in args.paths if "://" not in p]
    reports = ([a.ingest(paths, limit=args.limit, progress=True)] if paths else []) + \
              ([a.ingest_urls(urls, progress=True)] if urls else [])
    for report in reports:
        print(report.summary())
    found = any(r.articles or r.skipped for r in reports)
    return 0 if found or not any(r.rejected for r in reports) else 1


def _feeds_add(a, args) -> int:
    added, rejected = 0, 0
    for source in args.sources:
        issues = []
        followed = a.follow(source, on_issue=issues.append)
        for issue in issues:
            print(issue, file=sys.stderr)
        rejected += any(i.fatal for i in issues) and not followed
        for feed in followed:
            print(f"following {feed.url}" + (f" ({feed.title})" if feed.title else ""))
        if not followed and not issues:
            print(f"already following {source}")
        added += len(followed)
    print(f"{added} feeds added; run `newsqa refresh` to fetch their articles")
    return 1 if rejected == len(args.sources) else 0


def _feeds_list(a, args) -> int:
    for feed in a.feeds():
        title = f"  {feed.title}" if feed.title else ""
        print(f"{feed.url}{title}")
        print(f"    last fetched {feed.fetched}: {feed.result}" if feed.fetched else "    never fetched")
    return 0


def _feeds_remove(a, args) -> int:
    if a.unfollow(args.url):
        print(f"no longer following {args.url} (its articles stay: `newsqa remove URL` removes one)")
        return 0
    print(f"newsqa: not following {args.url!r}", file=sys.stderr)
    return 1


def _refresh(a, args) -> int:
    def progress(result) -> None:
        if result.status != "error":  # an error is already its own line on stderr
            print(f"{time.strftime('%H:%M:%S')} {result}", flush=True)

    report = a.refresh(on_feed=progress)
    if not report.feeds:
        print("no feeds followed: `newsqa feeds add URL` follows one")
        return 0
    states = [r.status for r in report.feeds]
    print(f"{len(states)} feeds: {states.count('updated')} updated, {states.count('unchanged')} not modified, "
          f"{states.count('error')} failed; {report.ingest.summary()}", flush=True)
    return 1 if states and states.count("error") == len(states) else 0


def _watch(a, args) -> int:
    """``refresh`` every ``--every`` seconds, from the start of one to the start of the next."""
    runs = 0
    try:
        while True:
            started = time.monotonic()
            _refresh(a, args)
            runs += 1
            if args.runs is not None and runs >= args.runs:
                return 0
            time.sleep(max(0.0, started + args.every - time.monotonic()))
    except KeyboardInterrupt:
        return 0


def _count(text: str) -> int:
    """A whole number of at least 1 ("--limit 0" would ingest nothing and say nothing of it)."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a count of 1 or more: {text!r}")
    return int(text)


def _duration(text: str) -> float:
    """Seconds in "90s", "30m", "2h" (a bare number: minutes)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text.lower())
    if not match or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 90s, 30m, 2h)")
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "": 60}[match.group(2)]


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


def _reindex(a, args) -> int:
    print(a.reindex(progress=True).summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
