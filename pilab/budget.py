"""A command run in a cgroup of its own: a CPU and memory budget, and its peak memory.

Grading platforms give a container a share of a CPU and a memory limit (Gradescope's
default: half a vCPU, 768 MB). A cgroup gives a command the same here, on cgroup v2
(``cpu.max``, ``memory.max``, ``memory.peak``) or v1 (``cpu.cfs_quota_us``,
``memory.limit_in_bytes``, ``memory.max_usage_in_bytes``), whichever the machine
mounts. Without limits it still measures: the peak of the whole process tree.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from pilab.errors import MissingDependency

ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000
SAMPLE_SECONDS = 0.2  # how often the anonymous memory is read
# The shell that enters the cgroup, then becomes the command: nothing it starts is outside.
ENTER = 'for p in $PILAB_CGROUP_PROCS; do echo $$ > "$p"; done; exec "$@"'


@dataclass(frozen=True)
class Budget:
    """CPUs (0.5: half of one) and memory in bytes; None: no limit."""

    cpus: float | None = None
    memory: int | None = None

    def __str__(self) -> str:
        cpus = f"{self.cpus:g} CPU" if self.cpus else "all CPUs"
        memory = f"{self.memory // 2**20} MB" if self.memory else "no memory limit"
        return f"{cpus}, {memory}"


@dataclass(frozen=True)
class Measured:
    """How a command went in its cgroup."""

    seconds: float
    code: int
    peak: int  # bytes: the cgroup's peak memory, page cache included
    peak_anon: int  # bytes: the most anonymous memory (processes' own) seen, sampled
    oom_kills: int
    stdout: str
    stderr: str


class _Cgroup:
    """One cgroup, in each hierarchy that holds the controllers (one dir on v2)."""

    def __init__(self, name: str) -> None:
        self.v2 = (ROOT / "cgroup.controllers").is_file()
        if self.v2:
            self.dirs = {"cpu": ROOT / name, "memory": ROOT / name}
        else:
            self.dirs = {c: ROOT / c / name for c in ("cpu", "memory")}
        for controller in ("cpu", "memory"):
            if not self.dirs[controller].parent.is_dir():
                raise MissingDependency(f"no {controller} cgroup controller under {ROOT}")

    def create(self, budget: Budget) -> None:
        if self.v2:
            controllers = (ROOT / "cgroup.controllers").read_text().split()
            missing = {"cpu", "memory"} - set(controllers)
            if missing:
                raise MissingDependency(f"cgroup v2 without the {' and '.join(missing)} "
                                        "controller")
            (ROOT / "cgroup.subtree_control").write_text("+cpu +memory")
        for path in set(self.dirs.values()):
            path.mkdir()
        if budget.cpus:
            quota = int(budget.cpus * PERIOD_US)
            if self.v2:
                self._write("cpu", "cpu.max", f"{quota} {PERIOD_US}")
            else:
                self._write("cpu", "cpu.cfs_period_us", str(PERIOD_US))
                self._write("cpu", "cpu.cfs_quota_us", str(quota))
        if budget.memory:
            if self.v2:
                self._write("memory", "memory.max", str(budget.memory))
                self._write("memory", "memory.swap.max", "0")
            else:
                self._write("memory", "memory.limit_in_bytes", str(budget.memory))
                with suppress(OSError):  # only where swap accounting is on
                    self._write("memory", "memory.memsw.limit_in_bytes", str(budget.memory))

    def _write(self, controller: str, name: str, value: str) -> None:
        (self.dirs[controller] / name).write_text(value)

    def procs(self) -> list[Path]:
        return [path / "cgroup.procs" for path in set(self.dirs.values())]

    def peak(self) -> int:
        name = "memory.peak" if self.v2 else "memory.max_usage_in_bytes"
        try:
            return int((self.dirs["memory"] / name).read_text())
        except (OSError, ValueError):
            return 0  # v2 before Linux 5.19 has no memory.peak

    def anon(self) -> int:
        """The processes' own memory now (no page cache): what a limit cannot reclaim."""
        key = "anon" if self.v2 else "total_rss"
        try:
            for line in (self.dirs["memory"] / "memory.stat").read_text().splitlines():
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def oom_kills(self) -> int:
        name = "memory.events" if self.v2 else "memory.oom_control"
        try:
            lines = (self.dirs["memory"] / name).read_text().splitlines()
        except OSError:
            return 0
        return sum(int(line.split()[1]) for line in lines if line.startswith("oom_kill "))

    def remove(self) -> None:
        """Kill what is left in it (nothing should be), then remove it."""
        for procs in self.procs():
            with suppress(OSError):
                for pid in procs.read_text().split():
                    with suppress(ProcessLookupError):
                        os.kill(int(pid), 9)
        for path in set(self.dirs.values()):
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)  # its last processes are still exiting


@contextmanager
def cgroup(budget: Budget) -> Iterator[_Cgroup]:
    """A fresh cgroup with *budget*, removed afterwards."""
    if os.geteuid() != 0:
        raise MissingDependency("a cgroup of its own needs root", hint="run it as root")
    group = _Cgroup(f"pilab-budget-{uuid.uuid4().hex[:8]}")
    try:
        group.create(budget)
        yield group
    finally:
        group.remove()


def run_within(argv: list[str], budget: Budget, env: dict[str, str] | None = None,
               timeout: float | None = None) -> Measured:
    """Run *argv* in a cgroup of *budget*; its time, exit code, peak memory and OOM kills."""
    with cgroup(budget) as group:
        procs = " ".join(str(p) for p in group.procs())
        anon = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(SAMPLE_SECONDS):
                anon[0] = max(anon[0], group.anon())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        begin = time.monotonic()
        try:
            proc = subprocess.run(["sh", "-c", ENTER, "sh", *argv], capture_output=True,
                                  text=True, check=False, timeout=timeout,
                                  env={**os.environ, **(env or {}), "PILAB_CGROUP_PROCS": procs})
        finally:
            done.set()
            sampler.join()
        seconds = time.monotonic() - begin
        return Measured(seconds, proc.returncode, group.peak(), anon[0], group.oom_kills(),
                        proc.stdout, proc.stderr)
