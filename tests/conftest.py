"""Shared fixtures. tests/kernel runs only inside the vm board's VM."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pilab.guest import in_guest

IN_GUEST = in_guest()
# A developer's warm VM (pilab vm up) is left alone: the suite boots its own VMs.
# tests/test_warm_vm.py starts a warm VM of its own and lifts this.
os.environ.setdefault("PILAB_VM_COLD", "1")

# Kernel tests need the real kernel with vgpio: tests/test_vm.py boots the VM
# and runs them there. The host-side tests make no sense inside the guest.
collect_ignore_glob = ["test_vm.py", "unit/*", "test_mock*.py"] if IN_GUEST else ["kernel/*"]


@pytest.fixture
def mock_board() -> Iterator[object]:
    """A fresh mock board per test; torn down (pins reset) afterwards."""
    from pilab.boards.mock import MockBoard
    from pilab.labs import model_of_module
    from pilab.pimodels import pi_model

    board = MockBoard(pi_model("pi4"), model_of_module)
    yield board
    board.teardown()


WARM_IDLE = "5m"  # an idle TCG guest still costs CPU that later tests want


@pytest.fixture(scope="session")
def warm_cache_dir() -> Iterator[Path]:
    """A cache of the session's own, with a warm VM (see warm_cache); down at the end."""
    from warm_cache import own_cache

    with own_cache(os.getpid(), idle=WARM_IDLE) as cache:
        yield cache


@pytest.fixture
def warm_cache(warm_cache_dir: Path) -> Path:
    """One warm VM for the tests whose modules do not take the kernel down on purpose:
    their checks and grades pay one boot between them instead of one each. It stops
    with pytest (its owner), or after WARM_IDLE without a command, and is brought up
    again for the next test that wants it (slow tests may run in between)."""
    from warm_cache import keep_up

    keep_up(warm_cache_dir, os.getpid(), WARM_IDLE)
    return warm_cache_dir
