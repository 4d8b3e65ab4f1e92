"""Run labs on a board here and collect their results."""

from __future__ import annotations

import signal
import sys
from dataclasses import replace
from types import FrameType
from typing import TextIO

from pilab.boards.base import make_board
from pilab.continuity import require_wiring
from pilab.errors import PilabError
from pilab.labs import lab_named
from pilab.report import FAILED, SKIPPED, LabAborted, LabResult, LabSkipped, StepRecorder


def _sigterm_as_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_lab(
    name: str, board_name: str, model: str | None = None, out: TextIO | None = sys.stdout,
    manual: bool = False,
) -> LabResult:
    """Run one lab; whatever happens, the board is torn down afterwards."""
    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    lab = lab_named(name)
    lab.manual = manual
    result = LabResult(name, board_name)
    if out is not None:
        print(f"== {name} on {board_name}: {lab.title}", file=out, flush=True)
    steps = StepRecorder(result, out)
    board = None
    try:
        board = make_board(board_name, model)
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
    except LabAborted as exc:
        result.status, result.reason = FAILED, str(exc)
    except PilabError as exc:
        result.status, result.reason = FAILED, str(exc)
    finally:
        if board is not None:
            try:
                board.teardown()
            except PilabError as exc:
                result.status, result.reason = FAILED, f"cleanup: {exc}"
    return result


def run_labs(
    names: list[str], board_name: str, model: str | None = None, out: TextIO | None = sys.stdout,
    manual: bool = False,
) -> list[LabResult]:
    return [run_lab(name, board_name, model, out, manual) for name in names]
