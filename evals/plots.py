"""Dependency-free SVG charts for the run reports: a curve over k and a histogram."""
from __future__ import annotations

from html import escape

_W, _H = 560, 320
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 34, 46
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


def _frame(title: str, xlabel: str, ylabel: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{_W}" height="{_H}" fill="white"/>',
        f'<text x="{_W / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>',
        f'<text x="{_W / 2}" y="{_H - 8}" text-anchor="middle">{escape(xlabel)}</text>',
        f'<text x="14" y="{_H / 2}" text-anchor="middle" transform="rotate(-90 14 {_H / 2})">{escape(ylabel)}</text>',
        f'<line x1="{_LEFT}" y1="{_H - _BOTTOM}" x2="{_W - _RIGHT}" y2="{_H - _BOTTOM}" stroke="black"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_H - _BOTTOM}" stroke="black"/>',
    ]


def _x(frac: float) -> float:
    return _LEFT + frac * (_W - _LEFT - _RIGHT)


def _y(frac: float) -> float:
    return _H - _BOTTOM - frac * (_H - _TOP - _BOTTOM)


def _y_ticks(top: float, fmt: str) -> list[str]:
    out = []
    for i in range(5):
        y = _y(i / 4)
        out.append(f'<line x1="{_LEFT - 4}" y1="{y}" x2="{_W - _RIGHT}" y2="{y}" stroke="#ddd"/>')
        out.append(f'<text x="{_LEFT - 6}" y="{y + 4}" text-anchor="end">{format(top * i / 4, fmt)}</text>')
    return out


def curve_svg(series: dict[str, list[float]], title: str, xlabel: str, ylabel: str) -> str:
    """Lines of values in [0, 1] at x = 1..n, one per named series, with a legend."""
    parts = _frame(title, xlabel, ylabel) + _y_ticks(1.0, ".0%")
    n = max((len(v) for v in series.values()), default=0)
    span = max(n - 1, 1)
    for k in range(1, n + 1):
        x = _x((k - 1) / span)
        parts.append(f'<text x="{x}" y="{_H - _BOTTOM + 16}" text-anchor="middle">{k}</text>')
    for i, (name, ys) in enumerate(series.items()):
        colour = _COLOURS[i % len(_COLOURS)]
        points = " ".join(f"{_x(j / span):.1f},{_y(v):.1f}" for j, v in enumerate(ys))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts += [f'<circle cx="{_x(j / span):.1f}" cy="{_y(v):.1f}" r="3" fill="{colour}"/>' for j, v in enumerate(ys)]
        ly = _H - _BOTTOM - 12 - 16 * (len(series) - 1 - i)  # lower right: the curves rise with k
        parts.append(f'<line x1="{_W - 200}" y1="{ly}" x2="{_W - 180}" y2="{ly}" stroke="{colour}" stroke-width="2"/>')
        parts.append(f'<text x="{_W - 174}" y="{ly + 4}">{escape(name)}</text>')
    return "\n".join(parts + ["</svg>"]) + "\n"


def histogram_svg(values: list[float], title: str, xlabel: str, bins: int = 20) -> str:
    """Counts of ``values`` in ``bins`` equal-width bins from 0 to their maximum."""
    parts = _frame(title, xlabel, "questions")
    top = max(values, default=0.0) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(int(v / top * bins), bins - 1)] += 1
    peak = -(-max(max(counts), 1) // 4) * 4  # a multiple of the 4 tick intervals: whole-number ticks
    parts += _y_ticks(peak, ".0f")
    for i, c in enumerate(counts):
        x0, x1 = _x(i / bins), _x((i + 1) / bins)
        parts.append(f'<rect x="{x0 + 1:.1f}" y="{_y(c / peak):.1f}" width="{x1 - x0 - 2:.1f}" '
                     f'height="{_y(0) - _y(c / peak):.1f}" fill="{_COLOURS[0]}"/>')
    for i in range(0, bins + 1, 5):
        parts.append(f'<text x="{_x(i / bins):.1f}" y="{_H - _BOTTOM + 16}" text-anchor="middle">'
                     f'{top * i / bins:.3g}</text>')
    return "\n".join(parts + ["</svg>"]) + "\n"
