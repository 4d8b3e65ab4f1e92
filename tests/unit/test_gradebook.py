"""pilab grade --results/--resume without a VM: the key, the files, what resume skips, and
how a submission that could not be graded is shown (never as a zero)."""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from pilab.check import gradebook
from pilab.check.gradebook import Gradebook, GradeRequest, key_for, source_digest
from pilab.check.host import PENDING, CheckRun, check_names
from pilab.check.report import as_dict, grade_csv, grade_table, junit_xml, render_text
from pilab.check.suite import NOT_RUN, CheckResult, failed, not_run
from pilab.cli import main
from pilab.errors import VmError

LAB = "intrpt"
RELEASE = "6.1.0-57-amd64"


def submission(parent: Path, name: str, code: str = "int x;\n") -> Path:
    directory = parent / name
    directory.mkdir(parents=True)
    (directory / "intrpt.c").write_text(code)
    (directory / "lab_pins.h").write_text("#define LED 4\n")
    return directory


def a_run(directory: Path, *statuses: str, reason: str = "") -> CheckRun:
    """A whole run of intrpt: each check's status in order (passed where none is said)."""
    names = check_names(LAB)
    given = list(statuses) + ["passed"] * (len(names) - len(statuses))
    return CheckRun(LAB, [str(directory)], RELEASE, "vm",
                    [CheckResult(n, s, reason if s != "passed" else "")
                     for n, s in zip(names, given, strict=True)], finished=True)


def key(directory: Path, **changes: Any) -> gradebook.GradeKey:
    args: dict[str, Any] = {"lab": LAB, "directory": directory, "kernel": RELEASE,
                            "board": "vm", "model": None, "repeat": 1, **changes}
    return key_for(**args)


def test_the_key_follows_the_sources_and_nothing_else_there(tmp_path: Path) -> None:
    alice = submission(tmp_path, "alice")
    before = source_digest(alice)
    (alice / "notes.txt").write_text("not a source")
    assert source_digest(alice) == before, "a file pilab never reads changes no grade"
    (alice / "intrpt.c").write_text("int y;\n")
    edited = source_digest(alice)
    assert edited != before
    (alice / "Makefile").write_text("all:\n")  # listed as ignored in the report
    assert source_digest(alice) != edited
    twin = submission(tmp_path, "twin", "int y;\n")
    (twin / "Makefile").write_text("all:\n")
    assert source_digest(twin) == source_digest(alice), "the same files, the same digest"
    assert key(twin) != key(alice), "the directory is part of the key"


def test_a_grade_is_found_under_its_key_only(tmp_path: Path) -> None:
    alice = submission(tmp_path / "subs", "alice")
    book = Gradebook(tmp_path / "results")
    run = a_run(alice, "passed", "passed", "failed", reason="the LED stayed off")
    book.save(key(alice), run)
    assert book.graded(key(alice)) == run
    for stale in ({"kernel": "6.12.9-amd64"}, {"board": "pi"}, {"model": "pi4"},
                  {"repeat": 3}, {"lab": "bottomhalf"}):
        assert book.graded(key(alice, **stale)) is None, stale
    stored = json.loads(book.path(key(alice)).read_text())
    stored["key"]["pilab"] = "0.0.1"  # made by another pilab
    book.path(key(alice)).write_text(json.dumps(stored))
    assert book.graded(key(alice)) is None
    book.save(key(alice), run)
    (alice / "intrpt.c").write_text("int fixed;\n")
    assert book.graded(key(alice)) is None, "the student changed the code: grade again"


def test_two_submissions_of_one_name_get_a_file_each(tmp_path: Path) -> None:
    first, second = (submission(tmp_path / group, "alice smith") for group in ("a", "b"))
    book = Gradebook(tmp_path / "results")
    paths = {book.path(key(first)), book.path(key(second))}
    assert len(paths) == 2 and all(p.name.startswith("alice_smith-") for p in paths)


