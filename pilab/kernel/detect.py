"""What is this machine? Pi model, header GPIO chip, lockdown, Secure Boot.

Every function reads files under *root* (``/`` by default), so tests and
``pilab doctor`` can point it at a copied device tree and sysfs.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pilab.errors import ConfigError, GpioError
from pilab.guest import emulated_model, in_guest
from pilab.kernel.gpiochip import GpioChip, list_chips
from pilab.pimodels import expected_base, model_of_soc, pi_model

ROOT = Path("/")
# Captured /proc and /sys trees of real Pis: the VM lays one over its own
# view to emulate that Pi (and the tests read them).
PITREES_DIR = Path(__file__).resolve().parent / "pitrees"
DT_DIRS = ("proc/device-tree", "sys/firmware/devicetree/base")
DMI_DIR = "sys/class/dmi/id"
LOCKDOWN = "sys/kernel/security/lockdown"
EFI_DIR = "sys/firmware/efi"
SECURE_BOOT_VAR = "efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

# Factories that cannot drive the Pi 5's RP1 GPIO block.
NO_PI5 = {
    "rpigpio": "RPi.GPIO",
    "rpigpiopin": "RPi.GPIO",
    "pigpio": "pigpio",
    "pigpiopin": "pigpio",
}


@dataclass(frozen=True)
class BoardInfo:
    """The model string, the Pi family (``pi3``/``pi4``/``pi5`` or None) and compatibles."""

    model_name: str
    pi: str | None
    compatible: tuple[str, ...] = ()

    @property
    def is_raspberry_pi(self) -> bool:
        """Any Raspberry Pi, also a model pilab does not support (then ``pi`` is None)."""
        return "raspberry pi" in self.model_name.lower() or any(
            c.startswith("raspberrypi,") for c in self.compatible
        )


@dataclass(frozen=True)
class HeaderChip:
    """The header's GPIO chip as found in sysfs, next to what this model should have."""

    label: str
    expected_base: int | None  # None: pilab does not know for this kernel
    chip: GpioChip | None  # None: no chip with that label
    chips: tuple[GpioChip, ...]

    @property
    def base_ok(self) -> bool:
        """Found, and at the base expected (or no expectation)."""
        if self.chip is None:
            return False
        return self.expected_base is None or self.chip.base == self.expected_base


def system_root() -> Path:
    """Where this machine's /proc and /sys are read from.

    ``/``, except inside the VM emulating a Pi: there the Pi's captured device
    tree, kernel release and security files are laid over the guest's own
    /sys (whose GPIO chips are vgpio's, labelled and numbered as that Pi's).
    """
    model = emulated_model()
    if model is None:
        return ROOT
    return emulation_root(model)


def emulation_root(model: str, workdir: Path | None = None) -> Path:
    """A root made of links: *model*'s captured tree over the real /sys/class.

    The directory outlives the process (every pilab in the guest reads it), so
    its links are checked on each call and remade where they point elsewhere:
    the pilab that made them may have been another install since deleted.
    """
    tree = PITREES_DIR / pi_model(model).name
    base = workdir or Path(tempfile.gettempdir())
    root = base / f"pilab-emulated-{model}-{os.getuid()}"
    root.mkdir(mode=0o755, exist_ok=True)
    if root.is_symlink() or root.stat().st_uid != os.getuid():
        raise ConfigError(f"{root} is not a directory of this user's: remove it and try again")
    (root / "sys").mkdir(exist_ok=True)
    links = {
        root / "proc": tree / "proc",
        root / "sys" / "firmware": tree / "sys" / "firmware",
        root / "sys" / "kernel": tree / "sys" / "kernel",
        root / "sys" / "class": Path("/sys/class"),
        root / "sys" / "devices": Path("/sys/devices"),
        root / "sys" / "bus": Path("/sys/bus"),
    }
    for link, target in links.items():
        _point(link, target)
    return root


def _point(link: Path, target: Path) -> None:
    """Make *link* a symlink to *target*, replacing one that points elsewhere.

    A target this model's tree lacks (the Pi 3 has no captured /sys/kernel)
    gets no link, as that Pi has no such file either.
    """
    if not target.exists():
        if link.is_symlink():
            link.unlink(missing_ok=True)  # another pilab may be removing it too
        return
    if link.is_symlink() and link.readlink() == target:
        return
    tmp = link.with_name(f".{link.name}.{os.getpid()}")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target)
    tmp.replace(link)  # atomic: a concurrent reader sees the old link or the new


