"""pilab check output: a line per check, `Total: N/M` last; JSON, JUnit; grade tables."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from typing import Any

from pilab.check.host import CheckRun, check_names
from pilab.check.suite import MARKS, NOT_RUN, UNSTABLE, CheckResult, score
from pilab.output import to_json
from pilab.steps import FAILED, SKIPPED

NOT_GRADED = "not graded"


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
    why = run.why_not_graded
    if why:
        lines.append(f"Not graded: {why}")
    passed, total = score(run.results)
    lines.append(f"Total: {passed}/{total}")
    return "\n".join(lines)


def as_dict(run: CheckRun) -> dict[str, Any]:
    """pilab check --json; a run that is not graded has no score (null), never a zero."""
    passed, total = score(run.results)
    why = run.why_not_graded
    return {
        "lab": run.lab, "sources": run.sources, "kernel": run.kernel, "board": run.board,
        "ignored": run.ignored, "boots": run.boots,
        "checks": [{"name": r.name, "status": r.status, "reason": r.reason, "hint": r.hint,
                    "log": r.log, "details": r.details} for r in run.results],
        "score": None if why else {"passed": passed, "total": total},
        "not_graded": why or None,
        "unstable": [r.name for r in run.results if r.status == UNSTABLE],
    }


def render_json(run: CheckRun) -> str:
    return to_json(as_dict(run))


def junit_xml(runs: list[CheckRun]) -> str:
    """A submission is a testsuite, a check a testcase."""
    suites = ET.Element("testsuites", name="pilab check")
    for run in runs:
        why = run.why_not_graded
        passed, total = score(run.results)
        suite = ET.SubElement(suites, "testsuite", name=f"{run.lab}: {', '.join(run.sources)}",
                              tests=str(len(run.results)),
                              failures="0" if why else str(total - passed), errors="0",
                              skipped=str(len(run.results) if why else
                                          sum(r.status in (SKIPPED, NOT_RUN)
                                              for r in run.results)))
        if why:
            properties = ET.SubElement(suite, "properties")
            ET.SubElement(properties, "property", name=NOT_GRADED.replace(" ", "_"), value=why)
        for result in run.results:
            case = ET.SubElement(suite, "testcase", classname=f"pilab.check.{run.lab}",
                                 name=result.name, time=f"{result.seconds:.3f}")
            _verdict(case, result, why)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode")


def _verdict(case: ET.Element, result: CheckResult, not_graded: str) -> None:
    """A testcase's outcome: a submission not graded has every check skipped, saying why
    (and what the check had said, if it ran); an unstable check is a failure of its own type."""
    if not_graded:
        skipped = ET.SubElement(case, "skipped", message=f"{NOT_GRADED}: {not_graded}")
        if result.status != NOT_RUN:
            skipped.text = f"this check had ended before: {result.status}: {result.reason}"
    elif result.status in (FAILED, UNSTABLE):
        failure = ET.SubElement(case, "failure", message=result.reason,
                                type="check" if result.status == FAILED else UNSTABLE)
        failure.text = "\n".join([*(["hint: " + result.hint] if result.hint else []),
                                  *result.log]) or result.reason
    elif result.status in (SKIPPED, NOT_RUN):
        ET.SubElement(case, "skipped", message=result.reason)


def _statuses(run: CheckRun, checks: list[str]) -> list[str]:
    """*run*'s status for each of *checks* ('' for one it has no result for)."""
    by_name = {r.name: r.status for r in run.results}
    return [by_name.get(name, "") for name in checks]


def _check_names(runs: list[CheckRun]) -> list[str]:
    """The columns: every check of the lab, whatever each run got to."""
    return check_names(runs[0].lab) if runs else []


def grade_table(runs: list[CheckRun], names: list[str]) -> str:
    """A row per submission, a column per check, and the total ('not graded' where there is
    none); then why each such submission is not graded, and each unstable check."""
    checks = _check_names(runs)
    header = ["submission", *[f"c{i}" for i in range(1, len(checks) + 1)], "total"]
    rows = [header]
    notes = []
    for name, run in zip(names, runs, strict=True):
        marks = [MARKS.get(status, "-") for status in _statuses(run, checks)]
        passed, total = score(run.results)
        why = run.why_not_graded
        rows.append([name, *marks, NOT_GRADED if why else f"{passed}/{total}"])
        if why:
            notes.append(f"  {name}: {NOT_GRADED}: {why}")
        notes += [f"  {name}: {r.name}: {r.reason}" for r in run.results
                  if r.status == UNSTABLE]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    text = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
            for row in rows]
    legend = [f"  c{i}: {name}" for i, name in enumerate(checks, 1)]
    return "\n".join([*text, "checks:", *legend, *(["notes:", *notes] if notes else [])])


def grade_csv(runs: list[CheckRun], names: list[str]) -> str:
    """A row per submission: each check's status, why it is not graded (reason, empty for a
    grade), then passed and total (both empty when not graded: never a zero)."""
    out = io.StringIO()
    writer = csv.writer(out)
    checks = _check_names(runs)
    writer.writerow(["submission", *checks, "reason", "passed", "total"])
    for name, run in zip(names, runs, strict=True):
        passed, total = score(run.results)
        why = run.why_not_graded
        writer.writerow([name, *_statuses(run, checks), why,
                         *(["", ""] if why else [passed, total])])
    return out.getvalue()
