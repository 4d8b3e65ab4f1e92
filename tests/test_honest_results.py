"""A crash is a FAIL, never a PASS, and it never stops the next lab."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pilab.cli import EXIT_FAILED, EXIT_USAGE, main
from pilab.labs.intrpt.lab import IntrptLab
from pilab.runner import run_labs
from pilab.steps import FAILED, PASSED, StepRecorder


def test_a_plain_exception_in_a_step_fails_it_and_the_next_lab_runs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(self: IntrptLab, board: object, steps: StepRecorder) -> None:
        with steps.step("press the button"):
            raise ValueError("boom")

    monkeypatch.setattr(IntrptLab, "run", crash)
    first, second = run_labs(["intrpt", "bottomhalf"], "mock", out=None)
    assert first.status == FAILED
    step = first.steps[-1]
    assert (step.name, step.status) == ("press the button", FAILED)
    assert step.reason == "crashed: ValueError: boom"
    assert "Traceback" in step.traceback and "ValueError: boom" in step.traceback
    assert second.status == PASSED, [(s.name, s.reason) for s in second.steps]


def test_a_crash_outside_any_step_fails_the_lab(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(self: IntrptLab, board: object, steps: StepRecorder) -> None:
        raise KeyError("no such pin")

    monkeypatch.setattr(IntrptLab, "run", crash)
    first, second = run_labs(["intrpt", "bh_thread"], "mock", out=None)
    assert (first.status, first.reason) == (FAILED, "crashed: KeyError: 'no such pin'")
    assert "KeyError" in first.traceback
    assert second.status == PASSED


def test_the_screen_shows_one_line_and_json_the_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def crash(self: IntrptLab, board: object, steps: StepRecorder) -> None:
        with steps.step("press the button"):
            raise ValueError("boom")

    monkeypatch.setattr(IntrptLab, "run", crash)
    assert main(["run", "intrpt", "--board", "mock"]) == EXIT_FAILED
    screen = capsys.readouterr().out
    assert "[FAIL] press the button" in screen and "crashed: ValueError: boom" in screen
    assert "Traceback" not in screen
    assert main(["run", "intrpt", "--board", "mock", "--json"]) == EXIT_FAILED
    data = json.loads(capsys.readouterr().out)
    assert "Traceback" in data[0]["steps"][-1]["traceback"]


def test_the_guest_writes_its_results_file_even_when_every_lab_fails(tmp_path: Path) -> None:
    """Off the VM the vm board cannot load vgpio: each lab fails, the file still says so."""
    out = tmp_path / "results.json"
    main(["_guest", "intrpt", "vkbd", "--json-out", str(out)])
    results = json.loads(out.read_text())
    assert [(r["name"], r["status"]) for r in results] == [("intrpt", FAILED), ("vkbd", FAILED)]
    assert all(r["reason"] for r in results)


def test_model_on_the_pi_board_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "intrpt", "--board", "pi", "--model", "pi5"]) == EXIT_USAGE
    assert "--model" in capsys.readouterr().err
