"""pytest plugin: pilab's boards and kernel-health gate as fixtures, for a course's own tests.

Registered as the ``pilab`` pytest11 entry point. ``--pilab-board mock``
(the default) runs the tests here on gpiozero's mock pins and the labs'
Python models; ``--pilab-board vm`` on the host boots the vm board's VM and
runs the same pytest command inside it, against the real kernel.

Fixtures:

- ``pilab_board``: the board, set up for a lab's wiring by ``pilab_board.setup``
  and torn down (every module unloaded) after the test;
- ``pilab_kernel_log``: a kernel-log cursor opened before the test; after it,
  the log must be healthy (no WARNING, BUG, Oops...), or the test errors;
- ``pilab_run_lab``: run a whole lab by name and get its LabResult.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pilab.guest import in_guest

if TYPE_CHECKING:
    from pilab.boards import Board
    from pilab.kernel.klog import LogCursor
    from pilab.steps import LabResult

BOARD_CHOICES = ("mock", "vm")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pilab", "pilab lab boards")
    group.addoption("--pilab-board", choices=BOARD_CHOICES, default=None,
                    help="the board pilab's fixtures use: mock (default) or vm (boots a VM)")
    group.addoption("--pilab-model", choices=("pi3", "pi4", "pi5"), default=None,
                    help="the Pi the board emulates (default: the board's own)")


def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """``--pilab-board vm`` on the host: the same pytest command, inside the VM."""
    if config.getoption("pilab_board") != "vm" or in_guest():
        return None
    from pilab.errors import PilabError
    from pilab.vmhost.session import exec_in_vm

    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
            *config.invocation_params.args]
    try:
        return exec_in_vm(args, cwd=Path(config.invocation_params.dir),
                          model=config.getoption("pilab_model"))
    except PilabError as exc:
        print(f"pilab: error: {exc}", file=sys.stderr)
        return pytest.ExitCode.USAGE_ERROR


@pytest.fixture(scope="session")
def pilab_board_name(pytestconfig: pytest.Config) -> str:
    """The board the fixtures use (``--pilab-board``)."""
    return str(pytestconfig.getoption("pilab_board") or "mock")


@pytest.fixture
def pilab_board(pilab_board_name: str, pytestconfig: pytest.Config) -> Iterator[Board]:
    """A fresh board; whatever the test loaded is unloaded afterwards."""
    from pilab.boards import make_board
    from pilab.labs import model_of_module

    board = make_board(pilab_board_name, pytestconfig.getoption("pilab_model"), model_of_module)
    try:
        yield board
    finally:
        board.teardown()


@pytest.fixture
def pilab_kernel_log(pilab_board: Board) -> Iterator[LogCursor]:
    """The board's kernel log from now on; the test errors if it ends unhealthy."""
    log = pilab_board.open_log()
    try:
        yield log
        log.check_health()
    finally:
        log.close()


@pytest.fixture
def pilab_run_lab(pilab_board_name: str,
                  pytestconfig: pytest.Config) -> Callable[[str], LabResult]:
    """Run a whole lab on the board, quietly; its result."""
    from pilab.runner import run_lab

    def run(name: str) -> LabResult:
        return run_lab(name, pilab_board_name, pytestconfig.getoption("pilab_model"), out=None)

    return run
