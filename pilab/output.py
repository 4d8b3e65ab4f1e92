"""Lab results for people (a table), for programs (JSON) and for CI (JUnit XML)."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from pilab.steps import FAILED, PASSED, SKIPPED, LabResult


def finite(value: Any) -> Any:
    """*value* with every NaN or infinity replaced by None: JSON has neither."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """Strict JSON (never a bare NaN), indented for reading."""
    return json.dumps(finite(value), indent=2, allow_nan=False)


def render_json(results: list[LabResult]) -> str:
    return to_json([r.to_dict() for r in results])


def render_table(results: list[LabResult]) -> str:
    """A readable summary table, one row per lab and one per step."""
    rows = [("lab", "board", "status", "step / reason")]
    for res in results:
        board = res.board + (f" ({res.emulated_by})" if res.emulated_by else "")
        rows.append((res.name, board, res.status.upper(), res.reason))
        for step in res.steps:
            text = step.name + (f": {step.reason}" if step.reason else "")
            rows.append(("", "", f"  {step.status.upper()}", text))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]
        for row in rows
    ]
    lines.insert(1, "-" * max(len(line) for line in lines))
    passed = sum(r.status == PASSED for r in results)
    lines.append(f"{passed} of {len(results)} labs passed")
    return "\n".join(line.rstrip() for line in lines)


def _case(suite: ET.Element, lab: str, name: str, status: str, reason: str, text: str,
          seconds: float = 0.0) -> None:
    """One testcase: failed with *reason* as its message, skipped, or passed."""
    case = ET.SubElement(suite, "testcase", classname=f"pilab.{lab}", name=name,
                         time=f"{seconds:.3f}")
    if status == FAILED:
        ET.SubElement(case, "failure", message=reason, type="failure").text = text or reason
    elif status == SKIPPED:
        ET.SubElement(case, "skipped", message=reason)


def junit_xml(results: list[LabResult]) -> str:
    """JUnit XML: a lab is a testsuite, a step a testcase, a failure's reason its message."""
    suites = ET.Element("testsuites", name="pilab")
    for res in results:
        suite = ET.SubElement(suites, "testsuite", name=res.name, hostname=res.board)
        for step in res.steps:
            _case(suite, res.name, step.name, step.status, step.reason, step.traceback,
                  step.seconds)
        statuses = [step.status for step in res.steps]
        if not res.steps or (res.status != PASSED and FAILED not in statuses):
            # The lab failed or was skipped outside any step: one case says why.
            _case(suite, res.name, "lab", res.status, res.reason, res.traceback)
            statuses.append(res.status)
        suite.set("tests", str(len(statuses)))
        suite.set("failures", str(statuses.count(FAILED)))
        suite.set("errors", "0")
        suite.set("skipped", str(statuses.count(SKIPPED)))
        suite.set("time", f"{sum(step.seconds for step in res.steps):.3f}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode")


def write_junit(results: list[LabResult], path: Path) -> None:
    path.write_text(junit_xml(results) + "\n")
