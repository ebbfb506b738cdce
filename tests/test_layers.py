"""The packages' layers, read from the source with ``ast``: index < qa < ui, evals < bench.

``index`` knows nothing of the rest; ``qa`` (the library and its front door) knows nothing of its
extensions; ``ui`` and ``evals`` reach the pipeline only through ``qa``; ``bench`` may measure anything.
Imports inside functions count too.
"""
from __future__ import annotations

import ast

import pytest

from conftest import REPO

pytestmark = pytest.mark.fast

PACKAGES = ("index", "qa", "ui", "evals", "bench")
FORBIDDEN = {
    "index": {"qa", "ui", "evals", "bench"},
    "qa": {"ui", "evals", "bench"},
    "ui": {"index", "evals", "bench"},
    "evals": {"index", "ui", "bench"},
}


def imported_packages(source: str) -> list[tuple[int, str]]:
    """``(line, top-level package)`` of every absolute import in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def test_imports_respect_the_layers():
    crossings = []
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((REPO / package).rglob("*.py")):
            for line, imported in imported_packages(path.read_text(encoding="utf-8")):
                if imported in forbidden:
                    crossings.append(f"{path.relative_to(REPO)}:{line} imports {imported}")
    assert not crossings, "\n".join(crossings)


def test_the_reader_sees_every_kind_of_import():
    source = "import index.store\nfrom qa import Assistant\nfrom . import chat\ndef f():\n    from ui.app import serve\n"
    assert imported_packages(source) == [(1, "index"), (2, "qa"), (5, "ui")]
