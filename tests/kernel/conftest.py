"""Fixtures for tests that run inside the VM against the real kernel."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pilab.boards.vm import VmGuestBoard
from pilab.kernel.klog import KernelLog
from pilab.pimodels import VGPIO


@pytest.fixture(autouse=True)
def kernel_stays_healthy() -> Iterator[KernelLog]:
    """Every kernel test ends with a clean kernel log: no WARNING, BUG, Oops..."""
    log = KernelLog()
    yield log
    log.check_health()
    log.close()


@pytest.fixture
def vm_board() -> Iterator[VmGuestBoard]:
    """The vm board as labs see it; everything it loaded is unloaded after."""
    board = VmGuestBoard(VGPIO)
    yield board
    board.teardown()
