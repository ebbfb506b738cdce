"""Options every ``newsqa`` command takes, before or after its name: ``newsqa --store DIR ask …`` and
``newsqa ask … --store DIR`` both work; given in both places, the one after the name wins.

The core puts them on the top-level parser with ``None`` defaults. Each command, the core's and the
extensions' alike, takes them again with ``parents=[command_options()]``, defaulting to
``argparse.SUPPRESS``: an option not given after the name leaves the value given before it, which a
plain default would overwrite.
"""
from __future__ import annotations

import argparse

STORE_HELP = "store folder (default ./newsqa-store, or $NEWSQA_STORE)"


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """The options as the top-level parser takes them: unset means ``None`` (the config's own default)."""
    _add(parser, None, STORE_HELP)


def command_options(store_help: str = STORE_HELP) -> argparse.ArgumentParser:
    """A parent parser giving a command the global options; ``store_help``: what ``--store`` means there."""
    parent = argparse.ArgumentParser(add_help=False)
    _add(parent, argparse.SUPPRESS, store_help)
    return parent


def _add(parser: argparse.ArgumentParser, default: object, store_help: str) -> None:
    group = parser.add_argument_group("options of every command")
    group.add_argument("--store", default=default, help=store_help)
    group.add_argument("--chroma-url", default=default,
                       help="use a Chroma server instead of the local store ($NEWSQA_CHROMA_URL)")
    group.add_argument("--model", default=default, help="packaged model name, a .gguf path, or 'none' ($NEWSQA_MODEL)")
    group.add_argument("--llm-url", default=default,
                       help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 ($NEWSQA_LLM_URL)")
    group.add_argument("--threads", type=int, default=default,
                       help="llama.cpp threads (default 0: all usable cores; $NEWSQA_N_THREADS)")
