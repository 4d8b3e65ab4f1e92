"""pilab check and pilab grade: our own modules, the sandboxed build, kernels, deadlines.

The fixtures (modules that break one lesson each, and correct ones written another way)
are graded in tests/test_lessons.py, from the labs' lesson tables. The build tests need
no VM: a submission's build files are never run, and the sandbox hides host files.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from kernel_matrix import SERIES, choice_of
from lessons import OURS, Fixture
from lessons import submission as lesson_submission
from warm_cache import pilab as warm_pilab

from pilab.check.host import prepare_job
from pilab.check.report import as_dict
from pilab.labs import entry
from pilab.labs.common.checks import CYCLES as CHECK_CYCLES
from pilab.labs.common.unload_trace import bottom_half_outlived
from pilab.vmhost.image import headers_release
from pilab.vmhost.kernels import resolve

ROOT = Path(__file__).resolve().parent.parent
CYCLES = f"{CHECK_CYCLES} load/unload cycles"


def submission(lab: str, name: str, dest: Path) -> Path:
    """Our module of *lab* as a submission directory."""
    assert name == OURS
    return lesson_submission(Fixture(lab, OURS), dest)


def pilab(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "pilab", *args], capture_output=True,
                          text=True, check=False, cwd=ROOT)
    print(proc.stdout, proc.stderr[-4000:], sep="\n")
    return proc


@pytest.mark.vm
@pytest.mark.parametrize(("lab", "picture"), [("bh_thread", 'class="timeline"'),
                                              ("latency", 'class="latency-path"')])
def test_check_without_sources_is_our_module_all_passing(lab: str, picture: str,
                                                         tmp_path: Path, warm_cache: Path) -> None:
    """bh_thread and latency here; intrpt's and bottomhalf's own modules are graded with the
    fixtures. --report draws the behaviour check's lab run: bh_thread's presses, latency's
    plot. Through the session's warm VM: nothing here takes the kernel down."""
    proc = warm_pilab("check", lab, "--report", str(tmp_path / "report"), cache=warm_cache)
    print(proc.stdout, proc.stderr[-4000:], sep="\n")
    assert "using the warm VM" in proc.stderr
    total = len(entry(lab).checks) + 2
    assert proc.stdout.rstrip().splitlines()[-1] == f"Total: {total}/{total}", proc.stdout
    assert proc.returncode == 0
    assert picture in (tmp_path / "report" / "index.html").read_text()


@pytest.fixture(scope="module")
def release() -> str:
    return headers_release()


def test_build_files_of_a_submission_never_run(tmp_path: Path, release: str) -> None:
    directory = submission("intrpt", OURS, tmp_path)
    outside = tmp_path / "ran"
    for build_file in ("Makefile", "Kbuild"):
        (directory / build_file).write_text(
            f"$(shell touch {outside}-{build_file})\n"
            f"$(shell touch $(src)/ran-{build_file} $(M)/ran-{build_file})\nobj-m += intrpt.o\n")
    job = prepare_job("intrpt", [directory], release)
    try:
        assert job.built is not None and job.built.ok, job.built and job.built.errors
        assert job.built.directory is not None
        left = [p.name for p in [*tmp_path.glob("ran-*"), *job.built.directory.glob("ran-*")]]
        assert not left, f"a submission's build file ran: {left}"
        assert as_dict(job.run)["ignored"] == ["Kbuild", "Makefile"]
        builds = job.run.results[0]
        assert builds.status == "passed" and "Kbuild, Makefile" in builds.reason
    finally:
        if job.built is not None and job.built.directory is not None:
            shutil.rmtree(job.built.directory, ignore_errors=True)


def test_a_host_file_is_out_of_the_sandbox(tmp_path: Path, release: str) -> None:
    host_file = Path("/etc/passwd")
    assert host_file.is_file(), "the test needs a host file outside /usr"
    directory = submission("intrpt", OURS, tmp_path)
    source = directory / "intrpt.c"
    source.write_text(source.read_text().replace(
        '#include "lab_pins.h"', f'#include "lab_pins.h"\n#include "{host_file}"'))
    job = prepare_job("intrpt", [directory], release)
    try:
        builds = job.run.results[0]
        assert builds.name == "builds" and builds.status == "failed"
        assert f"{host_file}: No such file or directory" in builds.reason, builds.reason
        assert not job.todo, "nothing is checked in the VM"
        assert all(r.status == "failed" for r in job.run.results)
    finally:
        if job.built is not None and job.built.directory is not None:
            shutil.rmtree(job.built.directory, ignore_errors=True)


TRACE = """\
 python3-245  [001] d.h1.  10.000100: irq_handler_entry: irq=41 name=bottomhalf#button1
 python3-245  [001] ..s1.  10.000200: softirq_entry: vec=6 [action=TASKLET]
   rmmod-250  [000] .....  10.100000: jump_label_module_notify <-blocking_notifier_call_chain
 python3-245  [001] ..s1.  10.500300: softirq_exit: vec=6 [action=TASKLET]
   rmmod-250  [000] .....  10.510000: module_free: bottomhalf
"""


