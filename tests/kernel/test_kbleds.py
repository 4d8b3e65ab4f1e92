"""kbleds.ko on the real kernel: its blink seen through evdev, its refusals, its unloads.

QEMU's AT keyboard has Num/Caps/Scroll Lock LEDs, and the kernel's keyboard
handler sets them through evdev, so EVIOCGLED shows what kbleds asked for.
"""

from __future__ import annotations

import errno
import time
from collections.abc import Iterator
from pathlib import Path

import evdev
import pytest

from pilab.boards.kernel import KmodLoader
from pilab.boards.vm import VmGuestBoard, ensure_evdev
from pilab.errors import ModuleError
from pilab.kernel.klog import KernelLog
from pilab.kernel.modules import insmod, rmmod
from pilab.labs.kbleds import leds, vt
from pilab.runner import run_lab
from pilab.steps import PASSED, SKIPPED, wait_for

PREFIX = "kbleds: "
# our module's own lines (the lab judges what the LEDs did, never these)
LOADED = r"blinking (tty\d+) \(console (\d+)\) LEDs mask=(0x[0-9a-f]+) every (\d+) ms"
STOPPED = r"stopped, (tty\d+) LEDs show the keyboard state again"



@pytest.fixture
def console() -> Iterator[int]:
    """The foreground VT's tty held open (kbleds needs it at load); lock flags put back."""
    with vt.held_open(vt.foreground_tty()) as fd:
        saved = vt.lock_flags(fd)
        yield fd
        vt.restore_lock_flags(fd, saved)


@pytest.fixture
def keyboard() -> Iterator[evdev.InputDevice]:
    """QEMU's AT keyboard, found the way the lab finds it."""
    ensure_evdev()
    device = leds.find_led_keyboard()
    assert device is not None, "no evdev keyboard with lock LEDs in the VM"
    yield device
    device.close()


def show_lock_state(fd: int, keyboard: evdev.InputDevice, state: int) -> None:
    """Set the console's lock flags and wait until the LEDs show them."""
    vt.set_lock_flags(fd, state)
    read = leds.reader(keyboard)
    assert wait_for(lambda: read() == state, 1.0), f"LEDs show {leds.describe(read())}"


def test_lab_passes() -> None:
    result = run_lab("kbleds", "vm", out=None)
    assert result.status == PASSED, [(s.name, s.reason) for s in result.steps if s.reason]
    blink = next(s for s in result.steps if "blink every" in s.name)
    assert "mean" in blink.name and blink.details["toggles"] >= 6


def test_load_without_an_open_console_tty_is_clean(
    vm_board: VmGuestBoard, keyboard: evdev.InputDevice, kernel_stays_healthy: KernelLog
) -> None:
    """No tty: ENODEV and the module says what to do; should one be open, it blinks."""
    try:
        vm_board.modules.load("kbleds", delay_ms=100)
    except ModuleError as exc:
        assert exc.errno == errno.ENODEV, str(exc)
        said = kernel_stays_healthy.wait_for(PREFIX + r"tty\d+ .* is not open: open it first")
        assert said, [r.text for r in kernel_stays_healthy.lines(PREFIX)]
        return
    recording = leds.record(leds.reader(keyboard), 1.0)  # someone holds the tty open
    vm_board.modules.unload("kbleds")
    blink = leds.analyse(recording, min_hold=0.01)
    assert leds.blink_problems(blink, leds.ALL, 100, min_intervals=4) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"delay_ms": 9}, "delay_ms=9 out of range 10..10000"),
        ({"delay_ms": 10001}, "delay_ms=10001 out of range"),
        ({"mask": 0}, "mask=0 out of range 1..7"),
        ({"mask": 8}, "mask=8 out of range"),
    ],
)
def test_bad_params_are_refused(
    vm_board: VmGuestBoard,
    console: int,
    kernel_stays_healthy: KernelLog,
    params: dict[str, int],
    message: str,
) -> None:
    with pytest.raises(ModuleError) as caught:
        vm_board.modules.load("kbleds", **params)
    assert caught.value.errno == errno.EINVAL
    assert [r.text for r in kernel_stays_healthy.lines(PREFIX + message)]


