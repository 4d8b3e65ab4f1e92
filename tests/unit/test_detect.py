"""Board detection against copies of real Pi 3/4/5 and PC device trees and sysfs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pilab.errors import ConfigError, GpioError, PilabError
from pilab.kernel.detect import (
    PITREES_DIR,
    BoardInfo,
    detect,
    gpio_chips,
    lockdown_mode,
    pin_factory_name,
    secure_boot,
)
from pilab.pimodels import expected_base, pi_model

DATA = Path(__file__).resolve().parent.parent / "data" / "dt"  # the x86 PC
PI_TREES = PITREES_DIR  # the Pis: package data, also used to emulate them in the VM


def _link_sysfs(root: Path) -> None:
    """Add the symlinks sysfs has: class/gpio/gpiochipB -> the device, device -> chardev."""
    gpio_class = root / "sys/class/gpio"
    gpio_class.mkdir(parents=True, exist_ok=True)
    for label in sorted((root / "sys/devices").glob("**/gpio/gpiochip*/label")):
        entry = label.parent  # .../gpiochipN/gpio/gpiochipB
        chardev = entry.parent.parent
        (entry / "device").symlink_to(Path("../../..") / chardev.name)
        (gpio_class / entry.name).symlink_to(Path(os.path.relpath(entry, gpio_class)))


@pytest.fixture
def tree(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a captured tree (pilab/kernel/pitrees/<pi>, tests/data/dt/x86); add sysfs links."""

    def make(name: str) -> Path:
        root = tmp_path / name
        shutil.copytree((PI_TREES if name.startswith("pi") else DATA) / name, root, symlinks=True)
        _link_sysfs(root)
        return root

    return make


@pytest.mark.parametrize(
    ("name", "pi", "model", "soc"),
    [
        ("pi3", "pi3", "Raspberry Pi 3 Model B Plus Rev 1.3", "brcm,bcm2837"),
        ("pi4", "pi4", "Raspberry Pi 4 Model B Rev 1.5", "brcm,bcm2711"),
        ("pi5", "pi5", "Raspberry Pi 5 Model B Rev 1.0", "brcm,bcm2712"),
    ],
)
def test_detects_each_pi(
    tree: Callable[[str], Path], name: str, pi: str, model: str, soc: str
) -> None:
    info = detect(tree(name))
    assert info.pi == pi
    assert info.model_name == model  # the trailing NUL is gone
    assert info.compatible[-1] == soc and info.compatible[0].startswith("raspberrypi,")
    assert info.is_raspberry_pi


def test_pc_is_not_a_pi(tree: Callable[[str], Path]) -> None:
    info = detect(tree("x86"))
    assert info == BoardInfo("QEMU Standard PC (Q35 + ICH9, 2009)", None, ())
    assert not info.is_raspberry_pi


def test_broadcom_soc_on_another_board_is_not_a_pi(tmp_path: Path) -> None:
    dt = tmp_path / "proc/device-tree"
    dt.mkdir(parents=True)
    (dt / "model").write_bytes(b"Some Vendor BCM2711 Board\0")
    (dt / "compatible").write_bytes(b"vendor,board\0brcm,bcm2711\0")
    assert detect(tmp_path).pi is None


def test_older_pi_is_named_but_unsupported(tmp_path: Path) -> None:
    dt = tmp_path / "proc/device-tree"
    dt.mkdir(parents=True)
    (dt / "model").write_bytes(b"Raspberry Pi 2 Model B Rev 1.1\0")
    (dt / "compatible").write_bytes(b"raspberrypi,2-model-b\0brcm,bcm2836\0")
    info = detect(tmp_path)
    assert info.pi is None and info.is_raspberry_pi
    with pytest.raises(GpioError, match="not a Raspberry Pi 3, 4 or 5"):
        gpio_chips(tmp_path, info)


@pytest.mark.parametrize(
    ("name", "label", "base", "ngpio", "chardev"),
    [
        ("pi3", "pinctrl-bcm2835", 0, 54, 0),  # a 6.1 kernel: base 0
        ("pi4", "pinctrl-bcm2711", 512, 58, 0),
        ("pi5", "pinctrl-rp1", 571, 54, 4),
    ],
)
def test_header_chip_found_at_expected_base(
    tree: Callable[[str], Path], name: str, label: str, base: int, ngpio: int, chardev: int
) -> None:
    found = gpio_chips(tree(name))
    assert found.label == label
    assert found.chip is not None
    assert (found.chip.base, found.chip.ngpio, found.chip.chardev) == (base, ngpio, chardev)
    assert found.expected_base == base and found.base_ok
    assert found.chip.global_number(17) == base + 17


