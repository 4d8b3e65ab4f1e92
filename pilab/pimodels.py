"""The one table of Raspberry Pi facts pilab relies on.

Each supported Pi: the SoC compatible string in its device tree, the label
and global base of the GPIO chip that carries the 40-pin header, and a
revision code gpiozero knows (its pinout data). ``vgpio`` is the vm board's
plain virtual header: a chip of its own name at a dynamic base.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pilab.errors import ConfigError


@dataclass(frozen=True)
class PiModel:
    """A Pi model's header chip: label, global base, revision code and SoC."""

    name: str
    label: str
    base: int  # -1: dynamic (the kernel picks)
    revision: int
    soc: str = ""  # the SoC's device-tree compatible string
    legacy_base: int | None = None  # the base before Linux 6.2; None: not supported then


PI_MODELS: dict[str, PiModel] = {
    "pi3": PiModel("pi3", "pinctrl-bcm2835", 512, 0xA02082, "brcm,bcm2837", 0),
    "pi4": PiModel("pi4", "pinctrl-bcm2711", 512, 0xC03111, "brcm,bcm2711", 0),
    # After the four gpio-brcmstb banks (512 + 59).
    "pi5": PiModel("pi5", "pinctrl-rp1", 571, 0xC04170, "brcm,bcm2712"),
}
VGPIO = PiModel("vgpio", "vgpio", -1, PI_MODELS["pi4"].revision)
# Any 40-pin Pi has the same J8 header: this revision's pinout serves all.
HEADER_REVISION = PI_MODELS["pi4"].revision
HEADER_LABELS = (*(m.label for m in PI_MODELS.values()), VGPIO.label)


def pi_model(name: str) -> PiModel:
    """The model called *name* (``pi3``, ``pi4``, ``pi5`` or ``vgpio``)."""
    if name == VGPIO.name:
        return VGPIO
    try:
        return PI_MODELS[name]
    except KeyError:
        raise ConfigError(
            f"unknown model {name!r}; choose one of {', '.join(PI_MODELS)}") from None


def model_of_soc(compatible: tuple[str, ...]) -> PiModel | None:
    """The supported Pi whose SoC is among the device tree's *compatible* strings."""
    return next((m for m in PI_MODELS.values() if m.soc in compatible), None)


def expected_base(model: PiModel, release: str) -> int | None:
    """The header chip's global base on kernel *release*, or None if unknown.

    From Linux 6.2 (Pi OS: rpi-6.6) dynamic GPIO bases start at 512; before,
    the Pi 3 and 4 pin controllers sat at 0.
    """
    match = re.match(r"(\d+)\.(\d+)", release)
    modern = match is None or (int(match[1]), int(match[2])) >= (6, 2)
    return model.base if modern else model.legacy_base
