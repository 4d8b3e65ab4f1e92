"""``pilab grade --repeat N``: one submission checked N times, each on a fresh load.

A check whose verdict is not the same in every run is "unstable": it is reported as
such, with each run's verdict, and never silently given one of them. It scores no
point (the total still counts it): the teacher sees it flagged and decides. A check
that could not run in some run (the VM gave nothing, the --deadline) is not a
verdict: the submission is then not graded, as a single run would be.
"""

from __future__ import annotations

from dataclasses import replace

from pilab.check.host import CheckRun
from pilab.check.suite import NOT_RUN, UNSTABLE, CheckResult


def merge(runs: list[CheckRun]) -> CheckRun:
    """The runs of one submission as one: each check's shared verdict, or unstable."""
    first = runs[0]
    if len(runs) == 1:
        return first
    # The same checks in the same order: every run of a submission is one build's.
    results = [_one_verdict(list(same))
               for same in zip(*(run.results for run in runs), strict=True)]
    return replace(first, results=results, boots=max(run.boots for run in runs),
                   not_graded=next((run.not_graded for run in runs if run.not_graded), ""),
                   finished=all(run.finished for run in runs))


def _one_verdict(results: list[CheckResult]) -> CheckResult:
    """One check's results, a run each: the first, unless their statuses differ."""
    lost = next((r for r in results if r.status == NOT_RUN), None)
    if lost is not None:
        return lost
    if len({r.status for r in results}) == 1:
        return results[0]
    verdicts = "; ".join(f"run {n}: {r.status}" + (f" ({r.reason})" if r.reason else "")
                         for n, r in enumerate(results, 1))
    odd = next(r for r in results if r.status != results[0].status)
    failure = next((r for r in results if r.log), odd)
    return CheckResult(results[0].name, UNSTABLE,
                       f"not the same verdict in {len(results)} runs: {verdicts}",
                       odd.hint or results[0].hint, log=failure.log)


def unstable(run: CheckRun) -> list[str]:
    """The names of *run*'s unstable checks."""
    return [r.name for r in run.results if r.status == UNSTABLE]
