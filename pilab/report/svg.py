"""One press's timeline drawn as inline SVG: each track a row on one time axis.

Every track is a ``<g class="track-KIND">`` (button, led, hardirq, tasklet,
work, thread) so a test or a stylesheet finds it; spans are labelled with
their duration in ms, line changes with their time.
"""

from __future__ import annotations

import math
from html import escape

from pilab.report.timeline import Timeline, end_us

WIDTH, LABEL_W, ROW_H, TOP, RIGHT = 1000, 190, 40, 26, 20
LABEL_GAP = 80  # px between two time labels on a line
COLOURS = {"button": "#1f77b4", "led": "#2ca02c", "hardirq": "#d62728", "tasklet": "#ff7f0e",
           "work": "#9467bd", "thread": "#8c564b"}


def track_kind(track_id: str) -> str:
    """"button" for button1/button2, else the track's id."""
    return "button" if track_id.startswith("button") else track_id


def _ms(us: float) -> str:
    return f"{us / 1000:.3f} ms"


def _axis(scale: float, end: float, height: int) -> list[str]:
    """Ticks every tenth of the span, labelled in ms."""
    step = end / 10
    digits = max(0, 2 - math.floor(math.log10(step / 1000))) if step > 0 else 1
    parts = [f'<g class="axis"><line x1="{LABEL_W}" y1="{TOP - 6}" x2="{WIDTH - RIGHT}" '
             f'y2="{TOP - 6}" stroke="#888"/>']
    for i in range(11):
        x = LABEL_W + i * step * scale
        parts.append(f'<line x1="{x:.1f}" y1="{TOP - 10}" x2="{x:.1f}" y2="{height}" '
                     'stroke="#eee"/>')
        parts.append(f'<text x="{x:.1f}" y="{TOP - 12}" font-size="10" text-anchor="middle">'
                     f'{i * step / 1000:.{digits}f}</text>')
    parts.append(f'<text x="{LABEL_W - 8}" y="{TOP - 12}" font-size="10" '
                 'text-anchor="end">ms</text></g>')
    return parts


def _line(points: list[list[float]], x0: float, scale: float, y: float, end: float,
          colour: str) -> list[str]:
    """A step waveform: high is the top of the row, low its bottom."""
    high, low = y + 6, y + ROW_H - 8
    level = 1 - int(points[0][1]) if points else 0
    path = [f"{x0:.1f},{low if level == 0 else high}"]
    labels = []
    labelled: float = -LABEL_GAP
    for time, value in points:
        x = x0 + time * scale
        path.append(f"{x:.1f},{low if level == 0 else high}")
        level = int(value)
        path.append(f"{x:.1f},{low if level == 0 else high}")
        if x - labelled < LABEL_GAP:
            continue  # too close to the last label to read: the waveform shows it
        labelled = x
        labels.append(f'<text x="{x + 2:.1f}" y="{high - 1 if level else low + 7}" '
                      f'font-size="9">{level}@{_ms(time)}</text>')
    path.append(f"{x0 + end * scale:.1f},{low if level == 0 else high}")
    return [f'<polyline class="level" points="{" ".join(path)}" fill="none" '
            f'stroke="{colour}" stroke-width="2"/>', *labels]


def _spans(spans: list[list[object]], x0: float, scale: float, y: float, end: float,
           colour: str) -> list[str]:
    parts = []
    labelled: float = -LABEL_GAP
    for start, stop, name in spans:
        begin = float(start)  # type: ignore[arg-type]
        finish = end if stop is None else float(stop)  # type: ignore[arg-type]
        x, w = x0 + begin * scale, max((finish - begin) * scale, 2.0)
        took = "still running" if stop is None else _ms(finish - begin)
        parts.append(f'<rect class="span" x="{x:.1f}" y="{y + 8}" width="{w:.1f}" '
                     f'height="{ROW_H - 16}" fill="{colour}">'
                     f'<title>{escape(str(name))}: {took}</title></rect>')
        if x - labelled >= LABEL_GAP:  # else the span's tooltip tells
            labelled = x
            parts.append(f'<text class="duration" x="{x + 2:.1f}" y="{y + 6}" font-size="10">'
                         f'{took}</text>')
    return parts


def timeline_svg(timeline: Timeline, svg_id: str) -> str:
    """The SVG of *timeline*, with id *svg_id* (tracks get ids ``<svg_id>-<track>``)."""
    tracks = timeline["tracks"]
    end = end_us(timeline) * 1.08
    scale = (WIDTH - LABEL_W - RIGHT) / end
    height = TOP + ROW_H * len(tracks) + 6
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(svg_id)}" class="timeline" '
             f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
             'font-family="sans-serif">',
             f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#fff"/>',
             *_axis(scale, end, height)]
    for row, track in enumerate(tracks):
        kind = track_kind(track["id"])
        colour = COLOURS.get(kind, "#555")
        y = TOP + row * ROW_H
        parts.append(f'<g class="track-{kind}" id="{escape(svg_id)}-{escape(track["id"])}">')
        parts.append(f'<text x="6" y="{y + ROW_H / 2 + 4}" font-size="12">'
                     f'{escape(track["label"])}</text>')
        if track["kind"] == "line":
            parts += _line(track["changes"], LABEL_W, scale, y, end, colour)
        else:
            parts += _spans(track["spans"], LABEL_W, scale, y, end, colour)
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)
