"""What a check works with inside the VM (or on the Pi): the modules, the pins, a fresh board."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pilab.boards.kernel import KernelBoard
from pilab.errors import ConfigError
from pilab.pimodels import VGPIO, PiModel
from pilab.wiring import guide_pins

if TYPE_CHECKING:
    from pilab.labs import LabEntry
    from pilab.wiring import Wiring

# A fixed-number module needs the header at global GPIO 0: vgpio put there.
VGPIO_AT_ZERO = PiModel("vgpio", "vgpio", 0, VGPIO.revision)


@dataclass
class CheckContext:
    """The submission's built modules and how to drive them, shared by every check.

    *entry* is the lab, from the registry (``pilab.labs.entry``).
    """

    entry: LabEntry
    module_dir: Path
    modules: list[str]  # in load order; the lab's own module is the last
    params: dict[str, str] = field(default_factory=dict)  # name -> type, from the .ko
    board_name: str = "vm"
    model: str | None = None
    board: KernelBoard | None = None  # the running check's board, set up for the lab

    @property
    def lab(self) -> str:
        return self.entry.name

    def wiring(self) -> Wiring:
        """The lab's wiring: the pins its checks drive and watch."""
        return self.entry.new_lab().wiring()

    @property
    def live_board(self) -> KernelBoard:
        assert self.board is not None, "a check runs on a board"
        return self.board

    @property
    def module(self) -> str:
        """The module the lab is about (vkbd loads vinput first)."""
        return self.modules[-1]

    @property
    def takes_pins(self) -> bool:
        """Does the module take led/buttons parameters (else: the guide's fixed numbers)?"""
        return "led" in self.params and "buttons" in self.params

    def new_board(self) -> KernelBoard:
        """A fresh board whose module loader takes the submission's .ko files."""
        from pilab.boards import make_kernel_board

        board = make_kernel_board(self.board_name, self.model,
                                  VGPIO if self.takes_pins else VGPIO_AT_ZERO)
        board.use_modules_from(self.module_dir)
        return board

    def pin_params(self, board: KernelBoard) -> dict[str, object]:
        """The guide's led/buttons as global numbers, or nothing for a fixed-number module."""
        led, buttons = guide_pins()
        if not self.takes_pins:
            if board.gpio(0) != 0:
                raise ConfigError(
                    f"the module has no led/buttons parameters, so it uses the guide's fixed "
                    f"GPIO numbers {led} and {list(buttons)}; on this board the header starts at "
                    f"global GPIO {board.gpio(0)}, so those numbers are not the header's pins",
                    hint="take led and buttons as module parameters (global GPIO numbers), or "
                    f"add the chip's base ({board.gpio(0)}) to your numbers")
            return {}
        return {"led": board.gpio(led), "buttons": [board.gpio(b) for b in buttons]}
