"""Small self-contained SVG charts (no scripts, fonts or network assets)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 360, 200
_PAD_LEFT, _PAD_RIGHT, _PAD_TOP, _PAD_BOTTOM = 40, 10, 28, 36
_COLORS = ("#2f6db5", "#b8b8b8", "#c0392b", "#27ae60")


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _frame(title: str, body: list[str], desc: str) -> str:
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" font-family="sans-serif" font-size="10">',
            f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>",
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
            f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" font-size="12" '
            f'font-weight="bold">{escape(title)}</text>',
            *body,
            "</svg>",
        ]
    )


def histogram_svg(
    values: Sequence[float],
    title: str,
    *,
    bins: int = 10,
    lo: float | None = None,
    hi: float | None = None,
) -> str:
    """A histogram of the values (lo..hi defaults to their range; [0, 1] suits rates)."""
    numbers = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not numbers:
        return _frame(
            title,
            [f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">no values</text>'],
            "no values",
        )
    low = min(numbers) if lo is None else lo
    high = max(numbers) if hi is None else hi
    if high <= low:
        high = low + 1.0
    counts = [0] * bins
    for value in numbers:
        index = min(bins - 1, max(0, int((value - low) / (high - low) * bins)))
        counts[index] += 1
    top = max(counts)
    plot_w = WIDTH - _PAD_LEFT - _PAD_RIGHT
    plot_h = HEIGHT - _PAD_TOP - _PAD_BOTTOM
    bar_w = plot_w / bins
    base = _PAD_TOP + plot_h
    body = [
        f'<line x1="{_PAD_LEFT}" y1="{base}" x2="{WIDTH - _PAD_RIGHT}" y2="{base}" stroke="#333"/>',
        f'<line x1="{_PAD_LEFT}" y1="{_PAD_TOP}" x2="{_PAD_LEFT}" y2="{base}" stroke="#333"/>',
        f'<text x="{_PAD_LEFT - 4}" y="{_PAD_TOP + 4}" text-anchor="end">{top}</text>',
        f'<text x="{_PAD_LEFT - 4}" y="{base}" text-anchor="end">0</text>',
        f'<text x="{_PAD_LEFT}" y="{base + 14}" text-anchor="start">{_fmt(low)}</text>',
        f'<text x="{WIDTH - _PAD_RIGHT}" y="{base + 14}" text-anchor="end">{_fmt(high)}</text>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 6}" text-anchor="middle">'
        f"n = {len(numbers)}, mean = {_fmt(sum(numbers) / len(numbers))}</text>",
    ]
    for index, count in enumerate(counts):
        if not count:
            continue
        height = plot_h * count / top
        x = _PAD_LEFT + index * bar_w
        left, right = low + index * (high - low) / bins, low + (index + 1) * (high - low) / bins
        body.append(
            f'<rect x="{x + 1:.1f}" y="{base - height:.1f}" width="{bar_w - 2:.1f}" '
            f'height="{height:.1f}" fill="{_COLORS[0]}"><title>{_fmt(left)}–{_fmt(right)}: '
            f"{count}</title></rect>"
        )
    desc = f"histogram of {len(numbers)} values from {_fmt(low)} to {_fmt(high)}"
    return _frame(title, body, desc)


def grouped_bars_svg(
    categories: Sequence[str],
    series: dict[str, Sequence[float | None]],
    title: str,
    *,
    maximum: float = 1.0,
) -> str:
    """Bars per category, one per series (e.g. summary vs cluster share per side)."""
    plot_w = WIDTH - _PAD_LEFT - _PAD_RIGHT
    plot_h = HEIGHT - _PAD_TOP - _PAD_BOTTOM - 12
    base = _PAD_TOP + plot_h
    group_w = plot_w / max(len(categories), 1)
    bar_w = (group_w - 12) / max(len(series), 1)
    body = [
        f'<line x1="{_PAD_LEFT}" y1="{base}" x2="{WIDTH - _PAD_RIGHT}" y2="{base}" stroke="#333"/>',
        f'<text x="{_PAD_LEFT - 4}" y="{_PAD_TOP + 4}" text-anchor="end">{_fmt(maximum)}</text>',
        f'<text x="{_PAD_LEFT - 4}" y="{base}" text-anchor="end">0</text>',
    ]
    for g, category in enumerate(categories):
        x0 = _PAD_LEFT + g * group_w + 6
        body.append(
            f'<text x="{x0 + (group_w - 12) / 2:.1f}" y="{base + 12}" text-anchor="middle">'
            f"{escape(category)}</text>"
        )
        for s, (name, values) in enumerate(series.items()):
            value = values[g] if g < len(values) else None
            if value is None:
                continue
            height = plot_h * min(max(value / maximum, 0.0), 1.0)
            x = x0 + s * bar_w
            body.append(
                f'<rect x="{x:.1f}" y="{base - height:.1f}" width="{bar_w - 2:.1f}" '
                f'height="{height:.1f}" fill="{_COLORS[s % len(_COLORS)]}">'
                f"<title>{escape(name)} {escape(category)}: {_fmt(value)}</title></rect>"
            )
            body.append(
                f'<text x="{x + (bar_w - 2) / 2:.1f}" y="{base - height - 2:.1f}" '
                f'text-anchor="middle" font-size="9">{_fmt(value)}</text>'
            )
    legend_y = HEIGHT - 8
    for s, name in enumerate(series):
        x = _PAD_LEFT + s * 120
        body.append(
            f'<rect x="{x}" y="{legend_y - 8}" width="10" height="10" '
            f'fill="{_COLORS[s % len(_COLORS)]}"/>'
            f'<text x="{x + 14}" y="{legend_y}">{escape(name)}</text>'
        )
    return _frame(title, body, f"grouped bars: {', '.join(series)} by {', '.join(categories)}")