def _dt_file(root: Path, name: str) -> bytes | None:
    for directory in DT_DIRS:
        try:
            return (root / directory / name).read_bytes()
        except OSError:
            continue
    return None


def _dmi_name(root: Path) -> str:
    parts = []
    for name in ("sys_vendor", "product_name"):
        try:
            parts.append((root / DMI_DIR / name).read_text().strip())
        except OSError:
            continue
    return " ".join(p for p in parts if p) or "unknown machine"


def detect(root: Path | None = None) -> BoardInfo:
    """Read the device tree (or DMI, on a PC) to tell which board this is."""
    root = root or system_root()
    model = _dt_file(root, "model")
    compat = _dt_file(root, "compatible")
    compatible = tuple(s for s in (compat or b"").decode(errors="replace").split("\0") if s)
    if model is None:
        return BoardInfo(_dmi_name(root), None, compatible)
    name = model.decode(errors="replace").rstrip("\0").strip()
    soc = model_of_soc(compatible)
    info = BoardInfo(name, soc.name if soc else None, compatible)
    if info.pi is not None and not info.is_raspberry_pi:
        return BoardInfo(name, None, compatible)  # a Broadcom SoC on some other board
    return info


def kernel_release(root: Path | None = None) -> str:
    """The running kernel's release, e.g. ``6.6.51+rpt-rpi-v8``."""
    root = root or system_root()
    try:
        return (root / "proc/sys/kernel/osrelease").read_text().strip()
    except OSError:
        return os.uname().release


def gpio_chips(root: Path | None = None, board: BoardInfo | None = None) -> HeaderChip:
    """The header chip of this Pi in ``/sys/class/gpio``, and the base it should have."""
    root = root or system_root()
    board = board or detect(root)
    if board.pi is None:
        if board.is_raspberry_pi:
            raise GpioError(
                f"{board.model_name} is not a Raspberry Pi 3, 4 or 5, the models pilab knows",
                hint="use a Pi 3, 4 or 5, or the vm board (pilab run --board vm)",
            )
        raise GpioError(
            f"{board.model_name} is not a Raspberry Pi, so it has no GPIO header",
            hint="off a Pi, use the vm board (pilab run --board vm), which loads vgpio",
        )
    chips = tuple(list_chips(sysfs=root / "sys"))
    model = pi_model(board.pi)
    chip = next((c for c in chips if c.label == model.label), None)
    return HeaderChip(model.label, expected_base(model, kernel_release(root)), chip, chips)


def lockdown_mode(root: Path | None = None) -> str | None:
    """The active kernel lockdown mode (``none``, ``integrity``...), None without the LSM."""
    root = root or system_root()
    try:
        text = (root / LOCKDOWN).read_text()
    except OSError:
        return None
    match = re.search(r"\[(\w+)\]", text)
    if match:
        return match[1]
    words = text.split()
    return words[0] if words else None


def secure_boot(root: Path | None = None) -> bool | None:
    """Is UEFI Secure Boot on? None when the machine did not boot with EFI (a Pi)."""
    root = root or system_root()
    efi = root / EFI_DIR
    if not efi.is_dir():
        return None
    try:
        data = (efi / SECURE_BOOT_VAR).read_bytes()
    except FileNotFoundError:
        return False  # EFI firmware without Secure Boot support
    except OSError:
        return None
    # efivarfs: 4 bytes of attributes, then the value (one byte, 1 = enabled).
    return len(data) > 4 and data[-1] == 1


def pin_factory_name(
    board: BoardInfo | None = None, env: Mapping[str, str] | None = None
) -> str:
    """The gpiozero pin factory labs will use here.

    ``GPIOZERO_PIN_FACTORY`` wins; otherwise lgpio on a Pi, ``pilab-vgpio``
    inside pilab's VM and ``mock`` elsewhere (gpiozero has no header there).
    """
    env = os.environ if env is None else env
    board = board or detect()
    name = env.get("GPIOZERO_PIN_FACTORY", "").strip()
    if name:
        if board.pi == "pi5" and name.lower() in NO_PI5:
            library = NO_PI5[name.lower()]
            raise ConfigError(
                f"GPIOZERO_PIN_FACTORY={name}: {library} does not work on a Raspberry Pi 5 "
                "(its GPIO pins sit on the RP1 chip, which it cannot drive)",
                hint="use lgpio: export GPIOZERO_PIN_FACTORY=lgpio (or unset it)",
            )
        return name
    if board.pi is not None:
        return "lgpio"
    return "pilab-vgpio" if in_guest(env) else "mock"
