"""gpio_keys.ko and vgpio's bouncing contact, against the real kernel."""

from __future__ import annotations

import errno
import random
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path

import pytest
from evdev import ecodes

from pilab.boards.vm import VmGuestBoard
from pilab.errors import ModuleError
from pilab.kernel.gpio_cdev import FLAG_OUTPUT, LineRequest
from pilab.kernel.holders import line_consumers
from pilab.kernel.inputs import key_events
from pilab.kernel.modules import loaded
from pilab.labs.gpio_keys.bench import BOUNCES, KeyBench
from pilab.labs.gpio_keys.lab import STEPS, UNLOAD, unload_step
from pilab.steps import Step, wait_for
from pilab.wiring import load_wiring

WIRING = load_wiring("gpio_keys")
BUTTON = WIRING.buttons[0]
DRIVE = WIRING.drive_pin(BUTTON)
BOARD_FILE = "gpio_keys_board"  # kmods/gpio_keys_board.c: the kernel's driver on the header


@pytest.fixture
def board(vm_board: VmGuestBoard) -> VmGuestBoard:
    vm_board.setup(WIRING)
    return vm_board


def bounce_file(board: VmGuestBoard) -> Path:
    return Path("/sys/kernel/debug/vgpio") / board.model.label / "bounce"


def level(board: VmGuestBoard, line: int) -> int:
    """The line's level, as vgpio's debugfs file reads it."""
    return int((bounce_file(board).parent / f"GPIO{line}").read_text())


def chip_path(board: VmGuestBoard) -> Path:
    assert board.chip is not None and board.chip.chardev is not None
    return Path(f"/dev/gpiochip{board.chip.chardev}")


@pytest.mark.parametrize(("what", "params"), [
    ("a negative button", {"button": -1}),
    ("a button no chip has", {"button": 100000}),
    ("code 0 (KEY_RESERVED)", {"code": 0}),
    ("a code past KEY_MAX", {"code": ecodes.KEY_MAX + 1}),
    ("a debounce past a second", {"debounce_ms": 1001}),
])
def test_bad_parameters_are_refused_and_hold_nothing(board: VmGuestBoard, what: str,
                                                     params: dict[str, int]) -> None:
    before = board.input_nodes()
    with pytest.raises(ModuleError) as refused:
        board.modules.load("gpio_keys", **{"button": board.gpio(BUTTON), **params})
    assert refused.value.errno in (errno.EINVAL, errno.ENODEV), what
    assert not loaded("gpio_keys")
    assert board.input_nodes() == before, what
    assert board.chip is not None and not line_consumers(board.chip, [BUTTON])


def test_a_bounce_is_every_flip_as_an_interrupt_and_one_key(board: VmGuestBoard) -> None:
    """vgpio flips the drive line 2 * BOUNCES times after the press: the button's IRQ
    fires again and again (at most once an edge: under TCG a late irq_work may fold two
    edges into one), and gpio_keys reports one key down, then one key up."""
    with ExitStack() as stack:
        bench = KeyBench(board, WIRING, stack)
        bench.load(Step("load"), "gpio_keys")
        for level, value in ((1, 1), (0, 0)):
            edges = bench.irq_count()
            bench.bounce(level)
            got = bench.events(count=2)
            assert 2 < bench.irq_count() - edges <= 2 * BOUNCES + 1
            assert [e.triple for e in got] == key_events(ecodes.KEY_ENTER, value)
    board.modules.unload("gpio_keys")


def test_a_bounce_settles_at_the_level_driven_during_it(board: VmGuestBoard) -> None:
    """A write during a bounce is the level it ends at; one bounce at a time."""
    debugfs = bounce_file(board)

    def armed() -> bool:
        try:
            debugfs.write_text(f"{DRIVE} 2 1000\n")
        except OSError as exc:
            assert exc.errno == errno.EBUSY
            return False
        return True

    with LineRequest(chip_path(board), DRIVE, FLAG_OUTPUT) as drive:
        debugfs.write_text(f"{DRIVE} 1000 1000000\n")  # a second of bouncing
        drive.set(1)
        assert not armed(), "a second bounce was armed during the first"
        drive.set(0)  # mid-bounce: it ends at 0
        assert wait_for(armed, 10.0), "the bounce never ended"
        assert level(board, BUTTON) == 0
        drive.set(1)  # a 1 ms bounce, armed above
        assert wait_for(armed, 5.0)
        assert level(board, BUTTON) == 1
        drive.set(0)


@pytest.mark.parametrize("bad", ["", "27", "27 1", "27 0 100", "27 1 0", "999 1 100",
                                 "27 1001 100", "27 1 1000001", "x y z"])
def test_bad_bounce_requests_are_refused(board: VmGuestBoard, bad: str) -> None:
    with pytest.raises(OSError) as refused:
        bounce_file(board).write_text(bad + "\n")
    assert refused.value.errno == errno.EINVAL, bad


