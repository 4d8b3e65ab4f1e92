"""``pilab check`` from the host: build, boot, watch each check, start again after a crash."""

from __future__ import annotations

import json
import shutil
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from pilab.check.guest import MARK
from pilab.check.interface import interface_check
from pilab.check.kbuild import BuildResult, build_submission
from pilab.check.submission import Submission, gather
from pilab.check.suite import NOT_RUN, Check, CheckResult, failed, not_run, out_of_time
from pilab.errors import ConfigError, VmError
from pilab.kernel.build import module_dir
from pilab.kernel.klog import crash_excerpt
from pilab.kernel.modinfo import ko_params
from pilab.labs import entry
from pilab.steps import PASSED
from pilab.vmhost.kernels import DEFAULT, VmKernel
from pilab.vmhost.launch import run_in_vm
from pilab.vmhost.session import prepare_kernel, scratch_dir

CONSOLE_LINES = 400  # what is kept of the VM's console, for crash excerpts
CRASH_EXCERPT = 25
BOOT_SECONDS = 300  # a boot, on top of the checks' own bounds
MAX_DOWNS = 3  # crashes/freezes one submission may cause; past that its other checks fail
HOST_GRACE = 40.0  # past a check's bound and the guest's own watchdog: the kernel froze
# The guest beats every 2 s while its checks run (pilab.check.guest): this long
# without a line from it, the kernel froze. A module spinning with interrupts off
# stopped the VM after 30 s instead of after its check's whole bound (130 s).
SILENT_SECONDS = 30.0
# --deadline: what is kept back for the host to see a check's end and write the results
# (and for the guest's clock to differ from the host's).
DEADLINE_MARGIN = 5.0
PENDING = "pilab ended before it ran"  # in the results written as checks end


@dataclass
class CheckRun:
    """Everything ``pilab check`` reports about one submission (or the kit's module)."""

    lab: str
    sources: list[str]
    kernel: str
    board: str
    results: list[CheckResult] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # the submission's build files
    boots: int = 0
    not_graded: str = ""  # why pilab could not grade it (the VM failed), if it could not
    finished: bool = False  # every check has its result (not so while the checks run)

    @property
    def why_not_graded(self) -> str:
        """Why this run is no grade ('' when it is one): pilab failed, or a check could not
        run (the VM gave nothing, the --deadline). A check the module failed is a grade."""
        return self.not_graded or next((r.reason for r in self.results
                                        if r.status == NOT_RUN), "")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "results": [r.to_dict() for r in self.results]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckRun:
        return cls(**{**data, "results": [CheckResult.from_dict(r) for r in data["results"]]})


class Console:
    """The VM's output as it comes: kept for crash excerpts, watched for check markers."""

    def __init__(self, out: TextIO | None, on_end: Callable[[], None] | None = None) -> None:
        self.lines: deque[str] = deque(maxlen=CONSOLE_LINES)
        self.out = out
        self.on_end = on_end  # called as each check ends (its result saved by the guest)
        self.current: tuple[str, float] | None = None  # the running check and its deadline
        self.heard = time.monotonic()  # the guest's last line
        self._partial = b""

    def write(self, data: bytes) -> int:
        self._partial += data
        *lines, self._partial = self._partial.split(b"\n")
        for raw in lines:
            self._line(raw.decode(errors="replace").rstrip("\r"))
        return len(data)

    def flush(self) -> None:
        pass

    def _line(self, line: str) -> None:
        self.heard = time.monotonic()
        if line.startswith(MARK):
            kind, seconds, name = ([*line.split(maxsplit=3)[1:], "", "", ""])[:3]
            if kind == "beat":
                return
            self.lines.append(line)
            if kind == "start" and seconds.isdigit():
                self.current = (name, time.monotonic() + float(seconds) + HOST_GRACE)
            else:
                self.current = None
            if kind in ("end", "hung") and self.on_end is not None:
                self.on_end()
            return
        self.lines.append(line)
        if self.out is not None and line.startswith("  ["):
            print(line, file=self.out, flush=True)

    def overdue(self) -> str | None:
        """The watchdog: a check well past its bound, or a guest silent for SILENT_SECONDS
        while a check runs, means the kernel froze."""
        if self.current is None:
            return None
        now = time.monotonic()
        if now > self.current[1]:
            return f"check '{self.current[0]}' gave no result in time: the kernel froze"
        if now - self.heard > SILENT_SECONDS:
            return (f"check '{self.current[0]}': the guest fell silent for "
                    f"{SILENT_SECONDS:.0f}s: the kernel froze")
        return None

    def crash_excerpt(self) -> list[str]:
        """The console lines since the last check began, kernel trouble first."""
        lines = list(self.lines)
        starts = [i for i, line in enumerate(lines) if line.startswith(f"{MARK} start")]
        tail = [line for line in lines[starts[-1] + 1 if starts else 0:]
                if line.strip() and not line.startswith(MARK)]
        return crash_excerpt(tail, CRASH_EXCERPT)


