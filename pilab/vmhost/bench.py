"""``pilab bench vm``: where a vm-board command's time goes, side by side, in one run.

Figures, not limits: a bare ``vng --exec`` boot of the same kernel (its vmlinuz, as
vng boots it, then the vmlinux pilab unpacks from it), a cold
``pilab run all --board vm`` (broken down: kernel to the guest's script, guest
ready, each lab), then the same with a warm VM (``pilab vm up``), and a warm
``pilab check intrpt``. The machine's load is printed with them: on a shared
host only ratios measured in one run mean much.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from pilab.vmhost.leash import new_run_id, start
from pilab.vmhost.vng import vng_command
from pilab.vmhost.warmclient import COLD_ENV

LAB_LINE = re.compile(r"^== (\S+) on ")


@dataclass
class Timed:
    """One command's wall time, and when each of its stderr lines came (seconds from start)."""

    seconds: float
    code: int
    lines: list[tuple[float, str]] = field(default_factory=list)


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _timed(argv: list[str], env: dict[str, str] | None = None) -> Timed:
    """Run a pilab command; its stdout goes nowhere, its stderr lines are timed."""
    begin = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=dict(os.environ, **(env or {})))
    lines: list[tuple[float, str]] = []
    assert proc.stderr is not None

    def read() -> None:
        assert proc.stderr is not None
        for raw in iter(proc.stderr.readline, b""):
            lines.append((time.monotonic() - begin, raw.decode(errors="replace").rstrip()))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    code = proc.wait()
    reader.join(timeout=5)
    return Timed(time.monotonic() - begin, code, lines)


def _bare(vmlinuz: Path, unpacked: bool = False) -> tuple[float, float | None]:
    """A bare vng boot of *vmlinuz* (or of the vmlinux pilab unpacks from it): wall
    seconds, and the guest's uptime when its command ran."""
    from pilab.vmhost.session import scratch_dir

    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    with scratch_dir() as scratch:  # where the command's file goes (vng.exec_argument)
        cmd = vng_command(vmlinuz, "cat /proc/uptime", [scratch], lean=False,
                          unpacked=unpacked)
        begin = time.monotonic()
        vm = start(cmd, run_id=new_run_id(), cwd=Path.cwd(), env=env, stdout=subprocess.PIPE)
        try:
            out, _ = vm.proc.communicate()
        finally:
            vm.stop()
        wall = time.monotonic() - begin
    found = re.search(rb"^(\d+\.\d+) \d+\.\d+$", out, re.MULTILINE)
    return wall, float(found[1]) if found else None


def _breakdown(run: Timed) -> list[str]:
    """Boot to the first guest line, then each lab, from a run's timed stderr."""
    booting = next((t for t, line in run.lines if "booting" in line and "..." in line), None)
    labs = [(t, m[1]) for t, line in run.lines if (m := LAB_LINE.match(line))]
    rows = []
    if booting is not None and labs:
        rows.append(f"    host until the boot starts  {booting:6.1f}s (build, kernel image)")
        rows.append(f"    boot until pilab's guest    {labs[0][0] - booting:6.1f}s "
                    "(kernel, virtme init, Python and imports)")
    ends = [t for t, _ in labs[1:]] + [run.seconds]
    for (t, name), end in zip(labs, ends, strict=True):
        rows.append(f"    lab {name:22} {end - t:6.1f}s")
    return rows


def _why(run: Timed, rows: list[str] | None = None) -> None:
    """A failed command's last words, so a figure is not read without them."""
    if run.code == 0:
        return
    tail = [f"      | {line}" for _, line in run.lines if "FAIL" in line][-6:]
    tail = tail or [f"      | {line}" for _, line in run.lines[-6:]]
    if rows is None:
        print("\n".join(tail), flush=True)
    else:
        rows += tail


def bench_vm(kernel: str) -> int:
    """Print the figures; 0 unless a measured command failed."""
    from pilab.vmhost.session import prepare
    from pilab.vmhost.warmstate import read_state, release_of_image

    vmlinuz = prepare(kernel)
    release = release_of_image(vmlinuz)
    pilab = [sys.executable, "-m", "pilab"]
    print(f"vm bench: kernel {release} (a benchmark, not a test); load at start {_load()}",
          flush=True)
    bare, uptime = _bare(vmlinuz)
    print(f"  bare vng --exec boot        {bare:6.1f}s  (guest uptime at its command: "
          f"{uptime if uptime is not None else '?'}s)", flush=True)
    bare_elf, uptime = _bare(vmlinuz, unpacked=True)
    print(f"    the same, of the vmlinux  {bare_elf:6.1f}s  (what pilab boots; guest uptime "
          f"at its command: {uptime if uptime is not None else '?'}s)", flush=True)
    cold = _timed([*pilab, "run", "all", "--board", "vm", "--kernel", kernel], {COLD_ENV: "1"})
    print(f"  cold run all                {cold.seconds:6.1f}s  (exit {cold.code})", flush=True)
    _why(cold)
    print("\n".join(_breakdown(cold)), flush=True)
    started_here = read_state(release) is None
    rows: list[str] = []
    failed = cold.code not in (0, 1)
    try:
        if started_here:
            up = _timed([*pilab, "vm", "up", "--kernel", kernel, "--idle", "30m"])
            rows.append(f"  warm VM up (one boot)       {up.seconds:6.1f}s  (exit {up.code})")
        for name, argv in (("warm run all", [*pilab, "run", "all", "--board", "vm",
                                              "--kernel", kernel]),
                           ("warm check intrpt", [*pilab, "check", "intrpt"])):
            warm = _timed(argv)
            used = any("using the warm VM" in line for _, line in warm.lines)
            failed |= warm.code not in (0, 1)
            rows.append(f"  {name:27} {warm.seconds:6.1f}s  (exit {warm.code}"
                        f"{'' if used else ', NOT through the warm VM'})")
            _why(warm, rows)
    finally:
        if started_here:
            _timed([*pilab, "vm", "down", "--kernel", kernel])
    print("\n".join(rows))
    print(f"  ratio cold run all / bare   {cold.seconds / bare:6.2f}")
    print(f"load at end {_load()}")
    return 1 if failed else 0
