"""Hostile submissions (tests/fixtures/hostile/): each is caught, none touches the host.

The build-side ones need no VM: pilab's sandboxed build is called directly.
The kernel-side ones run in ONE ``pilab grade intrpt`` with our own intrpt
beside them, which must still score full marks.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml

from pilab.check.kbuild import build_submission
from pilab.check.submission import gather
from pilab.kernel.build import headers_dir
from pilab.paths import cache_dir
from pilab.vmhost.image import headers_release

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "hostile"
WRITE_MARKER = "pilab-hostile-marker"  # what write-mounts tries to create (see its intrpt.c)
# The kernel-side fixtures, and what their behaviour check's failure must say.
# write-mounts is not among them: every write it tries is refused (the host's
# root is read-only at the QEMU level, the guest's own filesystems vanish with
# the VM), so it may score; what matters is that the host shows no trace.
IN_VM = {
    "log-forever": "the kernel log flooded",
    # A CPU spinning with interrupts off: either the guest falls silent and pilab's
    # watchdog stops the VM (froze), or another CPU stuck waiting on it trips the
    # soft-lockup detector, which panics the kernel first (crashed). Both fail the
    # check and restart the VM; which comes first is timing under TCG.
    "irqs-off-loop": "hung|froze|crashed",
    "alloc-forever": "ran out of memory",
}


def _release() -> str:
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (scripts/install does it)")
    release = headers_release()
    if not headers_dir(release).exists():
        pytest.skip(f"no kernel headers for {release}")
    return release


def _kbuild_shell(tmp_path: Path) -> tuple[Path, list[Path]]:
    """A copy of kbuild-shell whose build files touch markers under *tmp_path*."""
    dest = tmp_path / "kbuild-shell"
    shutil.copytree(FIXTURES / "kbuild-shell", dest)
    markers = []
    for name in ("Kbuild", "Makefile"):
        marker = tmp_path / f"{name}-ran"
        (dest / name).write_text((dest / name).read_text().replace("@MARKER@", str(marker)))
        markers.append(marker)
    return dest, markers


def test_the_kbuild_shell_fixture_is_live(tmp_path: Path) -> None:
    """make reading either build file runs its $(shell ...): the next test can fail."""
    dest, markers = _kbuild_shell(tmp_path)
    for name, marker in zip(("Kbuild", "Makefile"), markers, strict=True):
        subprocess.run(["make", "-n", "-C", str(dest), "-f", name, "intrpt.o"],
                       capture_output=True, check=False)
        assert marker.exists(), f"make -f {name} did not run the fixture's $(shell touch)"


def test_build_files_are_never_run(tmp_path: Path) -> None:
    dest, markers = _kbuild_shell(tmp_path)
    submission = gather([dest])
    assert sorted(submission.ignored) == ["Kbuild", "Makefile"]
    built = build_submission(submission, _release())
    try:
        assert built.ok, built.output
        assert not [m for m in markers if m.exists()], "a submission's build file ran"
    finally:
        if built.directory is not None:
            shutil.rmtree(built.directory, ignore_errors=True)


def test_a_host_file_include_is_not_found() -> None:
    built = build_submission(gather([FIXTURES / "include-host-file"]), _release())
    try:
        assert not built.ok
        assert any("/etc/hostname" in e and "No such file or directory" in e
                   for e in built.errors), built.errors
    finally:
        if built.directory is not None:
            shutil.rmtree(built.directory, ignore_errors=True)


def _listing(top: Path, skip: list[Path], depth: int = 3) -> dict[str, tuple[int, int]]:
    """path -> (mtime_ns, size) of everything under *top*, *depth* levels deep."""
    found: dict[str, tuple[int, int]] = {}
    for here, dirs, files in os.walk(top):
        level = len(Path(here).relative_to(top).parts)
        dirs[:] = [d for d in dirs if level < depth
                   and not any(Path(here, d) == s or Path(here, d).match(str(s)) for s in skip)]
        for name in [*dirs, *files]:
            try:
                st = os.lstat(Path(here, name))
            except FileNotFoundError:
                continue
            found[str(Path(here, name))] = (st.st_mtime_ns, st.st_size)
    return found


def _markers(places: list[Path], names: set[str]) -> list[str]:
    """Files named like a hostile fixture's marker in *places* (two levels deep)."""
    hits = []
    for place in places:
        for here, dirs, files in os.walk(place):
            if len(Path(here).relative_to(place).parts) >= 2:
                dirs[:] = []
            hits += [str(Path(here, n)) for n in files if n in names]
    return hits


def _git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout


@pytest.mark.vm
def test_hostile_modules_fail_alone_and_leave_no_trace(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subs = tmp_path / "subs"
    for name in ["include-host-file", "write-mounts", *IN_VM]:
        shutil.copytree(FIXTURES / name, subs / name)
    (subs / "ours").mkdir()
    for name in ("intrpt.c", "lab_pins.h"):
        shutil.copy(ROOT / "kmods" / name, subs / "ours")
    home = Path.home()
    # Other pilab checkouts' caches may change meanwhile; this one's must be left out.
    skip = [cache_dir(), home / ".cache" / "pilab*"]
    home_before, git_before = _listing(home, skip), _git_status()
    names = sorted(p.name for p in subs.iterdir())
    csv, junit = tmp_path / "grade.csv", tmp_path / "grade.xml"
    with capsys.disabled():
        proc = subprocess.run(
            [sys.executable, "-m", "pilab", "grade", "intrpt", *[str(subs / n) for n in names],
             "--board", "vm", "--csv", str(csv), "--junit-xml", str(junit)],
            stdout=subprocess.PIPE, text=True, check=False, cwd=tmp_path)
        print(proc.stdout)
        print(csv.read_text() if csv.exists() else "(no CSV)")
    assert proc.returncode != 0 and csv.exists(), proc.stdout

    rows = {row.split(",")[0]: row.split(",") for row in csv.read_text().splitlines()[1:]}
    assert set(rows) == set(names)
    assert rows["ours"][-2] == rows["ours"][-1], f"our own intrpt lost marks: {rows['ours']}"
    reasons = {}
    for suite in JUnitXml.fromfile(str(junit)):
        sub = next(n for n in names if f"/{n}" in suite.name)
        for case in suite:
            failures = [r for r in case.result if isinstance(r, Failure)]
            reasons[sub, case.name] = failures[0].message if failures else ""
    with capsys.disabled():
        for (sub, check), reason in sorted(reasons.items()):
            print(f"{sub:18} {check[:28]:28} {reason[:150]!r}")
    assert "No such file or directory" in reasons["include-host-file", "builds"]
    for name, expected in IN_VM.items():
        assert re.search(expected, reasons[name, "behaviour"]), (name, reasons[name, "behaviour"])

    hits = _markers([tmp_path, ROOT, home, Path("/tmp"), Path("/root"), Path("/"),
                     cache_dir() / "runs", Path.cwd()], {WRITE_MARKER})
    assert not hits, f"a hostile module wrote to the host: {hits}"
    assert _git_status() == git_before
    home_after = _listing(home, skip)
    changed = sorted(p for p in home_before.keys() | home_after.keys()
                     if home_before.get(p) != home_after.get(p))
    assert not changed, f"files under {home} changed: {changed[:20]}"