def _prepare(lab: str, sources: list[Path] | None, release: str, run: CheckRun,
             kernel: VmKernel | None) -> tuple[Path, list[str], BuildResult | None]:
    """Build the submission (or the kit); the module dir and the modules in load order.

    A lab of one module takes one .c file of any name; a lab of more, those modules' files.
    """
    kit = list(entry(lab).modules)
    if not sources:  # grade_lab built the kit
        return module_dir(release), kit, None
    submission: Submission = gather(sources)
    run.ignored = list(submission.ignored)
    wanted = kit if len(kit) > 1 else None
    if wanted is not None and sorted(submission.modules) != sorted(wanted):
        raise ConfigError(f"the {lab} lab takes {' and '.join(f'{m}.c' for m in wanted)}; "
                          f"got {', '.join(f'{m}.c' for m in submission.modules)}")
    if wanted is None and len(submission.modules) != 1:
        raise ConfigError(f"the {lab} lab takes one .c file (one module); got "
                          f"{', '.join(f'{m}.c' for m in submission.modules)}")
    built = build_submission(submission, release, kernel=kernel)
    assert built.directory is not None
    return built.directory, wanted or submission.modules, built


def _build_result(lab: str, built: BuildResult | None, ignored: list[str]) -> CheckResult:
    if built is None:
        return CheckResult("builds", PASSED, "the kit's own module")
    note = f" (ignored, never run: {', '.join(ignored)})" if ignored else ""
    if built.ok:
        return CheckResult("builds", PASSED, "Kbuild written by pilab" + note)
    from pilab.kernel.buildhints import hints_for

    hints = hints_for(built.output)
    where = [f"(docs/labs/{lab}.md, \"Checking the guide's own code\", lists these breaks)"]
    return failed("builds", "the compiler said:\n    " + "\n    ".join(built.errors) + note,
                  " ".join(hints + where if hints else []), log=[])


@dataclass
class Job:
    """One submission on its way: built, its interface known, checks to run in the VM."""

    run: CheckRun
    directory: Path
    modules: list[str]
    params: dict[str, str]
    model: str | None
    built: BuildResult | None
    todo: list[str] = field(default_factory=list)
    results: dict[str, CheckResult] = field(default_factory=dict)
    downs: int = 0  # times one of its checks ended the VM


def check_names(lab: str) -> list[str]:
    """Every check a run of *lab* has, in order: builds, interface, then the lab's own (the
    columns of a grade table, the names a weights file may give points to)."""
    return ["builds", "interface", *(c.name for c in entry(lab).checks)]


def prepare_job(lab: str, sources: list[Path] | None, release: str, board: str = "vm",
                model: str | None = None, kernel: VmKernel | None = None) -> Job:
    """Build a submission (or the kit's module) and settle what is left to check.

    *kernel*: where *release*'s headers are when they are not installed (see build()).
    """
    names = [str(p) for p in sources] if sources else ["(pilab's own module)"]
    run = CheckRun(lab, names, release, board)
    checks = [c.name for c in entry(lab).checks]
    try:
        directory, modules, built = _prepare(lab, sources, release, run, kernel)
    except ConfigError as exc:  # not this lab's files: no build, nothing to check
        run.results.append(failed("builds", str(exc)))
        run.results += [failed(name, "not run: the module did not build")
                        for name in ["interface", *checks]]
        return Job(run, Path(), [], {}, model, None)
    job = Job(run, directory, modules, {}, model, built)
    run.results.append(_build_result(lab, built, run.ignored))
    if built is not None and not built.ok:  # every run has the same columns in a grade table
        run.results += [failed(name, "not run: the module did not build")
                        for name in ["interface", *checks]]
        return job
    job.params = ko_params(directory / f"{modules[-1]}.ko")
    interface = interface_check(entry(lab).interface, job.params, board, model)
    run.results.append(interface)
    if interface.status != PASSED:
        run.results += [failed(name, "not run: the module's interface is not the lab's")
                        for name in checks]
        return job
    job.todo = checks
    return job


