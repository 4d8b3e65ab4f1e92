"""pilab check's results in the formats graders read.

text and json are pilab's own (report.py); the others are what a grading
platform takes: Gradescope's and PrairieLearn's ``results.json``, GitHub
Classroom's ``Total points: X/Y`` and exit code, vmchecker-next's marked block
and Moodle VPL's ``Comment :=>>``/``Grade :=>>`` lines. A check is one platform
test worth its points (``--weights``; one each by default): the reason and hint
are the test's output, the kernel's words (the failure's log excerpt) its failure.
"""

from __future__ import annotations

import os
import shlex
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilab.errors import ConfigError
from pilab.output import to_json
from pilab.steps import FAILED, PASSED, SKIPPED

if TYPE_CHECKING:  # the CLI imports FORMATS for its parser: nothing heavy at import
    from pilab.check.host import CheckRun
    from pilab.check.suite import CheckResult

FORMATS = ("text", "json", "gradescope", "prairielearn", "classroom", "vmchecker", "vpl")
FORMAT_HELP = (
    "text (default); json; gradescope and prairielearn: their results.json; classroom: "
    "'Total points: X/Y', exit 0 only at full marks; vmchecker: vmchecker-next's "
    "<VMCK_NEXT_BEGIN> block ending 'Total: N', N the grade scaled to 0..100; vpl: Moodle "
    "VPL's 'Comment :=>>' lines and 'Grade :=>> N', N scaled to 0..100")
# Where a platform's own runner looks for the results, when pilab runs there.
PLATFORM_FILES = {"gradescope": Path("/autograder/results/results.json"),
                  "prairielearn": Path("/grade/results/results.json")}
SOURCES_OF_THE_KIT = "(pilab's own module)"

Weights = dict[str, float]


@dataclass(frozen=True)
class Scored:
    """One check as a platform test: its result, the points it earned and could earn."""

    result: CheckResult
    points: float
    max_points: float

    @property
    def passed(self) -> bool:
        return self.result.status in (PASSED, SKIPPED)


def load_weights(path: Path, names: list[str]) -> Weights:
    """Points per check from a TOML file of ``"check name" = points``; a ConfigError for
    anything else (an unknown check is listed with the real names)."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"--weights {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"--weights {path} is not TOML: {exc}") from None
    unknown = [name for name in data if name not in names]
    if unknown:
        raise ConfigError(f"--weights {path}: no check named {', '.join(map(repr, unknown))}; "
                          f"the checks are: {', '.join(map(repr, names))}")
    weights: Weights = {}
    for name, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"--weights {path}: {name!r} = {value!r}: points are a number "
                              "of 0 or more")
        weights[name] = float(value)
    return weights


def scored(run: CheckRun, weights: Weights | None = None) -> list[Scored]:
    """Every check with its points: a skipped check is worth none."""
    items = []
    for result in run.results:
        worth = 0.0 if result.status == SKIPPED else (weights or {}).get(result.name, 1.0)
        items.append(Scored(result, worth if result.status == PASSED else 0.0, worth))
    return items


def totals(items: list[Scored]) -> tuple[float, float]:
    """(points earned, points possible)."""
    return sum(i.points for i in items), sum(i.max_points for i in items)


def percent(items: list[Scored]) -> int:
    """The grade on 0..100 (0 when nothing could be earned)."""
    earned, possible = totals(items)
    return round(100 * earned / possible) if possible else 0


def reproduce(run: CheckRun) -> str:
    """The command that runs these checks again on one's own machine."""
    sources = [] if run.sources == [SOURCES_OF_THE_KIT] else run.sources
    return shlex.join(["pilab", "check", run.lab, *sources])


def build_failure(run: CheckRun) -> CheckResult | None:
    """The builds check, when it failed: nothing else ran."""
    builds = next((r for r in run.results if r.name == "builds"), None)
    return builds if builds is not None and builds.status == FAILED else None


def test_output(result: CheckResult, run: CheckRun) -> str:
    """What a test shows: its status and reason, the hint; a failed build's command."""
    from pilab.check import report

    lines = [f"{report.MARKS.get(result.status, result.status.upper())}: {result.reason}"
             if result.reason else report.MARKS.get(result.status, result.status.upper())]
    if result.status == FAILED and result.hint:
        lines.append(f"hint: {result.hint}")
    if result.name == "builds" and result.status == FAILED:
        lines.append(f"to see it on your machine: {reproduce(run)}")
    return "\n".join(lines)


def kernel_words(result: CheckResult) -> str:
    """The failure's kernel log excerpt, as the kernel said it."""
    return "\n".join(result.log)


