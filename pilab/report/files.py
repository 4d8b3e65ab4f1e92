"""``pilab run --report DIR``: write index.html, a VCD per lab and trace.json into DIR."""

from __future__ import annotations

from pathlib import Path

from pilab.errors import ConfigError
from pilab.report.html import report_html, slug
from pilab.report.perfetto import write_perfetto
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
    write_perfetto(results, directory / TRACE_FILE)
    files["trace"] = TRACE_FILE
    index = directory / "index.html"
    index.write_text(report_html(results, files))
    return index
