"""Run a lab's checks where the kernel is (in the VM, or on the Pi), one fresh board each.

Progress goes two ways: marker lines on stdout, which the host watches to
bound each check, and a results file rewritten (and synced) after every
check, so whatever the kernel does next, the host knows what was done.
A guest-side watchdog reboots the VM when a check overruns its bound while
the kernel still runs and a call into the module does not return (an rmmod
that waits forever); a check only slowed by a busy machine gets longer.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

from pilab.check.context import CheckContext
from pilab.check.suite import MARKS, Check, CheckResult, out_of_time
from pilab.kernel.klog import LogCursor
from pilab.kernel.modules import last_returned, loaded, oldest_call
from pilab.kernel.stuck import inside
from pilab.steps import FAILED, SKIPPED, LabResult, StepRecorder
from pilab.vmhost.vng import COMMAND_FILE

MARK = "@@pilab-check"
LOG_EXCERPT = 20  # kernel-log lines kept with a failure
HANG_GRACE = 10.0  # seconds past a check's bound before the watchdog reboots
# A load or unload this long, or a task inside the module's code with none returning:
# stuck. Longer than any bottom half a check waits for (two of 10 s at the most).
STALL_SECONDS = 60.0
FLOOD_LINES = 2000  # kernel-log lines one check may cause
OWN_FILES = ("jobs.json", "progress.json", "progress.tmp")  # pilab's, in the run's directory
# and the guest's command (pilab.vmhost.vng.exec_argument), named *COMMAND_FILE
BEAT_SECONDS = 2.0  # the heartbeat: a frozen kernel falls silent (see pilab.check.host)
INPUT_CLASS = Path("/sys/class/input")
_MARKING = threading.Lock()


def marker(kind: str, name: str, seconds: float = 0.0) -> None:
    """``@@pilab-check <kind> <seconds> <check name>`` on stdout, for the host: one
    write, so the heartbeat's line never cuts into another."""
    with _MARKING:
        sys.stdout.write(f"{MARK} {kind} {seconds:.0f} {name}\n")
        sys.stdout.flush()


def _heartbeat(stop: threading.Event) -> None:
    """A line every BEAT_SECONDS while the checks run: silence means the kernel froze."""
    while not stop.wait(BEAT_SECONDS):
        marker("beat", "-")


def excerpt(log: LogCursor) -> list[str]:
    """The last kernel-log lines since the check began."""
    log.poll()
    return [f"[{r.usec / 1e6:12.6f}] {r.text}" for r in log.records[-LOG_EXCERPT:]]


def run_check(ctx: CheckContext, check: Check) -> CheckResult:
    """One check on a fresh board; then cleanup, then the kernel-health gate."""
    skip = check.applies(ctx)
    if skip:
        return CheckResult(check.name, SKIPPED, skip)
    lab = LabResult(ctx.lab, ctx.board_name)
    recorder = StepRecorder(lab, out=None)
    start = time.monotonic()
    board = ctx.board = ctx.new_board()
    log = board.open_log()
    with recorder.step(check.name) as step:
        board.setup(ctx.wiring())
        check.run(ctx, step)
    with recorder.step("cleanup: everything the check loaded unloads"):
        board.teardown()
    with recorder.step("kernel healthy"):
        log.check_health()
    with recorder.step("kernel log within bounds") as step:
        log.poll()
        step.expect(log.seen <= FLOOD_LINES, f"the kernel log flooded: {log.seen} lines during "
                    f"this check (the bound is {FLOOD_LINES}); printk in a loop or on every "
                    "event needs a rate limit (pr_info_ratelimited)")
    result = CheckResult(check.name, seconds=round(time.monotonic() - start, 3),
                         details=[str(d) for d in lab.steps[0].details.get("steps", [])],
                         lab=lab.steps[0].details.get("lab_result"))
    failures = [s for s in lab.steps if s.status == FAILED]
    if failures:
        first = failures[0]
        result.status, result.reason, result.hint = FAILED, first.reason, check.hint
        if first is not lab.steps[0]:
            result.reason = f"{first.name}: {first.reason}"
        result.traceback = first.traceback
        result.log = excerpt(log)
    log.close()
    return result


