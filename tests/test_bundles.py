"""pilab autograder: each bundle's entry point grades submissions in its platform's layout.

Every bundle is written by ``pilab autograder``, unpacked, and its entry point run as
the platform runs it, with the submission and results at the platform's own paths
(/autograder/..., /grade/..., the workflow's /submission and /results) in a mount
namespace of their own (platform_layout.py). Gradescope's setup.sh installs pilab
from the bundle for real (apt and pip, as on the platform); the Docker platforms'
images are not built here (no Docker): their /opt/pilab is this checkout, installed.
Three submissions: pilab's own module (full marks, on Gradescope), the oops_on_load
fixture (it takes the kernel down: behaviour and the cycles fail, the other checks pass)
and one that does not compile (no VM). The JSON results are held to the platforms'
schemas.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from platform_layout import run_in_layout
from platform_schemas import GRADESCOPE, PRAIRIELEARN

from pilab.autograder import Bundle, write_bundle
from pilab.check.host import check_names
from pilab.labs.common.checks import CYCLES

ROOT = Path(__file__).resolve().parent.parent
LAB = "intrpt"
NAMES = check_names(LAB)
CRASH_FAILS = {"behaviour", f"{CYCLES} load/unload cycles"}
EXPECTED = {"correct": set(), "crashing": CRASH_FAILS, "uncompilable": set(NAMES)}
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # a fresh image's


# Gradescope's entry point grades the three submissions: the one that does not build
# (no VM), ours and the one that oopses. The other platforms grade the two that score
# each check both ways (a VM boot each is most of this file's time): the oopsing one
# passes some checks and fails others, which full marks only half shows.
def kinds(*names: str) -> list[object]:
    """Parameters for the submissions a platform grades; those that boot the VM marked."""
    return [name if name == "uncompilable" else pytest.param(name, marks=pytest.mark.vm)
            for name in names]


KINDS = kinds("uncompilable", "correct", "crashing")
PARTIAL = kinds("uncompilable", "crashing")


def make_submission(kind: str, dest: Path) -> Path:
    """A submission's files: ours, the Oops fixture, or ours with a syntax error."""
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "kmods" / "lab_pins.h", dest)
    source = ROOT / "kmods" / f"{LAB}.c"
    if kind == "crashing":
        source = ROOT / "tests" / "fixtures" / "broken" / LAB / "oops_on_load" / f"{LAB}.c"
    text = source.read_text()
    if kind == "uncompilable":
        text = text.replace("static int __init intrpt_init(void)",
                            "static int __init intrpt_init(void) nope", 1)
        assert "nope" in text
    (dest / f"{LAB}.c").write_text(text)
    return dest


def bundle(platform: str, out: Path) -> Path:
    write_bundle(Bundle(platform, LAB, timeout=1200), out)
    return out


def run(places: dict[str, Path], argv: list[str], cwd: str = "/") -> str:
    proc = run_in_layout(places, argv, cwd=cwd, env={"PATH": PATH})
    print(proc.stdout[-6000:], proc.stderr[-6000:], sep="\n")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def failed_of(tests: list[dict[str, object]], passed: str) -> set[str]:
    return {str(t["name"]) for t in tests if not t[passed]}


