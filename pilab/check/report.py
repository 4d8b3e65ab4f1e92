"""pilab check output: a line per check, `Total: N/M` last; JSON, JUnit; grade tables."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from typing import Any

from pilab.check.host import CheckRun
from pilab.check.suite import NOT_RUN, score
from pilab.output import to_json
from pilab.steps import FAILED, SKIPPED

MARKS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "not run": "NOT RUN"}


def render_text(run: CheckRun) -> str:
    """For a person: the checks, then the kernel log of each failure, ``Total`` last."""
    lines = [f"pilab check {run.lab}: {', '.join(run.sources)} on the {run.board} board, "
             f"kernel {run.kernel}"]
    for result in run.results:
        reason = result.reason.replace("\n", "\n        ")
        lines.append(f"  {MARKS[result.status]}  {result.name}" + (f": {reason}" if reason else ""))
        if result.status == FAILED:
            lines += [f"        {detail}" for detail in result.details if "FAIL" in detail]
            if result.hint:
                lines.append(f"        hint: {result.hint}")
    logs = [r for r in run.results if r.status == FAILED and r.log]
    for result in logs:
        lines.append(f"kernel log, {result.name}:")
        lines += [f"  {line}" for line in result.log]
    passed, total = score(run.results)
    lines.append(f"Total: {passed}/{total}")
    return "\n".join(lines)


def as_dict(run: CheckRun) -> dict[str, Any]:
    passed, total = score(run.results)
    return {
        "lab": run.lab, "sources": run.sources, "kernel": run.kernel, "board": run.board,
        "ignored": run.ignored, "boots": run.boots,
        "checks": [{"name": r.name, "status": r.status, "reason": r.reason, "hint": r.hint,
                    "log": r.log, "details": r.details} for r in run.results],
        "score": {"passed": passed, "total": total},
    }


def render_json(run: CheckRun) -> str:
    return to_json(as_dict(run))


def junit_xml(runs: list[CheckRun]) -> str:
    """A submission is a testsuite, a check a testcase."""
    suites = ET.Element("testsuites", name="pilab check")
    for run in runs:
        passed, total = score(run.results)
        suite = ET.SubElement(suites, "testsuite", name=f"{run.lab}: {', '.join(run.sources)}",
                              tests=str(len(run.results)),
                              failures=str(total - passed), errors="0",
                              skipped=str(sum(r.status in (SKIPPED, NOT_RUN)
                                              for r in run.results)))
        for result in run.results:
            case = ET.SubElement(suite, "testcase", classname=f"pilab.check.{run.lab}",
                                 name=result.name, time=f"{result.seconds:.3f}")
            if result.status == FAILED:
                failure = ET.SubElement(case, "failure", message=result.reason, type="check")
                failure.text = "\n".join([*(["hint: " + result.hint] if result.hint else []),
                                          *result.log]) or result.reason
            elif result.status in (SKIPPED, NOT_RUN):
                ET.SubElement(case, "skipped", message=result.reason)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode")


def grade_table(runs: list[CheckRun], names: list[str]) -> str:
    """A row per submission, a column per check, and the total."""
    checks = [r.name for r in runs[0].results] if runs else []
    header = ["submission", *[f"c{i}" for i in range(1, len(checks) + 1)], "total"]
    rows = [header]
    for name, run in zip(names, runs, strict=True):
        marks = [MARKS[r.status] for r in run.results]
        passed, total = score(run.results)
        rows.append([name, *marks, f"{passed}/{total}"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    text = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
            for row in rows]
    legend = [f"  c{i}: {name}" for i, name in enumerate(checks, 1)]
    return "\n".join([*text, "checks:", *legend])


def grade_csv(runs: list[CheckRun], names: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    checks = [r.name for r in runs[0].results] if runs else []
    writer.writerow(["submission", *checks, "passed", "total"])
    for name, run in zip(names, runs, strict=True):
        passed, total = score(run.results)
        writer.writerow([name, *[r.status for r in run.results], passed, total])
    return out.getvalue()
