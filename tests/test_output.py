"""JSON and JUnit output, read back by independent readers."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from junitparser import Failure, JUnitXml

from pilab.output import junit_xml, render_json
from pilab.steps import FAILED, PASSED, SKIPPED, LabResult, Step


def _results() -> list[LabResult]:
    return [
        LabResult("intrpt", "pi", PASSED, steps=[Step("load", seconds=0.5),
                                                 Step("press", seconds=0.25)],
                  emulated_by="vm"),
        LabResult("bottomhalf", "mock", FAILED, steps=[
            Step("load"), Step("tasklet", FAILED, "the LED stayed low", 1.0,
                                {"period_ms": math.nan})]),
        LabResult("kbleds", "mock", SKIPPED, "needs a real kernel"),
        LabResult("vkbd", "vm", FAILED, "the VM ended before this lab gave a result"),
    ]


def test_json_is_strict_even_with_nan() -> None:
    text = render_json(_results())
    data = json.loads(text, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
    assert data[1]["steps"][1]["details"] == {"period_ms": None}
    assert data[0]["emulated_by"] == "vm"


def test_junit_read_back_by_junitparser(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(junit_xml(_results()))
    suites = {suite.name: suite for suite in JUnitXml.fromfile(str(path))}
    assert list(suites) == ["intrpt", "bottomhalf", "kbleds", "vkbd"]
    assert (suites["intrpt"].tests, suites["intrpt"].failures) == (2, 0)
    assert (suites["bottomhalf"].tests, suites["bottomhalf"].failures) == (2, 1)
    failed = [case for case in suites["bottomhalf"] if not case.is_passed]
    assert [case.name for case in failed] == ["tasklet"]
    failure = failed[0].result[0]
    assert isinstance(failure, Failure) and failure.message == "the LED stayed low"
    assert (suites["kbleds"].tests, suites["kbleds"].skipped) == (1, 1)
    assert (suites["vkbd"].tests, suites["vkbd"].failures) == (1, 1)


def _pilab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pilab", *args], capture_output=True,
                          text=True, check=False)


def test_cli_writes_junit_for_a_mock_run(tmp_path: Path) -> None:
    path = tmp_path / "out.xml"
    proc = _pilab("run", "all", "--board", "mock", "--junit-xml", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    suites = list(JUnitXml.fromfile(str(path)))
    assert [s.name for s in suites] == ["intrpt", "bottomhalf", "bh_thread", "gpio_keys"]
    assert all(s.failures == 0 and s.tests > 2 for s in suites)


def test_list_and_doctor_speak_json() -> None:
    labs = json.loads(_pilab("list", "--json").stdout)
    assert [lab["name"] for lab in labs] == ["intrpt", "bottomhalf", "bh_thread", "vkbd",
                                               "kbleds", "latency", "gpio_keys"]
    doctor = _pilab("doctor", "--json")
    report = json.loads(doctor.stdout)
    assert {"board", "kernel", "checks"} <= set(report)
    assert all({"name", "ok", "detail"} <= set(c) for c in report["checks"])


def test_unknown_lab_is_a_usage_error() -> None:
    proc = _pilab("run", "nosuchlab", "--board", "mock")
    assert proc.returncode == 2 and "no lab 'nosuchlab'" in proc.stderr
