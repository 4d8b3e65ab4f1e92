"""The pi board: a real Raspberry Pi with jumper wires on its header."""

from __future__ import annotations

from gpiozero import Factory

from pilab.boards.base import MODELS, Board, Model
from pilab.boards.kernel import KernelBoard
from pilab.gpiochip import HEADER_CHIP_LABELS, find_chip
from pilab.wiring import Wiring


def _model_for(label: str) -> Model:
    for model in MODELS.values():
        if model.label == label:
            return model
    return MODELS["pi4"]


class PiBoard(KernelBoard):
    """Runs labs on this Pi's own kernel and GPIO chip (lgpio by default)."""

    name = "pi"

    def __init__(self) -> None:
        chip = find_chip(HEADER_CHIP_LABELS[:3])
        super().__init__(_model_for(chip.label))
        self.chip = chip

    def setup(self, wiring: Wiring) -> None:
        """The Pi's jumpers are real wires: nothing to load."""

    def _make_factory(self) -> Factory:
        from gpiozero.pins.lgpio import LGPIOFactory

        return LGPIOFactory(chip=self.chip.chardev if self.chip else 0)


__all__ = ["Board", "PiBoard"]