def so_far(job: Job) -> CheckRun:
    """The job's run as it stands: the checks done, the others pending (not run yet)."""
    results = list(job.run.results)
    for check in entry(job.run.lab).checks:
        if check.name in job.results:
            results.append(job.results[check.name])
        elif check.name in job.todo:
            results.append(not_run(check.name, PENDING))
    finished = all(name in job.results for name in job.todo)
    return replace(job.run, results=results, finished=finished)


def finish_job(job: Job) -> CheckRun:
    """The job's results in the lab's order; its build directory removed."""
    names = [c.name for c in entry(job.run.lab).checks]
    job.run.results += [job.results[name] for name in names if name in job.results]
    job.run.finished = True
    if job.built is not None and job.built.directory is not None:
        shutil.rmtree(job.built.directory, ignore_errors=True)
    return job.run


@dataclass(frozen=True)
class Deadline:
    """``--deadline``: no check starts that could end past *at* (epoch seconds, less the
    margin); *seconds* is what was asked, for the reasons."""

    at: float
    seconds: float

    def late(self, check: Check) -> CheckResult | None:
        """*check* as not run, if its bound no longer fits."""
        return out_of_time(check, self.at - DEADLINE_MARGIN, time.time())


Progress = Callable[[list[CheckRun]], None]  # given every run so far, after each check


def check_lab(lab: str, sources: list[Path] | None = None, board: str = "vm",
              model: str | None = None, out: TextIO | None = sys.stderr,
              kernel: str = DEFAULT, deadline: Deadline | None = None,
              progress: Progress | None = None) -> CheckRun:
    """Build and check one submission of *lab* on the ``--kernel`` choice *kernel*."""
    return grade_lab(lab, [sources], board, model, out, kernel, deadline, progress)[0]


def grade_lab(lab: str, submissions: list[list[Path] | None], board: str = "vm",
              model: str | None = None, out: TextIO | None = sys.stderr,
              kernel: str = DEFAULT, deadline: Deadline | None = None,
              progress: Progress | None = None) -> list[CheckRun]:
    """Check every submission, in as few boots as the crashes allow."""
    return grade_many([(lab, sources) for sources in submissions], board, model, out, kernel,
                      deadline, progress)


def grade_many(items: list[tuple[str, list[Path] | None]], board: str = "vm",
               model: str | None = None, out: TextIO | None = sys.stderr,
               kernel: str = DEFAULT, deadline: Deadline | None = None,
               progress: Progress | None = None, repeat: int = 1) -> list[CheckRun]:
    """Check submissions of any labs, (lab, sources) each, all in the same VM boots.

    *deadline*: checks that could end past it are not started (each says so);
    *progress*: told every run so far whenever a check ends, and before the first boot;
    *repeat*: each submission's checks run that many times, each time on a fresh load of
    the same build: the runs come back *repeat* by *repeat*, in the items' order.
    """
    for lab in dict.fromkeys(lab for lab, _ in items):
        entry(lab)  # an unknown lab is named before anything is fetched or built
    # The kit's modules too: vgpio (the VM's GPIO header), or the module itself.
    chosen = prepare_kernel(kernel)
    jobs: dict[str, Job] = {}
    try:
        for index, (lab, sources) in enumerate(items):
            job = prepare_job(lab, sources, chosen.release, board, model, kernel=chosen)
            jobs[f"s{index}"] = job
            for again in range(1, repeat):
                jobs[f"s{index}r{again}"] = _again(job)
        if any(job.todo for job in jobs.values()):
            _run_in_vm(jobs, chosen.vmlinuz, out, deadline, progress)
        return [finish_job(job) for job in jobs.values()]
    finally:
        for job in jobs.values():
            if job.built is not None and job.built.directory is not None:
                shutil.rmtree(job.built.directory, ignore_errors=True)


def _again(job: Job) -> Job:
    """Another run of *job*'s checks on the same build (which the first job removes)."""
    run = replace(job.run, results=list(job.run.results), ignored=list(job.run.ignored))
    return Job(run, job.directory, job.modules, job.params, job.model, None, list(job.todo))


def _jobs_spec(jobs: dict[str, Job], deadline: Deadline | None) -> dict[str, Any]:
    at = deadline.at - DEADLINE_MARGIN if deadline else None
    return {key: {"lab": job.run.lab, "module_dir": str(job.directory), "modules": job.modules,
                  "params": job.params, "board": job.run.board, "model": job.model,
                  "checks": job.todo, "deadline": at}
            for key, job in jobs.items() if job.todo}


