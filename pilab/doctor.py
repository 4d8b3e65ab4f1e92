"""``pilab doctor``: what is present, what is missing, and the exact fix."""

from __future__ import annotations

import importlib.util
import platform
import shutil
from collections.abc import Callable
from pathlib import Path

from pilab.boards.base import detect_default_board
from pilab.errors import PilabError

Check = tuple[str, Callable[[], str]]


def _module(name: str, fix: str) -> Callable[[], str]:
    def check() -> str:
        if importlib.util.find_spec(name) is None:
            raise PilabError(f"python module {name} missing", hint=fix)
        return "installed"

    return check


def _tool(name: str, fix: str) -> Callable[[], str]:
    def check() -> str:
        path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
        if not path:
            raise PilabError(f"{name} not found", hint=fix)
        return path

    return check


def _running_headers() -> str:
    from pilab.build import headers_dir

    return str(headers_dir(platform.release()))


def _vm_kernel() -> str:
    from pilab.vmkernel import headers_release, image_path

    release = headers_release()
    cached = image_path(release).exists()
    return f"{release} (image {'cached' if cached else 'downloaded on first run'})"


def _kvm() -> str:
    from pilab.vm import kvm_usable

    return "KVM" if kvm_usable() else "TCG (no usable KVM: slower, works)"


def _lockdown() -> str:
    path = Path("/sys/kernel/security/lockdown")
    if not path.exists():
        return "not available (no lockdown LSM)"
    mode = path.read_text().strip()
    active = mode[mode.index("[") + 1 : mode.index("]")] if "[" in mode else mode
    if active != "none":
        return f"{active}: unsigned modules are refused, see docs/secure-boot.md"
    return "none"


def _gpio_chip() -> str:
    from pilab.gpiochip import find_chip

    chip = find_chip()
    return f"{chip.label}, base {chip.base}, {chip.ngpio} lines, /dev/gpiochip{chip.chardev}"


def checks(board: str) -> list[Check]:
    common: list[Check] = [
        ("python: gpiozero", _module("gpiozero", "pip install gpiozero")),
        ("python: evdev", _module("evdev", "pip install evdev")),
        ("python: lgpio", _module("lgpio", "pip install lgpio")),
        ("make", _tool("make", "apt-get install build-essential")),
        ("insmod", _tool("insmod", "apt-get install kmod")),
        ("lockdown", _lockdown),
    ]
    if board == "pi":
        return [*common, ("headers for running kernel", _running_headers),
                ("GPIO chip", _gpio_chip)]
    return [
        *common,
        ("virtme-ng", _tool("vng", "pip install virtme-ng (the README's setup does it)")),
        ("qemu", _tool("qemu-system-x86_64", "apt-get install qemu-system-x86")),
        ("udev (for vng under TCG)", _tool("udevadm", "apt-get install udev")),
        ("vm kernel", _vm_kernel),
        ("accelerator", _kvm),
    ]


def doctor() -> int:
    """Print one line per check; exit 1 if anything is missing."""
    board = detect_default_board()
    print(f"board: {board}   kernel: {platform.release()} ({platform.machine()})")
    missing = 0
    for name, check in checks(board):
        try:
            print(f"  ok       {name}: {check()}")
        except PilabError as exc:
            missing += 1
            print(f"  MISSING  {name}: {exc}")
    print("all present" if not missing else f"{missing} missing: see the hints above")
    return 1 if missing else 0
