"""Run labs on a board here and collect their results.

Nothing a lab does can stop the next one: every exception fails that lab
(with its traceback kept), and the board is torn down whatever happened.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TextIO

from pilab.boards import Board, make_board
from pilab.errors import PilabError
from pilab.labs import lab_named, model_of_module
from pilab.signals import stop_on_signals
from pilab.steps import (
    FAILED,
    SKIPPED,
    LabResult,
    LabSkipped,
    StepRecorder,
    crash_reason,
    crash_traceback,
)
from pilab.wiring.continuity import require_wiring


def _fail(result: LabResult, exc: Exception, prefix: str = "") -> None:
    result.status = FAILED
    if isinstance(exc, PilabError):
        result.reason = prefix + str(exc)
    else:
        result.reason = prefix + crash_reason(exc)
        result.traceback = crash_traceback(exc)


def run_lab(
    name: str, board_name: str, model: str | None = None, out: TextIO | None = sys.stdout,
    manual: bool = False,
) -> LabResult:
    """Run one lab; whatever happens, the board is torn down afterwards."""
    stop_on_signals()  # SIGTERM and SIGHUP, too, still tear the board down
    result = LabResult(name, board_name)
    board: Board | None = None
    try:
        lab = lab_named(name)
        lab.manual = manual
        board = make_board(board_name, model, model_of_module)
        result.board, result.emulated_by = board.name, board.emulated_by
        if out is not None:
            where = board.name + (f", emulated by {board.emulated_by}" if board.emulated_by
                                  else "")
            print(f"== {name} on {where}: {lab.title}", file=out, flush=True)
        steps = StepRecorder(result, out)
        if lab.needs_kernel and not board.real_kernel:
            raise LabSkipped(f"{name} needs a real kernel: run it on the vm or pi board")
        wiring = lab.wiring()
        board.setup(wiring)
        if manual:  # a person presses: the drive jumpers may be absent
            wiring = replace(wiring, jumpers=tuple(
                j for j in wiring.jumpers if j.target not in wiring.buttons))
        if wiring.jumpers:
            with steps.step("wiring check: every jumper conducts", required=True):
                require_wiring(board, wiring)
        lab.run(board, steps)
    except LabSkipped as exc:
        result.status, result.reason = SKIPPED, str(exc)
    except Exception as exc:  # a PilabError, or a crash: this lab fails, the next runs
        _fail(result, exc)
    finally:
        if board is not None:
            try:
                board.teardown()
            except Exception as exc:
                _fail(result, exc, "cleanup: ")
    if out is not None and result.status != "passed" and result.reason:
        print(f"  {result.status.upper()}: {result.reason.splitlines()[0]}", file=out, flush=True)
    return result


def run_labs(
    names: list[str], board_name: str, model: str | None = None, out: TextIO | None = sys.stdout,
    manual: bool = False, each: Callable[[list[LabResult]], None] | None = None,
) -> list[LabResult]:
    """Run every lab; *each* is called with the results so far after each lab."""
    results: list[LabResult] = []
    for name in names:
        results.append(run_lab(name, board_name, model, out, manual))
        if each is not None:
            each(results)
    return results