def _with_log(result: CheckResult, run: CheckRun) -> str:
    words = kernel_words(result)
    return test_output(result, run) + (f"\nkernel log:\n{words}" if words else "")


def gradescope(run: CheckRun, weights: Weights | None = None) -> dict[str, Any]:
    """Gradescope's results.json: one test per check, its output with the kernel's words."""
    items = scored(run, weights)
    earned, possible = totals(items)
    return {
        "score": earned,
        "output": f"pilab check {run.lab} on kernel {run.kernel}: {earned:g}/{possible:g} "
                  "points",
        "visibility": "visible",
        "tests": [{"name": i.result.name, "score": i.points, "max_score": i.max_points,
                   "status": "passed" if i.passed else "failed",
                   "output": _with_log(i.result, run), "visibility": "visible"}
                  for i in items],
    }


def prairielearn(run: CheckRun, weights: Weights | None = None) -> dict[str, Any]:
    """PrairieLearn's results.json; a module that does not build is not gradable."""
    items = scored(run, weights)
    earned, possible = totals(items)
    failure = build_failure(run)
    if failure is not None:
        return {"gradable": False, "score": 0.0, "tests": [],
                "message": f"the module did not build: {failure.reason}\n"
                           f"to see it on your machine: {reproduce(run)}"}
    return {
        "gradable": True,
        "score": earned / possible if possible else 0.0,
        "message": f"pilab check {run.lab} on kernel {run.kernel}: {earned:g}/{possible:g} "
                   "points",
        "tests": [{"name": i.result.name, "points": i.points, "max_points": i.max_points,
                   "message": test_output(i.result, run), "output": kernel_words(i.result)}
                  for i in items],
    }


def classroom(run: CheckRun, weights: Weights | None = None) -> str:
    """GitHub Classroom: pilab's text, then ``Total points: X/Y``."""
    from pilab.check import report

    earned, possible = totals(scored(run, weights))
    return f"{report.render_text(run)}\nTotal points: {earned:g}/{possible:g}"


def vmchecker(run: CheckRun, weights: Weights | None = None) -> str:
    """vmchecker-next: pilab's text between its markers, ``Total: N`` (0..100) last."""
    items = scored(run, weights)
    earned, possible = totals(items)
    body = "\n".join(f"{i.result.name}: {i.points:g}/{i.max_points:g}\n  "
                     + _with_log(i.result, run).replace("\n", "\n  ") for i in items)
    return (f"<VMCK_NEXT_BEGIN>\npilab check {run.lab} on kernel {run.kernel}: "
            f"{earned:g}/{possible:g} points\n{body}\nTotal: {percent(items)}\n<VMCK_NEXT_END>")


def vpl(run: CheckRun, weights: Weights | None = None) -> str:
    """Moodle VPL: a ``Comment :=>>`` title per check with its lines, ``Grade :=>> N``
    (0..100) last."""
    items = scored(run, weights)
    lines = []
    for i in items:
        lines.append(f"Comment :=>>- {i.result.name} ({i.points:g}/{i.max_points:g})")
        lines += [f"Comment :=>>{line}" for line in _with_log(i.result, run).splitlines()]
    lines.append(f"Grade :=>> {percent(items)}")
    return "\n".join(lines)


def render(run: CheckRun, fmt: str, weights: Weights | None = None) -> str:
    """*run* in the format *fmt* (one of FORMATS)."""
    from pilab.check import report

    if fmt == "text":
        return report.render_text(run)
    if fmt == "json":
        earned, possible = totals(scored(run, weights))
        return to_json({**report.as_dict(run), "points": {"earned": earned,
                                                          "possible": possible}})
    if fmt == "gradescope":
        return to_json(gradescope(run, weights))
    if fmt == "prairielearn":
        return to_json(prairielearn(run, weights))
    renderers = {"classroom": classroom, "vmchecker": vmchecker, "vpl": vpl}
    if fmt not in renderers:
        raise ConfigError(f"no format {fmt!r}; formats: {', '.join(FORMATS)}")
    return renderers[fmt](run, weights)


def full_marks(run: CheckRun, weights: Weights | None = None) -> bool:
    earned, possible = totals(scored(run, weights))
    return earned == possible


def default_output(fmt: str) -> Path | None:
    """The platform's own results file, where pilab runs on that platform."""
    path = PLATFORM_FILES.get(fmt)
    return path if path is not None and path.parent.is_dir() else None


def write_atomically(path: Path, text: str) -> None:
    """*text* into *path* through a temporary file, synced, and a rename: a reader (or a
    SIGKILL, or the machine going down) never sees half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text if text.endswith("\n") else text + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself on disk
    finally:
        os.close(directory)
