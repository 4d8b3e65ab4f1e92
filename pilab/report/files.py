"""``pilab run --report DIR``: write index.html, a VCD per lab and trace.json into DIR."""

from __future__ import annotations

from pathlib import Path

from pilab.errors import ConfigError
from pilab.report.html import report_html, slug
from pilab.report.latency_svg import lab_latency, latency_svg
from pilab.report.perfetto import write_perfetto
from pilab.report.svg import timeline_svg
from pilab.report.timeline import lab_timelines
from pilab.report.vcd import write_vcd
from pilab.steps import LabResult

TRACE_FILE = "trace.json"


def write_report(results: list[LabResult], directory: Path) -> Path:
    """Write the report of *results* into *directory* (made if missing); its index.html."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot make the report directory {directory}: {exc}") from None
    files = {}
    for result in results:
        name = f"{slug(result.name)}.vcd"
        if write_vcd(result, directory / name):
            files[result.name] = name
        write_pictures(result, directory)
    write_perfetto(results, directory / TRACE_FILE)
    files["trace"] = TRACE_FILE
    index = directory / "index.html"
    index.write_text(report_html(results, files))
    return index


def write_pictures(result: LabResult, directory: Path) -> list[Path]:
    """Each press's timeline as ``<lab>-<step>.svg``, and the latency plot, on their own
    (a handout or a slide takes them as they are); the files written."""
    written = []
    for index, (_, timeline) in enumerate(lab_timelines(result), 1):
        path = directory / f"{slug(result.name)}-press-{index}.svg"
        path.write_text(timeline_svg(timeline, path.stem))
        written.append(path)
    samples = lab_latency(result.steps)
    if samples:
        path = directory / f"{slug(result.name)}-{slug(result.board)}.svg"
        path.write_text(latency_svg(samples, "vm" in (result.board, result.emulated_by),
                                    path.stem))
        written.append(path)
    return written