def edge_seen(bench: KeyBench, before: int) -> bool:
    return bench.irq_count() > before


def udev_settled() -> None:
    """Let udev finish its events: for the board file's device it runs modprobe
    platform:gpio-keys itself, and would load the driver again behind our back."""
    subprocess.run(["udevadm", "settle", "--timeout=60"], check=False, capture_output=True)


@contextmanager
def the_kernels_driver() -> Iterator[None]:
    """The kernel's own gpio-keys driver (CONFIG_KEYBOARD_GPIO=m in Debian) for the block,
    unloaded after: it shares its name with ours."""
    udev_settled()
    if loaded("gpio_keys"):  # loaded by udev for an earlier test's device
        subprocess.run(["modprobe", "-r", "gpio_keys"], check=True, capture_output=True)
    subprocess.run(["modprobe", "gpio_keys"], check=True, capture_output=True)
    try:
        yield
    finally:
        udev_settled()
        subprocess.run(["modprobe", "-r", "gpio_keys"], check=True, capture_output=True)
    assert not loaded("gpio_keys")


@pytest.fixture
def kernel_driver() -> Iterator[None]:
    with the_kernels_driver():
        yield


# What each step's verdict rests on, which ours and the kernel's driver must share exactly.
SAME = {"device_step": "capabilities", "press_step": "events", "release_step": "events",
        "bounce_step": "press_events", "held_step": "events_while_held",
        "quick_step": "events"}


def run_steps(board: VmGuestBoard, module: str) -> dict[str, Step]:
    """Every step of the lab on *module*, loaded afresh for each (as pilab check does)."""
    done = {}
    for name, fn in STEPS:
        step = Step(name)
        with ExitStack() as stack:
            bench = KeyBench(board, WIRING, stack)
            bench.load(step, module)
            fn(bench, step)
        board.modules.unload(module)
        done[fn.__name__] = step
    return done


def shown(fn: str, step: Step) -> str:
    """A table cell: what evdev gave, or the latency figures."""
    if fn == "latency_step":
        return step.reason.removeprefix("edge to key: ")
    if fn == "bounce_step":
        return (f"{step.details['irqs_during_press']} IRQs, "
                f"{len(keys_of(step.details['press_events']))} key down")
    if fn == "device_step":
        return ", ".join(f"{k}: {v}" for k, v in step.details["capabilities"].items())
    return f"{len(step.details[SAME[fn]])} events: {keys_of(step.details[SAME[fn]])}"


def keys_of(triples: list[tuple[int, int, int]]) -> list[int]:
    return [value for kind, _, value in triples if kind == ecodes.EV_KEY]


def test_ours_and_the_kernels_driver_agree_on_every_step(board: VmGuestBoard) -> None:
    """The reference is the kernel's gpio-keys (bound by gpio_keys_board's platform
    device): it passes every step, and each step gives the same events from ours and
    from it. With -s, the handout's side-by-side table (docs/labs/gpio_keys.md)."""
    ours = run_steps(board, "gpio_keys")
    with the_kernels_driver():
        theirs = run_steps(board, BOARD_FILE)
    print("\n| step | pilab's gpio_keys.ko | the kernel's gpio-keys |\n|---|---|---|")
    for name, fn in STEPS:
        key = fn.__name__
        print(f"| {name} | {shown(key, ours[key])} | {shown(key, theirs[key])} |")
    for key, what in SAME.items():
        assert ours[key].details[what] == theirs[key].details[what], (key, ours[key].details,
                                                                       theirs[key].details)


def test_the_kernels_gpio_keys_unloads_mid_debounce(board: VmGuestBoard,
                                                    kernel_driver: None) -> None:
    with ExitStack() as stack:
        unload_step(board, KeyBench(board, WIRING, stack), Step(UNLOAD), BOARD_FILE)


def test_unload_races_a_pending_debounce(board: VmGuestBoard) -> None:
    """Press (bouncing or not), unload at a random point of the debounce: 40 times. No
    device, handler or line is left, and the kernel stays healthy (the autouse fixture)."""
    rng = random.Random(22)
    for cycle in range(40):
        with ExitStack() as stack:
            bench = KeyBench(board, WIRING, stack)
            node = bench.load(Step("load"), "gpio_keys", debounce_ms=rng.randint(1, 10))
            edges = bench.irq_count()
            if cycle % 2:
                bench.bounce(1)
            else:
                bench.press()
            assert wait_for(partial(edge_seen, bench, edges), 2.0, interval=0.0005)
            bench.reader.events(rng.uniform(0, 0.012))  # somewhere in the debounce
            board.modules.unload("gpio_keys")
            bench.release()
        assert node not in board.input_nodes(), cycle
        assert board.chip is not None and not line_consumers(board.chip, [BUTTON])
