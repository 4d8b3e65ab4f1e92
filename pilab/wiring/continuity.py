"""``wiring check``: drive each jumper's source and expect its target to follow."""

from __future__ import annotations

from functools import partial

from gpiozero import DigitalInputDevice, DigitalOutputDevice

from pilab.boards.base import Board
from pilab.errors import PilabError
from pilab.steps import wait_for
from pilab.wiring import Jumper, Wiring
from pilab.wiring.header import physical_pin


class WiringFault(PilabError):
    """A jumper is missing or in the wrong hole."""


def _describe(jumper: Jumper, revision: int) -> str:
    return (
        f"GPIO{jumper.source} (pin {physical_pin(jumper.source, revision)}) -> "
        f"GPIO{jumper.target} (pin {physical_pin(jumper.target, revision)})"
        + (f" [{jumper.purpose}]" if jumper.purpose else "")
    )


def _follows(board: Board, jumper: Jumper) -> bool:
    factory = board.pin_factory
    with DigitalOutputDevice(f"GPIO{jumper.source}", pin_factory=factory) as drive, \
            DigitalInputDevice(f"GPIO{jumper.target}", pin_factory=factory) as sense:
        for level in (1, 0, 1, 0):
            drive.value = level
            if not wait_for(partial(_reads, sense, level), timeout=0.2):
                return False
    return True


def _reads(sense: DigitalInputDevice, level: int) -> bool:
    return int(sense.value) == level


def check_wiring(board: Board, wiring: Wiring) -> list[str]:
    """Every jumper that does not conduct, named with its physical pins."""
    revision = board.model.revision
    return [_describe(j, revision) for j in wiring.jumpers if not _follows(board, j)]


def require_wiring(board: Board, wiring: Wiring) -> None:
    """Raise WiringFault naming each jumper that is missing or misplaced."""
    faults = check_wiring(board, wiring)
    if faults:
        raise WiringFault(
            "no continuity on " + "; ".join(faults),
            hint="check these jumpers against 'pilab wiring show " + wiring.lab + "'",
        )