def test_not_graded_and_unreadable_results_are_graded_again(tmp_path: Path) -> None:
    alice = submission(tmp_path / "subs", "alice")
    book = Gradebook(tmp_path / "results")
    lost = a_run(alice)
    lost.results[-1] = not_run(lost.results[-1].name, "the VM gave no result (exit code 255)")
    book.save(key(alice), lost)
    saved = json.loads(book.path(key(alice)).read_text())
    assert saved["graded"] is False and "exit code 255" in saved["not_graded"]
    assert book.graded(key(alice)) is None
    book.path(key(alice)).write_text('{"key": ')
    assert book.graded(key(alice)) is None


def test_results_must_be_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    alice = submission(tmp_path, "alice")
    afile = tmp_path / "file"
    afile.write_text("")
    assert main(["grade", LAB, str(alice), "--board", "vm", "--resume"]) == 2
    assert "--resume takes --results" in capsys.readouterr().err
    assert main(["grade", LAB, str(alice), "--board", "vm", "--results", str(afile)]) == 2
    assert "not a directory" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["grade", LAB, str(alice), "--repeat", "0"])
    assert "say how many times" in capsys.readouterr().err


WRITER = """
import sys
from pathlib import Path
from pilab.check.gradebook import Gradebook, key_for
from pilab.check.host import CheckRun
from pilab.check.suite import CheckResult

directory, results = Path(sys.argv[1]), Path(sys.argv[2])
book = Gradebook(results)
key = key_for("intrpt", directory, "r", "vm", None, 1)
n = 0
while True:  # a result of some MB, of another size each time, until killed
    n += 1
    book.save(key, CheckRun("intrpt", [str(directory)], "r", "vm",
                            [CheckResult("builds", reason="x" * (4_000_000 + n))]))
"""


@pytest.mark.parametrize("attempt", range(5))
def test_a_result_is_always_whole_even_after_a_sigkill(tmp_path: Path, attempt: int) -> None:
    """A reader racing a writer never sees half a result; the writer is then SIGKILLed in
    the middle of its writes, and the file is still one whole result (provoked 5 times)."""
    alice = submission(tmp_path, "alice")
    results = tmp_path / "results"
    path = Gradebook(results).path(key_for(LAB, alice, "r", "vm", None, 1))
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(alice), str(results)])
    sizes: set[int] = set()
    try:
        while len(sizes) < 10 + attempt:  # it rewrote the file that many times, read each
            assert writer.poll() is None, "the writer stopped by itself"
            try:
                text = path.read_text()
            except FileNotFoundError:
                continue
            sizes.add(len(json.loads(text)["run"]["results"][0]["reason"]))
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    stored = Gradebook(results).graded(key_for(LAB, alice, "r", "vm", None, 1))
    assert stored is not None and len(stored.results[0].reason) >= max(sizes)
    assert [p.name for p in results.iterdir() if not p.name.startswith(".")] == [path.name]


def fake_grade_many(seen: list[list[str]], fail_after: int | None = None) -> Any:
    """What the VM would give, for the bookkeeping around it: each submission fails the
    checks its directory's name says after 'fail-'; *fail_after*: the VM is lost after that
    many submissions (the next one is left pending)."""
    def grade_many(items: list[tuple[str, list[Path]]], *args: Any, progress: Any = None,
                   repeat: int = 1, **kwargs: Any) -> list[CheckRun]:
        seen.append([str(sources[0]) for _, sources in items])
        runs = []
        for n, (_, sources) in enumerate(items):
            for _again in range(repeat):
                if fail_after is not None and n >= fail_after:
                    pending = a_run(sources[0])
                    pending.results[-1] = not_run(pending.results[-1].name, PENDING)
                    pending.finished = False
                    runs.append(pending)
                else:
                    runs.append(a_run(sources[0], *(["failed"] if "fail" in sources[0].name
                                                    else [])))
            if progress is not None:
                progress(list(runs))
        if fail_after is not None:
            raise VmError("QEMU ended at boot (exit code 1)")
        return runs
    return grade_many


