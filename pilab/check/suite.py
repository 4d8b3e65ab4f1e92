"""A lab's checks: named, bounded, each with the hint for the mistake it usually catches.

Each lab lists its own (``pilab.labs.entry(lab).checks``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from pilab.steps import FAILED, PASSED, SKIPPED

# A check pilab did not start (--deadline): it counts in the total and scores nothing,
# but says why instead of failing.
NOT_RUN = "not run"
# pilab grade --repeat: the runs gave this check different verdicts (pilab.check.repeat).
UNSTABLE = "unstable"
# How each status is marked in pilab's text output.
MARKS = {PASSED: "PASS", FAILED: "FAIL", SKIPPED: "SKIP", NOT_RUN: "NOT RUN",
         UNSTABLE: "UNSTABLE"}

# A check's bound is what it takes on an ordinary machine. One still moving past it (a
# slow or busy machine), with nothing stuck in the module's code, gets up to this many
# times as long before it counts as hung (pilab.check.guest).
SLOW_FACTOR = 2.0

if TYPE_CHECKING:
    from pilab.check.context import CheckContext
    from pilab.steps import Step


@dataclass(frozen=True)
class Check:
    """One scored check. *run* raises StepFailed (or anything) to fail it."""

    name: str
    run: Callable[[CheckContext, Step], None]
    hint: str = ""  # shown when it fails: what usually causes that
    seconds: float = 60.0  # the bound: past it, the check counts as hung
    applies: Callable[[CheckContext], str | None] = lambda ctx: None  # a reason to skip

    @property
    def longest(self) -> float:
        """Its bound on a slow machine, for a check still moving (see SLOW_FACTOR)."""
        return self.seconds * SLOW_FACTOR


@dataclass
class CheckResult:
    """How one check went; ``log`` is the kernel log excerpt of a failure."""

    name: str
    status: str = PASSED
    reason: str = ""
    hint: str = ""
    seconds: float = 0.0
    log: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # sub-steps, for a lab run
    traceback: str = ""
    lab: dict[str, Any] | None = None  # the lab run a check made (a LabResult's dict)

    @property
    def scored(self) -> bool:
        return self.status != SKIPPED

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        return cls(**data)


def failed(name: str, reason: str, hint: str = "", log: list[str] | None = None) -> CheckResult:
    return CheckResult(name, FAILED, reason, hint, log=log or [])


def not_run(name: str, reason: str) -> CheckResult:
    return CheckResult(name, NOT_RUN, reason)


def out_of_time(check: Check, deadline: float, now: float) -> CheckResult | None:
    """*check* as not run when its bound would end past *deadline* (epoch seconds)."""
    left = deadline - now
    if left >= check.seconds:
        return None
    return not_run(check.name, f"the --deadline left {max(left, 0):.0f}s and this "
                   f"check may take {check.seconds:.0f}s")


def score(results: list[CheckResult]) -> tuple[int, int]:
    """(passed, total): skipped checks do not count."""
    scored = [r for r in results if r.scored]
    return sum(r.status == PASSED for r in scored), len(scored)