def test_trace_shows_a_tasklet_running_past_unload() -> None:
    outlived = bottom_half_outlived(TRACE, "bottomhalf", 41)
    assert outlived is not None and outlived.cpu == 1 and outlived.returned == 10.1
    lines = TRACE.splitlines()
    waited = [lines[0], lines[1], lines[3], lines[2], lines[4]]  # tasklet_kill(): ends first
    assert bottom_half_outlived("\n".join(waited), "bottomhalf", 41) is None
    assert bottom_half_outlived(TRACE, "bottomhalf", 42) is None  # another IRQ's softirq
    no_probe = [lines[0], lines[1], lines[4].replace("10.51", "10.2"), lines[3]]
    assert bottom_half_outlived("\n".join(no_probe), "bottomhalf", 41) is not None
    assert bottom_half_outlived("\n".join(no_probe), "intrpt", 41) is None


@pytest.mark.vm
def test_check_runs_on_the_kernel_asked_for() -> None:
    """--kernel X.Y: the checks run on that series (Debian 12: 6.12, not its default 6.1),
    and the JSON says which release ran."""
    choice = choice_of(SERIES)
    proc = pilab("check", "intrpt", "--kernel", choice, "--json")
    ran = json.loads(proc.stdout)
    assert ran["kernel"] == resolve(choice).release != headers_release()
    assert proc.returncode == 0, [c for c in ran["checks"] if c["status"] != "passed"]


def test_grade_takes_a_kernel_and_prints_json(tmp_path: Path) -> None:
    """grade --kernel X.Y --json: a submission that does not compile, built against that
    series' headers, is graded without a boot: a list of check's JSON objects."""
    kernel = resolve(choice_of(SERIES))
    broken = submission("intrpt", OURS, tmp_path)
    (broken / "intrpt.c").write_text("#include <linux/module.h>\nint oops = ;\n")
    proc = pilab("grade", "intrpt", str(broken), "--kernel", choice_of(SERIES), "--json")
    assert proc.returncode == 1
    [run] = json.loads(proc.stdout)
    assert run["kernel"] == kernel.release and run["sources"] == [str(broken)]
    builds = run["checks"][0]
    assert builds["status"] == "failed" and "expected expression" in builds["reason"]
    assert run["score"] == {"passed": 0, "total": len(entry("intrpt").checks) + 2}
    assert "booting" not in proc.stderr


def test_a_submission_builds_against_a_series_not_installed(tmp_path: Path) -> None:
    """The sandbox shows the series' headers, unpacked in the cache outside /usr."""
    kernel = resolve(choice_of(SERIES))
    job = prepare_job("intrpt", [submission("intrpt", OURS, tmp_path)], kernel.release,
                      kernel=kernel)
    try:
        assert job.built is not None and job.built.ok, job.built and job.built.errors
        assert job.run.kernel == kernel.release
        vermagic = subprocess.run(["modinfo", "-F", "vermagic", str(job.directory /
                                                                   "intrpt.ko")],
                                  capture_output=True, text=True, check=True).stdout
        assert vermagic.startswith(f"{kernel.release} "), vermagic
    finally:
        if job.built is not None and job.built.directory is not None:
            shutil.rmtree(job.built.directory, ignore_errors=True)


def test_a_deadline_too_short_for_any_check_still_writes_its_results(tmp_path: Path) -> None:
    """--deadline 60: every intrpt check may take 60s or more, so none starts (and no VM
    boots); the results file is whole, each unrun check marked as such, with why."""
    results = tmp_path / "results.json"
    proc = pilab("check", "intrpt", "--deadline", "60", "--format", "gradescope",
                 "--output", str(results))
    assert proc.returncode == 3  # not graded: some checks could not run
    assert "booting" not in proc.stderr
    out = json.loads(results.read_text())
    tests = {t["name"]: t for t in out["tests"]}
    assert [tests[n]["status"] for n in ("builds", "interface")] == ["passed", "passed"]
    for check in entry("intrpt").checks:
        test = tests[check.name]
        assert (test["status"], test["score"], test["max_score"]) == ("failed", 0, 1)
        assert test["output"].startswith("NOT RUN: the --deadline left"), test["output"]
    assert out["score"] == 2
    assert "NOT RUN" in proc.stdout  # the text report, for the job's log


@pytest.mark.vm
def test_a_deadline_lets_the_checks_that_fit_run_in_the_vm(tmp_path: Path) -> None:
    """--deadline 200: the guest runs the checks whose bound still fits after the boot and
    starts none that could outlast it: the 180s load/unload cycles cannot fit once a VM
    has booted (it would have to start within 15s of pilab's start)."""
    results = tmp_path / "results.json"
    proc = pilab("check", "intrpt", "--deadline", "200", "--format", "prairielearn",
                 "--output", str(results))
    out = json.loads(results.read_text())
    tests = {t["name"]: t for t in out["tests"]}
    assert "booting" in proc.stderr, "the VM booted: the guest decided, not the host"
    assert tests[CYCLES]["message"].startswith("NOT RUN: the --deadline left")
    # Which of the others fit depends on how long the boot took: each passed or says why not.
    assert all(t["points"] == 1 or t["message"].startswith("NOT RUN") for t in out["tests"])
    assert proc.returncode == 3
