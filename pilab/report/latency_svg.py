"""The latency lab's plot: each path's presses as dots on one logarithmic µs axis.

Every path is a ``<g class="latency-path" data-path="...">`` row with a dot
per press, its p50 as a bar and p50/p99/max written beside it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

from pilab.labs.latency.stats import percentile
from pilab.steps import Step

WIDTH, LABEL_W, ROW_H, TOP, RIGHT, BOTTOM = 1000, 120, 44, 48, 230, 30
TCG_NOTE = ("vm board: QEMU emulates the CPU (TCG), so these times are not a Pi's. "
            "Compare the paths, not the numbers.")


def _x(us: float, low: float, high: float) -> float:
    span = math.log10(high) - math.log10(low)
    return LABEL_W + (math.log10(max(us, low)) - math.log10(low)) / span * (WIDTH - LABEL_W
                                                                          - RIGHT)


def latency_svg(samples: Mapping[str, Sequence[float]], emulated: bool,
                svg_id: str = "latency") -> str:
    """*samples*: µs per press, by path, in the order to draw them."""
    values = [v for row in samples.values() for v in row if v > 0]
    if not values:
        return ""
    low = 10 ** math.floor(math.log10(min(values)))
    high = 10 ** math.ceil(math.log10(max(values)))
    high = high * 10 if high <= low else high
    height = TOP + ROW_H * len(samples) + BOTTOM
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(svg_id)}" class="latency" '
             f'width="{WIDTH}" height="{height}" font-family="sans-serif">',
             f'<text x="{LABEL_W}" y="16" font-size="13">button edge to LED write, per press '
             "(µs, log scale)</text>"]
    if emulated:
        parts.append(f'<text class="tcg-note" x="{LABEL_W}" y="34" font-size="12" '
                     f'fill="#b22">{escape(TCG_NOTE)}</text>')
    decade = low
    while decade <= high:
        x = _x(decade, low, high)
        parts.append(f'<line x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{height - BOTTOM}" '
                     'stroke="#e4e4e4"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - BOTTOM + 14}" font-size="10" '
                     f'text-anchor="middle">{decade:g}</text>')
        decade *= 10
    for index, (path, row) in enumerate(samples.items()):
        y = TOP + index * ROW_H + ROW_H / 2
        parts.append(f'<g class="latency-path" data-path="{escape(path)}">')
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + 4:.1f}" font-size="12" '
                     f'text-anchor="end">{escape(path)}</text>')
        for us in row:
            parts.append(f'<circle cx="{_x(us, low, high):.1f}" cy="{y:.1f}" r="3" '
                         'fill="#1f77b4" fill-opacity="0.5"/>')
        if row:
            p50, p99, top = percentile(row, 50), percentile(row, 99), max(row)
            x50 = _x(p50, low, high)
            parts.append(f'<line class="p50" x1="{x50:.1f}" y1="{y - 12:.1f}" x2="{x50:.1f}" '
                         f'y2="{y + 12:.1f}" stroke="#d62728" stroke-width="3"/>')
            parts.append(f'<text x="{WIDTH - RIGHT + 10}" y="{y + 4:.1f}" font-size="11">'
                         f"p50 {p50:.0f}, p99 {p99:.0f}, max {top:.0f} µs</text>")
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)


def lab_latency(steps: Sequence[Step]) -> dict[str, list[float]]:
    """Each path's µs per press, from the latency lab's step details."""
    return {str(step.details["path"]): list(step.details["latency_us"]) for step in steps
            if "path" in step.details and isinstance(step.details.get("latency_us"), list)}