@pytest.fixture(scope="module")
def gradescope_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zip unpacked where Gradescope puts it, and its setup.sh run there (installs)."""
    out = bundle("gradescope", tmp_path_factory.mktemp("gradescope"))
    source = tmp_path_factory.mktemp("source")
    subprocess.run(["unzip", "-q", str(out / "autograder.zip"), "-d", str(source)], check=True)
    run({"/autograder/source": source}, ["/autograder/source/setup.sh"], cwd="/autograder")
    assert (source / "pilab" / ".venv" / "bin" / "pilab").exists()
    return source


@pytest.mark.parametrize("kind", KINDS)
def test_gradescope(kind: str, gradescope_source: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    run({"/autograder/source": gradescope_source,
         "/autograder/submission": make_submission(kind, tmp_path / "submission"),
         "/autograder/results": results}, ["/autograder/source/run_autograder"],
        cwd="/autograder")
    out = json.loads((results / "results.json").read_text())
    jsonschema.validate(out, GRADESCOPE)
    assert [t["name"] for t in out["tests"]] == NAMES
    for test in out["tests"]:
        test["ok"] = test["status"] == "passed"
    assert failed_of(out["tests"], "ok") == EXPECTED[kind]
    assert out["score"] == len(NAMES) - len(EXPECTED[kind])
    if kind == "uncompilable":
        assert "nope" in out["tests"][0]["output"]
        assert "pilab check intrpt /autograder/submission" in out["tests"][0]["output"]


@pytest.mark.parametrize("kind", PARTIAL)
def test_prairielearn(kind: str, tmp_path: Path) -> None:
    out_dir = bundle("prairielearn", tmp_path / "bundle")
    info = json.loads((out_dir / "info.json").read_text())
    entry = info["externalGradingOptions"]["entrypoint"]
    results = tmp_path / "results"
    results.mkdir()
    run({"/opt/pilab": ROOT, entry: out_dir / Path(entry).name,
         "/grade/student": make_submission(kind, tmp_path / "student"),
         "/grade/results": results}, [entry], cwd="/grade")
    out = json.loads((results / "results.json").read_text())
    jsonschema.validate(out, PRAIRIELEARN)
    if kind == "uncompilable":  # not gradable: the attempt does not count
        assert out["gradable"] is False and "nope" in out["message"]
        return
    assert out["gradable"] is True
    for test in out["tests"]:
        test["ok"] = test["points"] == test["max_points"]
    assert failed_of(out["tests"], "ok") == EXPECTED[kind]
    assert out["score"] == pytest.approx(1 - len(EXPECTED[kind]) / len(NAMES))


@pytest.mark.parametrize("kind", PARTIAL)
def test_classroom(kind: str, tmp_path: Path) -> None:
    """classroom.sh as the workflow's docker run does, then every grader step's command
    in the repository, as the command grader runs it: its exit code awards the points."""
    out_dir = bundle("classroom", tmp_path / "repo")
    repo = make_submission(kind, tmp_path / "workspace")
    shutil.copytree(out_dir / ".github", repo / ".github")
    (repo / ".pilab").mkdir()
    run({"/opt/pilab": ROOT, "/opt/classroom.sh": repo / ".github/pilab/classroom.sh",
         "/submission": repo, "/results": repo / ".pilab"}, ["/opt/classroom.sh"])
    workflow = (repo / ".github/workflows/pilab.yml").read_text()
    steps = re.findall(r'test-name: (".*")\n\s+command: (".*")\n.*\n\s+max-score: (\S+)',
                       workflow)
    assert [json.loads(name) for name, _, _ in steps] == NAMES
    failing = set()
    for name, command, _ in steps:
        proc = subprocess.run(["sh", "-c", json.loads(command)], cwd=repo, text=True,
                              capture_output=True, check=False)
        assert proc.returncode in (0, 1), proc.stderr
        if proc.returncode:
            failing.add(json.loads(name))
    assert failing == EXPECTED[kind]
    assert "--name-match=kvm" in workflow and "autograding-grading-reporter" in workflow


@pytest.mark.parametrize("kind", PARTIAL)
def test_vmchecker(kind: str, tmp_path: Path) -> None:
    out_dir = bundle("vmchecker", tmp_path / "bundle")
    out = run({"/opt/pilab": ROOT, "/opt/checker.sh": out_dir / "checker.sh",
               "/checker/submission": make_submission(kind, tmp_path / "submission")},
              ["/opt/checker.sh", "submission"], cwd="/checker")
    block = out[out.index("<VMCK_NEXT_BEGIN>"):].splitlines()
    assert block[-1] == "<VMCK_NEXT_END>"
    totals = [line for line in block if line.startswith("Total:")]
    passed = len(NAMES) - len(EXPECTED[kind])
    assert totals == [f"Total: {round(100 * passed / len(NAMES))}"] == block[-2:-1]
    for name in NAMES:
        assert f"{name}: {int(name not in EXPECTED[kind])}/1" in block


def test_a_sandbox_that_cannot_start_is_not_the_students_zero(tmp_path: Path) -> None:
    """In a chroot, bubblewrap may not make its namespaces: pilab cannot run (exit 3),
    rather than score the build as the student's compile error."""
    sub = make_submission("correct", tmp_path / "sub")
    root = tmp_path / "root"
    root.mkdir()
    script = 'mount --rbind / "$1" && shift && exec chroot "$0" "$@"'
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                           str(root), str(root), str(ROOT / ".venv/bin/pilab"), "check", LAB,
                           str(sub)], capture_output=True, text=True, check=False)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "the build sandbox could not start" in proc.stderr
    assert "builds" not in proc.stdout


def test_a_pilab_that_cannot_run_still_leaves_a_results_file(gradescope_source: Path,
                                                             tmp_path: Path) -> None:
    """pilab's command is broken (an empty file in its place): the platforms still get
    a results.json that says pilab could not grade, not a missing file."""
    sub = make_submission("correct", tmp_path / "sub")
    broken = tmp_path / "not-pilab"
    broken.write_text("")
    for results in (tmp_path / "gs", tmp_path / "pl"):
        results.mkdir()
    run({"/autograder/source": gradescope_source, "/autograder/submission": sub,
         "/autograder/results": tmp_path / "gs",
         "/autograder/source/pilab/.venv/bin/pilab": broken},
        ["/autograder/source/run_autograder"])
    scope = json.loads((tmp_path / "gs" / "results.json").read_text())
    jsonschema.validate(scope, GRADESCOPE)
    assert scope["score"] == 0 and "pilab could not grade this" in scope["output"]
    assert "Permission denied" in scope["output"]
    out_dir = bundle("prairielearn", tmp_path / "bundle")
    run({"/opt/pilab": ROOT, "/opt/prairielearn.sh": out_dir / "prairielearn.sh",
         "/opt/pilab/.venv/bin/pilab": broken, "/grade/student": sub,
         "/grade/results": tmp_path / "pl"}, ["/opt/prairielearn.sh"])
    learn = json.loads((tmp_path / "pl" / "results.json").read_text())
    jsonschema.validate(learn, PRAIRIELEARN)
    assert learn["gradable"] is False and "pilab could not grade this" in learn["message"]