@pytest.mark.parametrize(("delay_ms", "mask"), [(10, 7), (10000, 1)])
def test_params_at_the_limits_load(
    vm_board: VmGuestBoard, console: int, kernel_stays_healthy: KernelLog, delay_ms: int,
    mask: int,
) -> None:
    vm_board.modules.load("kbleds", delay_ms=delay_ms, mask=mask)
    vm_board.modules.unload("kbleds")
    loaded = kernel_stays_healthy.wait_for(PREFIX + LOADED)
    assert [r.text for r in loaded] == [
        f"{PREFIX}blinking tty1 (console 0) LEDs mask={mask:#x} every {delay_ms} ms"
    ]
    assert kernel_stays_healthy.wait_for(PREFIX + STOPPED)


def test_caps_only_blinks_caps_and_keeps_num_off(
    vm_board: VmGuestBoard, console: int, keyboard: evdev.InputDevice
) -> None:
    """mask=4: Caps Lock blinks; Num Lock, on before, is off until the unload."""
    read = leds.reader(keyboard)
    show_lock_state(console, keyboard, leds.NUM)
    vm_board.modules.load("kbleds", delay_ms=100, mask=leds.CAPS)
    with leds.raised_priority():
        recording = leds.record(read, 1.2)
    vm_board.modules.unload("kbleds")
    blink = leds.analyse(recording, min_hold=0.01)
    assert blink.states == {0, leds.CAPS}, blink.figures()
    assert leds.blink_problems(blink, leds.CAPS, 100) == [], blink.figures()
    assert wait_for(lambda: read() == leds.NUM, 1.0), leds.describe(read())


@pytest.mark.once
def test_100_load_unload_cycles(
    console: int, keyboard: evdev.InputDevice, kernel_stays_healthy: KernelLog
) -> None:
    """Unloads at every phase of a 10 ms blink: no splat, and the LEDs come back each time."""
    read = leds.reader(keyboard)
    show_lock_state(console, keyboard, leds.NUM | leds.SCROLL)
    lock_state = leds.NUM | leds.SCROLL
    path = KmodLoader().stack.kmod_dir / "kbleds.ko"
    not_restored = []
    for i in range(100):
        insmod(path, {"delay_ms": 10})
        try:
            time.sleep((i % 5) * 0.004)  # 0..16 ms: unload before, at and after toggles
        finally:
            rmmod("kbleds", attempts=1)
        if not wait_for(lambda: read() == lock_state, 1.0):
            not_restored.append((i, leds.describe(read())))
    assert not_restored == []
    log = kernel_stays_healthy
    assert len(log.wait_for(PREFIX + LOADED, count=100)) == 100
    assert len(log.wait_for(PREFIX + STOPPED, count=100)) == 100
    assert [r.text for r in log.lines(PREFIX + "KDSETLED")] == []  # "... failed: -errno"


def keyboard_present() -> bool:
    device = leds.find_led_keyboard()
    if device is not None:
        device.close()
    return device is not None


@pytest.fixture
def unplugged_keyboard(keyboard: evdev.InputDevice) -> Iterator[None]:
    """The AT keyboard unbound from its driver: the machine has no keyboard."""
    event = Path(keyboard.path).name
    serio = Path(f"/sys/class/input/{event}/device/device").resolve()
    driver = (serio / "driver").resolve()
    keyboard.close()
    (driver / "unbind").write_text(serio.name)
    try:
        yield
    finally:
        (driver / "bind").write_text(serio.name)
        assert wait_for(keyboard_present, 10.0), "the keyboard did not come back"


def test_lab_is_skipped_without_a_keyboard(unplugged_keyboard: None) -> None:
    result = run_lab("kbleds", "vm", out=None)
    assert result.status == SKIPPED, [(s.name, s.status, s.reason) for s in result.steps]
    assert "no keyboard with Num/Caps/Scroll Lock LEDs" in result.reason
    assert [s.status for s in result.steps] == [PASSED, SKIPPED]