def test_pi5_lists_every_chip(tree: Callable[[str], Path]) -> None:
    found = gpio_chips(tree("pi5"))
    assert [(c.label, c.base, c.chardev) for c in found.chips] == [
        ("gpio-brcmstb@107d508500", 512, 0),
        ("gpio-brcmstb@107d508520", 544, 1),
        ("gpio-brcmstb@107d517c00", 548, 2),
        ("gpio-brcmstb@107d517c20", 565, 3),
        ("pinctrl-rp1", 571, 4),
    ]


def test_base_mismatch_is_reported(tree: Callable[[str], Path]) -> None:
    root = tree("pi3")
    (root / "proc/sys/kernel/osrelease").write_text("6.6.51+rpt-rpi-v8\n")
    found = gpio_chips(root)
    assert found.expected_base == 512 and found.chip is not None and found.chip.base == 0
    assert not found.base_ok


def test_missing_header_chip(tree: Callable[[str], Path]) -> None:
    root = tree("pi4")
    (root / "sys/class/gpio/gpiochip512").unlink()
    found = gpio_chips(root)
    assert found.chip is None and not found.base_ok
    assert [c.label for c in found.chips] == ["raspberrypi-exp-gpio"]


def test_gpio_chips_off_a_pi_says_use_the_vm(tree: Callable[[str], Path]) -> None:
    with pytest.raises(GpioError, match="not a Raspberry Pi") as err:
        gpio_chips(tree("x86"))
    assert err.value.hint is not None and "vm" in err.value.hint


@pytest.mark.parametrize(
    ("pi", "release", "base"),
    [
        ("pi3", "6.1.21-v8+", 0),
        ("pi3", "6.6.51+rpt-rpi-v8", 512),
        ("pi4", "5.15.84-v8+", 0),
        ("pi4", "6.12.25+rpt-rpi-v8", 512),
        ("pi5", "6.6.51+rpt-rpi-2712", 571),
        ("pi5", "6.1.77-v8-16k+", None),
    ],
)
def test_expected_base(pi: str, release: str, base: int | None) -> None:
    assert expected_base(pi_model(pi), release) == base


def test_lockdown_modes(tree: Callable[[str], Path], tmp_path: Path) -> None:
    assert lockdown_mode(tree("x86")) == "integrity"
    assert lockdown_mode(tree("pi4")) == "none"
    assert lockdown_mode(tree("pi3")) is None  # no lockdown LSM
    odd = tmp_path / "odd/sys/kernel/security/lockdown"
    odd.parent.mkdir(parents=True)
    odd.write_text("none integrity [confidentiality]\n")
    assert lockdown_mode(tmp_path / "odd") == "confidentiality"


def test_secure_boot(tree: Callable[[str], Path]) -> None:
    pc = tree("x86")
    assert secure_boot(pc) is True
    var = next((pc / "sys/firmware/efi/efivars").iterdir())
    var.write_bytes(b"\x06\x00\x00\x00\x00")
    assert secure_boot(pc) is False
    var.unlink()
    assert secure_boot(pc) is False  # EFI without the variable: no Secure Boot
    assert secure_boot(tree("pi5")) is None  # no EFI at all


PI5 = BoardInfo("Raspberry Pi 5 Model B Rev 1.0", "pi5", ("raspberrypi,5-model-b", "brcm,bcm2712"))
PI4 = BoardInfo("Raspberry Pi 4 Model B Rev 1.5", "pi4", ("raspberrypi,4-model-b", "brcm,bcm2711"))
PC = BoardInfo("QEMU Standard PC", None, ())


def test_pin_factory_defaults() -> None:
    assert pin_factory_name(PI4, {}) == "lgpio"
    assert pin_factory_name(PI5, {}) == "lgpio"
    assert pin_factory_name(PC, {}) == "mock"
    assert pin_factory_name(PC, {"PILAB_GUEST": "1"}) == "pilab-vgpio"
    assert pin_factory_name(PI4, {"GPIOZERO_PIN_FACTORY": "rpigpio"}) == "rpigpio"
    assert pin_factory_name(PC, {"GPIOZERO_PIN_FACTORY": "pilab-vgpio"}) == "pilab-vgpio"


@pytest.mark.parametrize("name", ["rpigpio", "RPiGPIO", "RPiGPIOPin", "pigpio"])
def test_pi5_refuses_factories_without_rp1(name: str) -> None:
    with pytest.raises(ConfigError, match="Raspberry Pi 5") as err:
        pin_factory_name(PI5, {"GPIOZERO_PIN_FACTORY": name})
    assert isinstance(err.value, PilabError)
    assert "lgpio" in str(err.value)
