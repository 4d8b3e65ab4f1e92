"""The report's index.html: each lab's step table and, per press, its timeline SVG."""

from __future__ import annotations

import re
from html import escape

from pilab.report.latency_svg import lab_latency, latency_svg
from pilab.report.svg import timeline_svg
from pilab.report.timeline import timelines
from pilab.steps import FAILED, PASSED, LabResult

STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1em; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
.passed { background: #e6f4e6; } .failed { background: #fbe3e3; } .skipped { background: #f3f3f3; }
svg.timeline { border: 1px solid #ddd; margin: 0.3em 0 1.2em; }
pre { white-space: pre-wrap; margin: 0; }
"""


def slug(text: str) -> str:
    """*text* as an id: lowercase letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _lab(result: LabResult, files: dict[str, str]) -> list[str]:
    board = result.board + (f" ({result.emulated_by})" if result.emulated_by else "")
    parts = [f'<section id="lab-{slug(result.name)}">',
             f"<h2>{escape(result.name)} on {escape(board)}: "
             f'<span class="{result.status}">{result.status.upper()}</span></h2>']
    if result.reason:
        parts.append(f"<p>{escape(result.reason)}</p>")
    if result.name in files:
        parts.append(f'<p>GPIO lines as VCD: <a href="{escape(files[result.name])}">'
                     f"{escape(files[result.name])}</a></p>")
    parts.append("<table><tr><th>step</th><th>status</th><th>seconds</th><th>reason</th></tr>")
    for step in result.steps:
        parts.append(f'<tr class="{step.status}"><td>{escape(step.name)}</td>'
                     f"<td>{step.status.upper()}</td><td>{step.seconds:.2f}</td>"
                     f"<td><pre>{escape(step.reason)}</pre></td></tr>")
    parts.append("</table>")
    for index, step in enumerate(result.steps, 1):
        for timeline in timelines(step.details):
            svg_id = f"timeline-{slug(result.name)}-{index}"
            parts.append(f"<h3>{escape(step.name)}</h3>")
            parts.append(timeline_svg(timeline, svg_id))
    samples = lab_latency(result.steps)
    if samples:
        emulated = "vm" in (result.board, result.emulated_by)
        parts.append("<h3>button edge to LED, per path</h3>")
        parts.append(latency_svg(samples, emulated, f"latency-{slug(result.name)}"))
    parts.append("</section>")
    return parts


def report_html(results: list[LabResult], files: dict[str, str]) -> str:
    """The page; *files* names each lab's VCD (by lab name) and the trace ("trace")."""
    passed = sum(r.status == PASSED for r in results)
    failed = sum(r.status == FAILED for r in results)
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8"/>',
             "<title>pilab report</title>", f"<style>{STYLE}</style></head><body>",
             "<h1>pilab report</h1>",
             f"<p>{passed} of {len(results)} labs passed, {failed} failed. Times on each "
             "timeline are from the press (the first button edge or hard IRQ entry), "
             "from the kernel's trace (the models' on the mock board).</p>"]
    if "trace" in files:
        parts.append(f'<p>Every press as a Perfetto/Chrome trace: <a href="{files["trace"]}">'
                     f'{files["trace"]}</a></p>')
    for result in results:
        parts += _lab(result, files)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