class Progress:
    """The results file: each job's results so far, and which check is running."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.results: dict[str, list[CheckResult]] = {}
        self.running: tuple[str, str] | None = None  # (job, check)
        self.down: str | None = None  # the job whose check is ending this boot

    def save(self) -> None:
        data = {"running": self.running, "down": self.down,
                "results": {job: [r.to_dict() for r in rs] for job, rs in self.results.items()}}
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


def hung_reason(call: tuple[str, float] | None, stuck: list[str], quiet: float,
                elapsed: float, longest: float) -> str | None:
    """Past a check's bound: why it counts as hung now, or None while it is only slow.

    *call*: the load or unload under way and its seconds so far (pilab.kernel.modules);
    *stuck*: the tasks inside the module's code (pilab.kernel.stuck); *quiet*: seconds
    since a load or unload last returned; *elapsed*: the check's time so far;
    *longest*: its bound on a slow machine (Check.longest). Hung: a load or unload under
    way for STALL_SECONDS, or a task inside the module's code with none returning for
    as long (a read that never wakes), or the check past *longest*. A check still moving
    on a slow machine gets that long: a verdict must not depend on the machine's speed.
    """
    where = f": {stuck[0]}" if stuck else ""
    if call is not None and call[1] >= STALL_SECONDS:
        return f"hung: {call[0]} did not return in {call[1]:.0f}s{where}"
    if stuck and quiet >= STALL_SECONDS:
        return f"hung: a call into the module never returned (after {elapsed:.0f}s){where}"
    if elapsed >= longest + HANG_GRACE:
        return f"hung: no result within {longest + HANG_GRACE:.0f}s{where}"
    return None


def _call_so_far() -> tuple[str, float] | None:
    call = oldest_call()
    return None if call is None else (call[0], time.monotonic() - call[1])


def _watchdog(progress: Progress, job: str, check: Check, modules: list[str],
              done: threading.Event) -> None:
    """Reboot the VM if *check* overruns its bound and is stuck: its result is 'hung'."""
    started = time.monotonic()
    if done.wait(check.seconds + HANG_GRACE):
        return
    while (why := hung_reason(_call_so_far(), inside(modules),
                              time.monotonic() - last_returned(),
                              time.monotonic() - started, check.longest)) is None:
        if done.wait(1.0):
            return
    progress.results.setdefault(job, []).append(CheckResult(check.name, FAILED, why,
                                                            check.hint))
    progress.running, progress.down = None, job
    progress.save()
    marker("hung", check.name)
    with open("/proc/sysrq-trigger", "w") as f:  # reboot now: the VM exits
        f.write("b")


def _no_stray_files(result: CheckResult, scratch: Path) -> None:
    """Fail *result* if something other than pilab wrote into the run's directory.

    It is the one directory the VM writes back to the host: a module that
    writes files there (from the kernel, no permission applies) fails the
    check, and what it wrote is removed before the next check.
    """
    stray = sorted(p.name for p in scratch.iterdir()
                   if p.name not in OWN_FILES and not p.name.endswith(COMMAND_FILE))
    if not stray:
        return
    for name in stray:
        path = scratch / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    why = (f"files appeared in pilab's run directory (the one place the VM may write on "
           f"the host) during this check: {', '.join(stray[:5])}; a module must not write files")
    result.reason = why if result.status != FAILED else f"{result.reason}; and {why}"
    result.status = FAILED


def leftovers(jobs: dict[str, tuple[CheckContext, list[str]]]) -> list[str]:
    """Modules a check loaded that would not unload (a leaked IRQ or line pins them)."""
    names = {"vgpio", *(m for ctx, _ in jobs.values() for m in ctx.modules)}
    return sorted(name for name in names if loaded(name))


def input_devices() -> set[str]:
    """The input devices there are, by sysfs name: a listing reads no device's attributes,
    which for a device its module leaked would read freed memory."""
    return {p.name for p in INPUT_CLASS.glob("input[0-9]*")}


def restart(progress: Progress, left: list[str]) -> None:
    """The last check left *left* behind (modules loaded, input devices of a module that
    is gone): every later check would trip on it. Reboot: the host starts the VM again
    for the checks not yet run."""
    progress.running = None
    progress.save()
    marker("restart", f"left behind: {', '.join(left)}")
    with open("/proc/sysrq-trigger", "w") as f:
        f.write("b")


def run_jobs(jobs: dict[str, tuple[CheckContext, list[str]]], results_file: Path,
             in_vm: bool = True, deadline: float | None = None) -> dict[str, list[CheckResult]]:
    """Run each job's named checks in the lab's order, saving after every check.

    *deadline* (epoch seconds): a check whose bound would end past it is not started.
    """
    progress = Progress(results_file)
    stop_beat = threading.Event()
    if in_vm:
        threading.Thread(target=_heartbeat, args=(stop_beat,), daemon=True).start()
    try:
        _run_each(jobs, progress, results_file, in_vm, deadline)
    finally:
        stop_beat.set()
    return progress.results


def _run_each(jobs: dict[str, tuple[CheckContext, list[str]]], progress: Progress,
              results_file: Path, in_vm: bool, deadline: float | None) -> None:
    # Input devices the last check left after its teardown unloaded everything: a
    # module that never unregistered its device. udev reads such a device's attributes
    # sooner or later, through pointers into the module that is gone: an Oops in some
    # later check. A restart keeps that check's grade its own.
    leaked: set[str] = set()
    for job, (ctx, names) in jobs.items():
        for check in ctx.entry.checks:
            if check.name not in names:
                continue
            late = out_of_time(check, deadline, time.time()) if deadline else None
            if late is not None:
                progress.results.setdefault(job, []).append(late)
                progress.save()
                marker("end", check.name)
                continue
            left = leftovers(jobs) if in_vm else []
            left += [f"input device {name}" for name in sorted(leaked)]
            if left:
                restart(progress, left)
                time.sleep(60)  # the reboot takes the VM down meanwhile
            progress.running = (job, check.name)
            progress.save()
            marker("start", check.name, check.longest + HANG_GRACE)
            done = threading.Event()
            if in_vm:
                threading.Thread(target=_watchdog, args=(progress, job, check, ctx.modules,
                                                         done), daemon=True).start()
            inputs = input_devices() if in_vm else set()
            result = run_check(ctx, check)
            leaked = input_devices() - inputs if in_vm else set()
            done.set()
            if in_vm:
                _no_stray_files(result, results_file.parent)
            progress.results.setdefault(job, []).append(result)
            progress.running = None
            progress.save()
            marker("end", check.name)
            print(f"  [{MARKS[result.status]}] {job}: {check.name}", file=sys.stderr, flush=True)


def run_jobs_file(jobs_file: Path, results_file: Path, in_vm: bool = True) -> None:
    """The guest's entry: jobs as the host wrote them (see pilab.check.host)."""
    from pilab.labs import entry

    spec = json.loads(jobs_file.read_text())
    jobs = {job: (CheckContext(entry(item["lab"]), Path(item["module_dir"]), item["modules"],
                               item["params"], item["board"], item["model"]), item["checks"])
            for job, item in spec.items()}
    deadlines = [item["deadline"] for item in spec.values() if item.get("deadline")]
    run_jobs(jobs, results_file, in_vm, min(deadlines) if deadlines else None)
