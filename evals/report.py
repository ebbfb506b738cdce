"""Figures and their presentation: rates, latency statistics, Markdown report, stdout table."""
from __future__ import annotations

import statistics
from collections.abc import Iterable
from pathlib import Path

from .plots import curve_svg, histogram_svg


def rate(flags: Iterable[bool | None]) -> dict:
    """Share of true flags among those that apply (None = does not apply)."""
    known = [f for f in flags if f is not None]
    return {"value": sum(known) / len(known) if known else None, "hits": sum(known), "n": len(known)}


def mean(values: Iterable[float | None]) -> dict:
    known = [v for v in values if v is not None]
    return {"value": statistics.fmean(known) if known else None, "n": len(known)}


def latency(seconds: list[float]) -> dict:
    if not seconds:
        return {"n": 0}
    ordered = sorted(seconds)
    return {"n": len(ordered), "mean": statistics.fmean(ordered), "median": statistics.median(ordered),
            "p90": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
            "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], "max": ordered[-1],
            "total": sum(ordered)}


def hit_curve(ranks: list[int | None], kmax: int) -> list[float]:
    """Share of items whose first hit is at rank <= k (1-based), for k = 1..kmax."""
    return [sum(r is not None and r <= k for r in ranks) / len(ranks) if ranks else 0.0 for k in range(1, kmax + 1)]


def fmt(figure: dict) -> str:
    """A rate as "72.2% (13/18)", a mean as "0.83 (n=12)", "n/a" when nothing applied."""
    if figure.get("value") is None:
        return "n/a"
    if "hits" in figure:
        return f"{figure['value']:.1%} ({figure['hits']}/{figure['n']})"
    return f"{figure['value']:.2f} (n={figure['n']})"


def fmt_latency(lat: dict) -> str:
    if not lat["n"]:
        return "n/a"
    return f"mean {lat['mean']:.2f}s, median {lat['median']:.2f}s, p90 {lat['p90']:.2f}s, max {lat['max']:.2f}s"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows]) + "\n"


def text_table(rows: list[tuple[str, str]]) -> str:
    width = max((len(k) for k, _ in rows), default=0)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def write_plots(run: Path, curves: dict[str, list[float]], curve_title: str, seconds: list[float]) -> list[str]:
    """The k-curve and latency histogram as SVG files in ``run``; returns their file names."""
    (run / "recall_at_k.svg").write_text(curve_svg(curves, curve_title, "k (passages)", "share of questions"))
    (run / "latency.svg").write_text(histogram_svg(seconds, "Answer latency", "seconds per question"))
    return ["recall_at_k.svg", "latency.svg"]


def write_report(run: Path, title: str, sections: list[str], plots: list[str]) -> Path:
    body = [f"# {title}\n"] + sections + ["## Plots\n"] + [f"![{p}]({p})\n" for p in plots]
    path = run / "report.md"
    path.write_text("\n".join(body), encoding="utf-8")
    return path
