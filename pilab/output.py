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


def junit_xml(results: list[LabResult]) -> str:
    """JUnit XML: a lab is a testsuite, a step a testcase, a failure's reason its message."""
    suites = ET.Element("testsuites", name="pilab")
    for res in results:
        suite = ET.SubElement(suites, "testsuite", name=res.name, hostname=res.board)
        tests = len(res.steps)
        failures = skipped = 0
        total = 0.0
        for step in res.steps:
            case = ET.SubElement(suite, "testcase", classname=f"pilab.{res.name}",
                                 name=step.name, time=f"{step.seconds:.3f}")
            total += step.seconds
            if step.status == FAILED:
                failures += 1
                failure = ET.SubElement(case, "failure", message=step.reason, type="StepFailed")
                failure.text = step.traceback or step.reason
            elif step.status == SKIPPED:
                skipped += 1
                ET.SubElement(case, "skipped", message=step.reason)
        if not res.steps or (res.status != PASSED and not failures):
            # The lab failed or was skipped outside any step: one case says why.
            case = ET.SubElement(suite, "testcase", classname=f"pilab.{res.name}", name="lab")
            if res.status == FAILED:
                failures += 1
                failure = ET.SubElement(case, "failure", message=res.reason, type="LabFailed")
                failure.text = res.traceback or res.reason
            elif res.status == SKIPPED:
                skipped += 1
                ET.SubElement(case, "skipped", message=res.reason)
            tests += 1
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", str(skipped))
        suite.set("time", f"{total:.3f}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode")


def write_junit(results: list[LabResult], path: Path) -> None:
    path.write_text(junit_xml(results) + "\n")