def test_resume_grades_only_what_is_not_graded_yet(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    subs = [submission(tmp_path / "subs", name) for name in ("alice", "bob fail", "carol")]
    monkeypatch.setattr("pilab.vmhost.kernels.resolve",
                        lambda choice: type("K", (), {"release": RELEASE})())
    seen: list[list[str]] = []
    monkeypatch.setattr(gradebook, "grade_many", fake_grade_many(seen, fail_after=2))
    request = GradeRequest(LAB, subs, results=tmp_path / "results")
    first = gradebook.grade(request, out=io.StringIO())
    assert [bool(r.why_not_graded) for r in first] == [False, False, True]
    assert "pilab could not finish: QEMU ended at boot" in first[2].why_not_graded
    assert len(list((tmp_path / "results").glob("*.json"))) == 3, "each kept as it ended"

    monkeypatch.setattr(gradebook, "grade_many", fake_grade_many(seen))
    request.resume = True
    again = gradebook.grade(request, out=io.StringIO())
    assert seen[-1] == [str(subs[2])], "only the one not graded"
    assert again[:2] == first[:2] and not again[2].why_not_graded
    (subs[0] / "intrpt.c").write_text("int changed;\n")
    gradebook.grade(request, out=io.StringIO())
    assert seen[-1] == [str(subs[0])], "a changed submission is graded again"
    request.repeat = 3
    gradebook.grade(request, out=io.StringIO())
    assert seen[-1] == list(map(str, subs)), "another --repeat: every grade is stale"


def not_graded_run(tmp_path: Path) -> CheckRun:
    run = a_run(tmp_path / "bob", "passed", "passed", "failed", reason="LED off")
    run.results[-1] = not_run(run.results[-1].name, "the VM gave no result (exit code 255)")
    return run


def test_not_graded_is_never_a_zero(tmp_path: Path) -> None:
    graded = a_run(tmp_path / "alice", "passed", "passed", "failed", reason="LED off")
    lost = not_graded_run(tmp_path)
    why = "the VM gave no result (exit code 255)"
    assert lost.why_not_graded == why and graded.why_not_graded == ""

    rows = list(csv.DictReader(io.StringIO(grade_csv([graded, lost], ["alice", "bob"]))))
    assert list(rows[0])[-3:] == ["reason", "passed", "total"]
    assert (rows[0]["reason"], rows[0]["passed"], rows[0]["total"]) == ("", "5", "6")
    assert (rows[1]["reason"], rows[1]["passed"], rows[1]["total"]) == (why, "", "")

    table = grade_table([graded, lost], ["alice", "bob"])
    assert table.splitlines()[1].endswith("5/6") and table.splitlines()[2].endswith("not graded")
    assert f"bob: not graded: {why}" in table

    data = as_dict(lost)
    assert data["not_graded"] == why and data["score"] is None
    assert as_dict(graded)["score"] == {"passed": 5, "total": 6}
    assert as_dict(graded)["not_graded"] is None
    assert f"Not graded: {why}" in render_text(lost)

    suites = ET.fromstring(junit_xml([graded, lost]))
    ok, bad = suites.findall("testsuite")
    assert (ok.get("failures"), bad.get("failures"), bad.get("skipped")) == ("1", "0", "6")
    skipped = [case.find("skipped") for case in bad.findall("testcase")]
    assert all(s is not None and s.get("message") == f"not graded: {why}" for s in skipped)
    assert not bad.findall("testcase/failure")


def test_a_crash_is_a_grade_not_a_lost_run(tmp_path: Path) -> None:
    """A module that took the kernel down failed its check: that is a grade."""
    run = a_run(tmp_path / "oops")
    run.results[2] = failed(run.results[2].name, "the kernel crashed during this check (the "
                            "VM ended with code 255); pilab started the VM again for the rest")
    assert run.why_not_graded == ""
    assert as_dict(run)["score"] == {"passed": 5, "total": 6}


def test_a_pending_check_is_not_a_grade(tmp_path: Path) -> None:
    run = a_run(tmp_path / "alice")
    run.results[-1] = CheckResult(run.results[-1].name, NOT_RUN, PENDING)
    assert run.why_not_graded == PENDING
