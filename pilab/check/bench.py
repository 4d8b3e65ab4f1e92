"""``pilab bench grade``: what grading costs, at full speed and in a platform's budget.

Figures, not limits: a cold ``pilab check intrpt`` of a correct submission (pilab's
own module, copied as a student would hand it in), then an N-submission
``pilab grade``, each at full speed and in Gradescope's default budget (half a CPU,
768 MB) in a cgroup of its own (pilab/budget.py). Each line gives the wall time, the
cgroup's peak memory (page cache included, which a limit reclaims), the most the
processes held of their own (sampled), and the OOM kills.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from pilab.budget import Budget, Measured, run_within
from pilab.paths import KMOD_SOURCES
from pilab.vmhost.warmclient import COLD_ENV

LAB = "intrpt"
PLATFORM = Budget(cpus=0.5, memory=768 * 2**20)  # Gradescope's default container
FULL = Budget()
TIMEOUT = 3 * 3600.0


def correct_submission(directory: Path) -> Path:
    """A submission directory holding pilab's own intrpt module and the header it includes."""
    directory.mkdir(parents=True)
    for name in (f"{LAB}.c", "lab_pins.h"):
        shutil.copy(KMOD_SOURCES / name, directory / name)
    return directory


def _scores(out: str) -> list[tuple[int, int, int]]:
    """(passed, total, boots) per submission from pilab's JSON (an object, or a list)."""
    try:
        data = json.loads(out)
    except ValueError:
        return []
    runs = data if isinstance(data, list) else [data]
    return [(r["score"]["passed"], r["score"]["total"], r["boots"]) for r in runs]


def _line(name: str, measured: Measured, per: int = 1) -> str:
    scores = _scores(measured.stdout)
    full = sum(p == t for p, t, _ in scores)
    boots = max((b for _, _, b in scores), default=0)
    each = f", {measured.seconds / per:.0f} s per submission" if per > 1 else ""
    return (f"  {name:16} {measured.seconds:7.1f} s{each}; peak {measured.peak / 2**20:.0f} MB "
            f"(processes' own {measured.peak_anon / 2**20:.0f} MB); "
            f"OOM kills {measured.oom_kills}; full marks {full}/{max(len(scores), per)}; "
            f"boots {boots}; exit {measured.code}")


def _why(measured: Measured) -> str:
    if measured.code in (0,) and _scores(measured.stdout):
        return ""
    return "\n".join(f"      | {line}" for line in measured.stderr.splitlines()[-8:])


def bench_grade(submissions: int, kernel: str) -> int:
    """Print the figures; 0 when every run gave full marks."""
    from pilab.vmhost.vng import MEMORY, kvm_usable

    pilab = [sys.executable, "-m", "pilab"]
    print(f"grade bench: {LAB}, kernel {kernel}, VM memory {MEMORY}, "
          f"{'KVM' if kvm_usable() else 'TCG (no KVM)'}, cold VMs (a benchmark, not a test)",
          flush=True)
    ok = True
    with tempfile.TemporaryDirectory(prefix="pilab-bench-") as tmp:
        subs = [correct_submission(Path(tmp) / f"sub{i:02}") for i in range(submissions)]
        runs = [("cold check", [*pilab, "check", LAB, str(subs[0]), "--json"], 1),
                (f"grade of {submissions}", [*pilab, "grade", LAB, *map(str, subs), "--json"],
                 submissions)]
        for budget in (FULL, PLATFORM):
            print(f" in a cgroup of {budget}:", flush=True)
            for name, argv, per in runs:
                measured = run_within([*argv, "--kernel", kernel], budget,
                                      env={COLD_ENV: "1"}, timeout=TIMEOUT)
                print(_line(name, measured, per), flush=True)
                why = _why(measured)
                if why:
                    print(why, flush=True)
                scores = _scores(measured.stdout)
                ok &= bool(scores) and all(p == t for p, t, _ in scores)
                ok &= measured.oom_kills == 0
    return 0 if ok else 1
