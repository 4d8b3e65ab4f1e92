"""pilab grade --repeat: a check whose verdict changes between runs is unstable, shown as
such everywhere, and scores nothing; a check that could not run is no verdict."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

from pilab.check.formats import render
from pilab.check.host import CheckRun, check_names
from pilab.check.repeat import merge, unstable
from pilab.check.report import as_dict, grade_csv, grade_table, junit_xml
from pilab.check.suite import NOT_RUN, UNSTABLE, CheckResult, failed, not_run, score

NAMES = check_names("intrpt")
CYCLES = NAMES[-1]


def a_run(changed: dict[str, CheckResult] | None = None, boots: int = 1) -> CheckRun:
    results = [(changed or {}).get(name, CheckResult(name)) for name in NAMES]
    return CheckRun("intrpt", ["/subs/alice"], "6.1.0-57-amd64", "vm", results, boots=boots,
                    finished=True)


def flaky() -> list[CheckRun]:
    slow = failed(CYCLES, "cycle 7: the LED stayed off", "a bottom half outlived the unload",
                  ["BUG: unable to handle page fault"])
    return [a_run(), a_run({CYCLES: slow}, boots=2), a_run()]


def test_the_same_verdicts_are_one_run() -> None:
    runs = [a_run(), a_run(boots=3), a_run()]
    merged = merge(runs)
    assert [r.status for r in merged.results] == ["passed"] * len(NAMES)
    assert merged.boots == 3 and unstable(merged) == []
    assert merge([runs[0]]) is runs[0]


def test_a_verdict_that_changes_is_unstable_and_not_awarded() -> None:
    merged = merge(flaky())
    cycles = merged.results[-1]
    assert cycles.status == UNSTABLE and unstable(merged) == [CYCLES]
    assert cycles.reason == ("not the same verdict in 3 runs: run 1: passed; run 2: failed "
                             "(cycle 7: the LED stayed off); run 3: passed")
    assert cycles.log == ["BUG: unable to handle page fault"], "the failing run's kernel words"
    assert score(merged.results) == (len(NAMES) - 1, len(NAMES))
    assert merged.why_not_graded == "", "unstable is a grade, flagged"


def test_unstable_is_shown_in_every_output() -> None:
    merged = merge(flaky())
    table = grade_table([merged], ["alice"])
    assert "UNSTABLE" in table.splitlines()[1]
    assert f"alice: {CYCLES}: not the same verdict in 3 runs" in table
    row = next(csv.DictReader(io.StringIO(grade_csv([merged], ["alice"]))))
    assert row[CYCLES] == "unstable" and row["passed"] == str(len(NAMES) - 1)
    data = as_dict(merged)
    assert data["unstable"] == [CYCLES] and data["checks"][-1]["status"] == "unstable"
    case = ET.fromstring(junit_xml([merged])).findall("testsuite/testcase")[-1]
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "unstable"
    scope = json.loads(render(merged, "gradescope"))
    assert scope["tests"][-1]["status"] == "failed" and scope["tests"][-1]["score"] == 0
    assert scope["tests"][-1]["output"].startswith("UNSTABLE: not the same verdict")


def test_a_check_that_could_not_run_is_no_verdict() -> None:
    """The VM lost in one run: the submission is not graded, the check not unstable."""
    lost = not_run(CYCLES, "the VM gave no result (exit code 255)")
    merged = merge([a_run(), a_run({CYCLES: lost}), a_run()])
    assert merged.results[-1].status == NOT_RUN and unstable(merged) == []
    assert merged.why_not_graded == "the VM gave no result (exit code 255)"
