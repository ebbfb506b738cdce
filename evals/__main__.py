"""``python -m evals qa FILE`` is ``newsqa eval qa FILE``."""
import sys

from qa.cli import main

sys.exit(main(["eval", *sys.argv[1:]]))
