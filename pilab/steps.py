"""Named, timed lab steps with PASS/FAIL/SKIP results.

Whatever a step raises fails that step: a PilabError with its own words, any
other exception as a one-line reason with its traceback kept for --json.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from pilab.errors import PilabError
from pilab.signals import signal_of

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


class StepFailed(PilabError):
    """A step's expectation was not met; the lab goes on with its next step."""


class LabAborted(PilabError):
    """A required step failed, so the remaining steps cannot run."""


class StepSkipped(PilabError):
    """This step cannot show its point here (say why); it neither passes nor fails."""


class LabSkipped(PilabError):
    """The lab cannot run here (missing hardware); it is skipped, never passed."""


@dataclass
class Step:
    """One named step of a lab and how it went."""

    name: str
    status: str = PASSED
    reason: str = ""
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    traceback: str = ""  # set when the step crashed (an exception that is no PilabError)

    def expect(self, condition: bool, reason: str) -> None:
        """Fail this step with *reason* unless *condition* holds."""
        if not condition:
            raise StepFailed(reason)

    def note(self, **details: Any) -> None:
        """Attach measured figures to the step (shown in --json)."""
        self.details.update(details)


@dataclass
class LabResult:
    """The outcome of one lab on one board."""

    name: str
    board: str
    status: str = PASSED
    reason: str = ""
    steps: list[Step] = field(default_factory=list)
    emulated_by: str | None = None  # "vm": the board was a Pi emulated in the VM
    traceback: str = ""  # set when the lab crashed outside any step

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabResult:
        steps = [Step(**s) for s in data.get("steps", [])]
        return cls(data["name"], data["board"], data["status"], data.get("reason", ""), steps,
                   data.get("emulated_by"), data.get("traceback", ""))


def crash_reason(exc: BaseException) -> str:
    """One line for an exception pilab did not expect: its type and first line."""
    text = str(exc).strip().splitlines()
    return f"crashed: {type(exc).__name__}" + (f": {text[0]}" if text else "")


def crash_traceback(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


class StepRecorder:
    """Runs a lab's steps, times them and prints each as it ends."""

    def __init__(self, result: LabResult, out: TextIO | None = sys.stdout) -> None:
        self.result = result
        self.out = out

    @contextmanager
    def step(self, name: str, required: bool = False) -> Iterator[Step]:
        """Time a step; any exception inside it marks it FAILED.

        A failed *required* step aborts the lab: later steps are not run.
        """
        step = Step(name)
        start = time.monotonic()
        try:
            yield step
        except LabSkipped:
            raise
        except StepSkipped as exc:
            step.status, step.reason = SKIPPED, str(exc)
        except KeyboardInterrupt as exc:  # Ctrl-C or a stop signal: not a pass
            step.status, step.reason = FAILED, f"stopped by {signal_of(exc).name}"
            raise
        except PilabError as exc:
            step.status, step.reason = FAILED, str(exc)
        except Exception as exc:
            step.status, step.reason = FAILED, crash_reason(exc)
            step.traceback = crash_traceback(exc)
        finally:
            step.seconds = round(time.monotonic() - start, 3)
            self.result.steps.append(step)
            self._print(step)
        if step.status == FAILED:
            self.result.status = FAILED
            if required:
                raise LabAborted(f"step '{name}' failed")

    def _print(self, step: Step) -> None:
        if self.out is None:
            return
        mark = {PASSED: "PASS", FAILED: "FAIL", SKIPPED: "SKIP"}[step.status]
        line = f"  [{mark}] {step.name} ({step.seconds:.2f}s)"
        if step.reason:
            line += f": {step.reason}"
        print(line, file=self.out, flush=True)


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.01) -> bool:
    """Poll *predicate* until it is true or *timeout* seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