def _out_of_time(jobs: dict[str, Job], deadline: Deadline | None) -> bool:
    """Mark the checks whose bound no longer fits before *deadline* as not run; True when
    none is left to run."""
    if deadline is not None:
        for job in jobs.values():
            for check in entry(job.run.lab).checks:
                late = deadline.late(check) if check.name in job.todo else None
                if late is not None:
                    job.results[check.name] = late
            job.todo = [name for name in job.todo if name not in job.results]
    return not any(job.todo for job in jobs.values())


def _read_progress(path: Path, jobs: dict[str, Job]) -> dict[str, Any]:
    """The guest's results file, its results taken into the jobs (none if it is not there)."""
    try:
        progress: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"running": None, "results": {}}
    for key, items in progress["results"].items():
        for item in items:
            jobs[key].results[item["name"]] = CheckResult.from_dict(item)
    return progress


def _run_in_vm(jobs: dict[str, Job], vmlinuz: Path, out: TextIO | None,
               deadline: Deadline | None = None, report: Progress | None = None) -> None:
    """Boot as often as crashes need; a crash fails only the check it happened in."""
    boots = 0

    def tell() -> None:
        if report is not None:
            report([so_far(job) for job in jobs.values()])

    tell()
    while not _out_of_time(jobs, deadline):
        boots += 1
        bound = BOOT_SECONDS + sum(c.longest for job in jobs.values()
                                   for c in entry(job.run.lab).checks if c.name in job.todo)
        if deadline is not None:  # the host's own stop, should the guest's clock be wrong
            bound = max(1.0, min(bound, deadline.at - time.time()))
        models = {job.model for job in jobs.values() if job.todo}
        model = models.pop() if len(models) == 1 else None
        with scratch_dir() as scratch:
            jobs_file, progress_file = scratch / "jobs.json", scratch / "progress.json"

            def check_ended(path: Path = progress_file) -> None:
                _read_progress(path, jobs)
                tell()

            console = Console(out, on_end=check_ended)
            jobs_file.write_text(json.dumps(_jobs_spec(jobs, deadline)))
            argv = [sys.executable, "-m", "pilab", "_check", str(jobs_file),
                    "--json-out", str(progress_file)]
            try:
                code = run_in_vm(vmlinuz, argv, [scratch], cwd=scratch, out=console,
                                 model=model, kernel_console=True, watchdog=console.overdue,
                                 timeout=bound)
            except VmError:
                if deadline is None or time.time() < deadline.at:
                    raise
                code = -signal.SIGKILL  # the deadline came while a check ran
            progress = _read_progress(progress_file, jobs)
        for job in jobs.values():
            job.run.boots = boots
        down = progress.get("down")
        if progress["running"] and deadline is not None and time.time() >= deadline.at:
            key, name = progress["running"]
            jobs[key].results[name] = not_run(name, f"stopped: the --deadline of "
                                              f"{deadline.seconds:g}s came while it ran")
            progress["running"] = None
        if progress["running"]:
            down, name = progress["running"]
            jobs[down].results[name] = failed(name, _down_reason(code, console),
                                              _hint(jobs[down].run.lab, name),
                                              console.crash_excerpt())
        if down:
            job = jobs[down]
            job.downs += 1
            if job.downs >= MAX_DOWNS:  # the others' checks are not held hostage
                for name in job.todo:
                    job.results.setdefault(name, failed(
                        name, f"not run: this module took the kernel down {job.downs} times"))
        progressed = False
        for job in jobs.values():
            before = len(job.todo)
            job.todo = [name for name in job.todo if name not in job.results]
            progressed |= len(job.todo) < before
        if not progressed:  # nothing ran: the VM itself failed
            for job in jobs.values():
                for name in job.todo:
                    job.results[name] = CheckResult(  # the VM's failure, not the module's
                        name, NOT_RUN, f"the VM gave no result (exit code {code})",
                        log=console.crash_excerpt())
                job.todo = []
        tell()


def _down_reason(code: int, console: Console) -> str:
    """Why the VM ended in the middle of a check, as far as its console tells."""
    again = "; pilab started the VM again for the rest"
    killed = [line.split("Out of memory:", 1)[1].strip() for line in console.lines
              if "Out of memory:" in line]
    if killed:
        return (f"the kernel ran out of memory during this check (the OOM killer: "
                f"{killed[0][:120]}){again}")
    froze = code == -signal.SIGKILL
    return (f"the kernel {'froze' if froze else 'crashed'} during this check (the VM ended "
            f"with code {code}){again}")


def _hint(lab: str, name: str) -> str:
    return next((c.hint for c in entry(lab).checks if c.name == name), "")
