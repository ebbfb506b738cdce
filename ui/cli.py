"""``newsqa serve``, registered through the ``newsqa.commands`` entry point (Gradio loads only when it runs)."""
from __future__ import annotations

import argparse
import sys

from qa import Config
from qa.options import command_options


def register(subparsers: argparse._SubParsersAction) -> None:
    srv = subparsers.add_parser("serve", parents=[command_options()], help="open the chat UI in the browser")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=7860)
    srv.add_argument("--auth", metavar="USER:PASSWORD", help="require this login (needed off loopback)")
    srv.add_argument("--max-upload-mb", type=float, default=64, help="refuse larger uploads (default 64)")
    srv.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from qa import Assistant

    from .app import exposure_warning, serve

    if warning := exposure_warning(args.host, args.auth):
        print(warning, file=sys.stderr)
    serve(Assistant(config=config), args.host, args.port, auth=args.auth, max_upload_mb=args.max_upload_mb)
    return 0
