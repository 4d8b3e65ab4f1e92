"""``pilab doctor``: what is present, what is missing, and the exact fix."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pilab.errors import PilabError
from pilab.guest import emulated_model
from pilab.kernel import detect
from pilab.output import to_json

Check = tuple[str, Callable[[], str]]


def _module(name: str, fix: str) -> Callable[[], str]:
    def check() -> str:
        if importlib.util.find_spec(name) is None:
            raise PilabError(f"python module {name} missing", hint=fix)
        return "installed"

    return check


def _lgpio() -> str:
    """The Python version, and whether lgpio came as a published wheel or was built here."""
    try:
        dist = importlib.metadata.distribution("lgpio")
    except importlib.metadata.PackageNotFoundError:
        raise PilabError("python module lgpio missing", hint="scripts/install") from None
    where = f"lgpio {dist.version} for Python {platform.python_version()}"
    tags = [line.split(":", 1)[1].strip() for line in (dist.read_text("WHEEL") or "").splitlines()
            if line.startswith("Tag:")]
    if not tags:
        installer = (dist.read_text("INSTALLER") or "").strip() or "an unknown installer"
        return f"{where}, installed by {installer} (no wheel metadata)"
    if any(tag.split("-")[-1].startswith(("manylinux", "musllinux")) for tag in tags):
        return f"{where}, a published wheel ({tags[0]})"
    ext = [f for f in dist.files or [] if f.name.startswith("_lgpio") and f.suffix == ".so"]
    linked = bool(ext) and b"liblgpio.so" in Path(str(ext[0].locate())).read_bytes()
    lib = "linked to the system liblgpio" if linked else "with its bundled C library"
    return f"{where}, built from source on this machine {lib} ({tags[0]})"


def _tool(name: str, fix: str) -> Callable[[], str]:
    def check() -> str:
        path = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}:/usr/sbin:/sbin"
        found = shutil.which(name, path=path)
        if not found:
            raise PilabError(f"{name} not found", hint=fix)
        return found

    return check


def _headers(release: str) -> Callable[[], str]:
    def check() -> str:
        from pilab.kernel.build import headers_dir

        return str(headers_dir(release))

    return check


def _vm_kernel() -> str:
    from pilab.vmhost.image import headers_release, image_path

    release = headers_release()
    cached = image_path(release).exists()
    return f"{release} (image {'cached' if cached else 'downloaded on first run'})"


# What a check costs under TCG, measured by pilab bench grade on 2 cores (docs/speed.md).
TCG_BOOT_SECONDS, TCG_CHECK_SECONDS, HALF_CPU_CHECK_SECONDS = 60, 90, 250


def _kvm() -> str:
    from pilab.vmhost.vng import KVM_ENV, kvm_usable

    if kvm_usable():
        return "KVM: a VM boots in seconds"
    if os.environ.get(KVM_ENV) == "0":
        why = f"{KVM_ENV}=0"
    elif not os.path.exists("/dev/kvm"):
        why = "no /dev/kvm"
    elif not os.access("/dev/kvm", os.R_OK | os.W_OK):
        why = "/dev/kvm is not open to this user"
    else:
        why = "the CPU shows no vmx/svm"
    return (f"TCG, QEMU's emulation ({why}): works, slower; each VM boot about "
            f"{TCG_BOOT_SECONDS} s, a cold pilab check intrpt about {TCG_CHECK_SECONDS} s on "
            f"2 cores, {HALF_CPU_CHECK_SECONDS} s in half a CPU (pilab bench grade measures "
            "it here)")


def _module_signing(root: Path) -> Callable[[], str]:
    def check() -> str:
        mode = detect.lockdown_mode(root)
        secure = detect.secure_boot(root)
        sb = {None: "no EFI", True: "on", False: "off"}[secure]
        if secure or mode not in (None, "none"):
            raise PilabError(
                f"Secure Boot {sb}, lockdown {mode}: unsigned modules will be refused",
                hint="sign kmods/*.ko with a machine owner key: docs/secure-boot.md",
            )
        return f"Secure Boot {sb}, lockdown {mode or 'not built in'}"

    return check


def _header_chip(root: Path, board: detect.BoardInfo) -> Callable[[], str]:
    def check() -> str:
        header = detect.gpio_chips(root, board)
        if header.chip is None:
            seen = ", ".join(c.label for c in header.chips) or "none"
            raise PilabError(f"no GPIO chip labelled {header.label} (chips: {seen})",
                             hint="update the Pi's kernel: sudo apt full-upgrade")
        chip = header.chip
        text = (f"{chip.label}, base {chip.base}, {chip.ngpio} lines, "
                f"/dev/gpiochip{chip.chardev}")
        if not header.base_ok:
            text += f" (expected base {header.expected_base}; pilab uses the real one)"
        return text

    return check


def _pin_factory(board: detect.BoardInfo) -> Callable[[], str]:
    def check() -> str:
        name = detect.pin_factory_name(board)
        if board.is_raspberry_pi:
            return name
        return "pilab-vgpio (lgpio on vgpio) inside the VM; MockFactory on --board mock"

    return check


def checks(root: Path, board: detect.BoardInfo) -> list[Check]:
    release = detect.kernel_release(root)
    common: list[Check] = [
        ("python: gpiozero", _module("gpiozero", "pip install gpiozero")),
        ("python: evdev", _module("evdev", "pip install evdev")),
        ("python: lgpio", _lgpio),
        ("make", _tool("make", "apt-get install make gcc")),
        ("module signing", _module_signing(root)),
        ("gpiozero pin factory", _pin_factory(board)),
    ]
    if board.is_raspberry_pi:
        if emulated_model():  # the modules are built for the VM's real kernel
            release = os.uname().release
        return [*common, (f"headers for {release}", _headers(release)),
                ("GPIO header chip", _header_chip(root, board))]
    return [
        *common,
        ("virtme-ng", _tool("vng", "scripts/install (pip install virtme-ng)")),
        ("qemu", _tool("qemu-system-x86_64", "apt-get install qemu-system-x86")),
        ("udev (for vng under TCG)", _tool("udevadm", "apt-get install udev")),
        ("busybox (vng's initramfs)", _tool("busybox", "apt-get install busybox-static")),
        ("vm kernel", _vm_kernel),
        ("accelerator", _kvm),
    ]


def run_checks(root: Path | None = None) -> dict[str, Any]:
    """Every check's outcome, as data: what ``pilab doctor`` prints."""
    root = root or detect.system_root()
    board = detect.detect(root)
    report: dict[str, Any] = {
        "board": board.model_name,
        "pi": board.pi,
        "default_board": "pi" if board.is_raspberry_pi else "vm",
        "emulated_by": "vm" if emulated_model() else None,
        "kernel": detect.kernel_release(root),
        "checks": [],
    }
    for name, check in checks(root, board):
        try:
            report["checks"].append({"name": name, "ok": True, "detail": check()})
        except PilabError as exc:
            report["checks"].append({"name": name, "ok": False, "detail": str(exc)})
    if not board.is_raspberry_pi:
        from pilab.vmhost.kernels import available

        try:
            report["vm_kernels"] = [{"kernel": k, "detail": d} for k, d in available()]
        except PilabError as exc:
            report["vm_kernels"] = [{"kernel": "default", "detail": f"unavailable: {exc}"}]
    if board.pi is not None:
        try:
            header = detect.gpio_chips(root, board)
        except PilabError:
            header = None
        if header is not None and header.chip is not None:
            report["chip"] = {"label": header.chip.label, "base": header.chip.base,
                              "ngpio": header.chip.ngpio, "chardev": header.chip.chardev}
    return report


def doctor(root: Path | None = None, as_json: bool = False) -> int:
    """Print one line per check (or JSON); exit 1 if anything is missing."""
    report = run_checks(root)
    missing = sum(not c["ok"] for c in report["checks"])
    if as_json:
        print(to_json(report))
        return 1 if missing else 0
    emulated = " (emulated in the VM)" if report["emulated_by"] else ""
    print(f"board: {report['board']}{emulated} -> default board '{report['default_board']}'")
    print(f"kernel: {report['kernel']}")
    for check in report["checks"]:
        mark = "ok     " if check["ok"] else "MISSING"
        print(f"  {mark}  {check['name']}: {check['detail']}")
    if report.get("vm_kernels"):
        print("vm kernels (pilab run/vm/build --kernel K):")
        for kernel in report["vm_kernels"]:
            print(f"  {kernel['kernel']:8} {kernel['detail']}")
    print("all present" if not missing else f"{missing} missing: the hints say how to fix it")
    return 1 if missing else 0
