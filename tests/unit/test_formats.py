"""pilab check --format: each platform's output, held to that platform's schema.

The runs are built here, as pilab check would leave them: one with a failed
check and the kernel's words, one whose module did not build, and weights.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
from platform_schemas import GRADESCOPE, PRAIRIELEARN

from pilab.check.formats import (
    full_marks,
    load_weights,
    render,
    write_atomically,
)
from pilab.check.host import CheckRun, check_names
from pilab.check.suite import CheckResult, failed
from pilab.cli import _parser
from pilab.errors import ConfigError
from pilab.labs import entry
from pilab.steps import SKIPPED

OOPS = ["BUG: kernel NULL pointer dereference, address: 0000000000000008",
        "RIP: 0010:button_isr+0x12/0x40 [intrpt]"]


def a_run(*results: CheckResult) -> CheckRun:
    return CheckRun("intrpt", ["/subs/alice"], "6.1.0-57-amd64", "vm", list(results))


@pytest.fixture
def mixed() -> CheckRun:
    """Built, interface right, the behaviour check failed with an Oops, one skipped."""
    names = [c.name for c in entry("intrpt").checks]
    results = [CheckResult("builds", reason="Kbuild written by pilab"), CheckResult("interface")]
    results.append(failed(names[0], "the LED stayed off after a press",
                          "is the LED line requested as an output?", OOPS))
    results += [CheckResult(name) for name in names[1:-1]]
    results.append(CheckResult(names[-1], SKIPPED, "not on this board"))
    return a_run(*results)


@pytest.fixture
def unbuilt() -> CheckRun:
    names = ["interface", *(c.name for c in entry("intrpt").checks)]
    return a_run(failed("builds", "the compiler said:\n    intrpt.c:3:12: error: expected "
                        "expression before ';' token"),
                 *[failed(name, "not run: the module did not build") for name in names])


def test_gradescope_is_a_test_per_check_with_the_kernels_words(mixed: CheckRun) -> None:
    out = json.loads(render(mixed, "gradescope"))
    jsonschema.validate(out, GRADESCOPE)
    tests = {t["name"]: t for t in out["tests"]}
    assert list(tests) == [r.name for r in mixed.results]
    broken = tests[mixed.results[2].name]
    assert (broken["status"], broken["score"], broken["max_score"]) == ("failed", 0, 1)
    assert "the LED stayed off" in broken["output"]
    assert "hint: is the LED line requested" in broken["output"]
    assert all(line in broken["output"] for line in OOPS)
    skipped = tests[mixed.results[-1].name]
    assert skipped["max_score"] == 0
    assert out["score"] == len(mixed.results) - 2  # the failure, and the skip is worth none


def test_prairielearn_scores_zero_to_one(mixed: CheckRun) -> None:
    out = json.loads(render(mixed, "prairielearn"))
    jsonschema.validate(out, PRAIRIELEARN)
    assert out["gradable"] is True
    possible = len(mixed.results) - 1
    assert out["score"] == pytest.approx((possible - 1) / possible)
    broken = out["tests"][2]
    assert "the LED stayed off" in broken["message"] and "hint:" in broken["message"]
    assert broken["output"] == "\n".join(OOPS)


def test_a_module_that_does_not_build(unbuilt: CheckRun) -> None:
    """Not gradable on PrairieLearn; elsewhere a zero-score 'builds' test. Both show the
    compiler's errors and the command that shows them on one's own machine."""
    learn = json.loads(render(unbuilt, "prairielearn"))
    jsonschema.validate(learn, PRAIRIELEARN)
    assert learn["gradable"] is False
    assert "expected expression" in learn["message"]
    assert "pilab check intrpt /subs/alice" in learn["message"]
    scope = json.loads(render(unbuilt, "gradescope"))
    jsonschema.validate(scope, GRADESCOPE)
    builds = scope["tests"][0]
    assert (builds["name"], builds["score"], builds["status"]) == ("builds", 0, "failed")
    assert "expected expression" in builds["output"]
    assert "pilab check intrpt /subs/alice" in builds["output"]
    assert scope["score"] == 0


def test_weights_set_each_checks_points(mixed: CheckRun, tmp_path: Path) -> None:
    failing = mixed.results[2].name
    file = tmp_path / "weights.toml"
    file.write_text(f'builds = 0\n"{failing}" = 5\ninterface = 2.5\n')
    weights = load_weights(file, check_names("intrpt"))
    assert weights == {"builds": 0.0, failing: 5.0, "interface": 2.5}
    scope = json.loads(render(mixed, "gradescope", weights))
    jsonschema.validate(scope, GRADESCOPE)
    others = len(mixed.results) - 4  # a point each; the skip none
    assert scope["score"] == 2.5 + others
    assert scope["tests"][2]["max_score"] == 5
    learn = json.loads(render(mixed, "prairielearn", weights))
    assert learn["score"] == pytest.approx((2.5 + others) / (2.5 + 5 + others))
    assert not full_marks(mixed, weights)
    zero = tmp_path / "zero.toml"
    zero.write_text(f'"{failing}" = 0\n')
    assert full_marks(mixed, load_weights(zero, check_names("intrpt")))


@pytest.mark.parametrize(("text", "said"), [
    ('behavior = 3\n', "no check named 'behavior'; the checks are: 'builds', 'interface'"),
    ('builds = -1\n', "points are a number of 0 or more"),
    ('builds = "many"\n', "points are a number of 0 or more"),
    ('builds = \n', "is not TOML"),
])
def test_a_bad_weights_file_is_a_clear_error(tmp_path: Path, text: str, said: str) -> None:
    file = tmp_path / "weights.toml"
    file.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(said)):
        load_weights(file, check_names("intrpt"))


def test_classroom_vmchecker_and_vpl_lines(mixed: CheckRun, tmp_path: Path) -> None:
    possible = len(mixed.results) - 1
    earned = possible - 1
    grade = round(100 * earned / possible)
    classroom = render(mixed, "classroom").splitlines()
    assert classroom[-1] == f"Total points: {earned}/{possible}"
    assert classroom[-2] == f"Total: {earned}/{possible}"  # pilab's own text above it

    vmck = render(mixed, "vmchecker").splitlines()
    assert vmck[0] == "<VMCK_NEXT_BEGIN>" and vmck[-1] == "<VMCK_NEXT_END>"
    assert vmck[-2] == f"Total: {grade}"
    assert sum(line.startswith("Total:") for line in vmck) == 1
    assert any(OOPS[0] in line for line in vmck)

    vpl = render(mixed, "vpl").splitlines()
    assert vpl[-1] == f"Grade :=>> {grade}"
    assert all(line.startswith("Comment :=>>") for line in vpl[:-1])
    assert f"Comment :=>>- {mixed.results[2].name} (0/1)" in vpl


def test_json_carries_the_points_and_json_is_an_alias(mixed: CheckRun) -> None:
    out = json.loads(render(mixed, "json"))
    assert out["kernel"] == "6.1.0-57-amd64"
    assert out["points"] == {"earned": len(mixed.results) - 2,
                             "possible": len(mixed.results) - 1}
    assert _parser().parse_args(["check", "intrpt", "--json"]).format == "json"
    assert _parser().parse_args(["check", "intrpt"]).format == "text"
    with pytest.raises(SystemExit):
        _parser().parse_args(["check", "intrpt", "--format", "moodle"])


def test_results_are_written_whole(tmp_path: Path, mixed: CheckRun) -> None:
    target = tmp_path / "results.json"
    target.write_text("{old")
    write_atomically(target, render(mixed, "gradescope"))
    jsonschema.validate(json.loads(target.read_text()), GRADESCOPE)
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_check_refuses_bad_weights_and_output_before_any_build(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]
                                                              ) -> None:
    from pilab.cli import main

    weights = tmp_path / "weights.toml"
    weights.write_text("behavior = 1\n")
    assert main(["check", "intrpt", "--board", "vm", "--weights", str(weights)]) == 2
    assert "pilab: error: --weights" in capsys.readouterr().err
    nowhere = tmp_path / "no" / "results.json"
    assert main(["check", "intrpt", "--board", "vm", "--format", "gradescope",
                 "--output", str(nowhere)]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_full_marks_on_every_platform(tmp_path: Path) -> None:
    """Every check passed: the top of each platform's scale, and every Classroom step's
    command (passed.sh on pilab's JSON) exits 0, so each awards its points."""
    names = ["builds", "interface", *(c.name for c in entry("intrpt").checks)]
    run = a_run(*(CheckResult(name) for name in names))
    assert full_marks(run, None)
    scope = json.loads(render(run, "gradescope"))
    jsonschema.validate(scope, GRADESCOPE)
    assert scope["score"] == len(names)
    learn = json.loads(render(run, "prairielearn"))
    jsonschema.validate(learn, PRAIRIELEARN)
    assert learn["gradable"] is True and learn["score"] == 1
    assert render(run, "classroom").splitlines()[-1] == f"Total points: {len(names)}/{len(names)}"
    assert render(run, "vmchecker").splitlines()[-2] == "Total: 100"
    assert render(run, "vpl").splitlines()[-1] == "Grade :=>> 100"
    results = tmp_path / "results.json"
    results.write_text(render(run, "json"))
    passed = Path(__file__).resolve().parents[2] / "pilab/autograder/files/passed.sh"
    for name in names:
        proc = subprocess.run(["sh", str(passed), str(results), name], capture_output=True,
                              text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run(["sh", str(passed), str(results), "no such check"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and "not in the results" in proc.stdout
