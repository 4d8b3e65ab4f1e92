"""The labs, by name, in teaching order."""

from __future__ import annotations

from importlib import import_module

from pilab.errors import ConfigError
from pilab.labs.base import Lab

# name -> "module:Class"; imported when first asked for
LABS: dict[str, str] = {
    "intrpt": "pilab.labs.intrpt:IntrptLab",
    "bottomhalf": "pilab.labs.bottomhalf:BottomhalfLab",
    "bh_thread": "pilab.labs.bh_thread:BhThreadLab",
    "vkbd": "pilab.labs.vkbd:VkbdLab",
    "kbleds": "pilab.labs.kbleds:KbledsLab",
}


def lab_class(name: str) -> type[Lab]:
    try:
        module, _, cls = LABS[name].partition(":")
    except KeyError:
        raise ConfigError(f"no lab {name!r}; labs: {', '.join(LABS)}") from None
    lab: type[Lab] = getattr(import_module(module), cls)
    return lab


def lab_named(name: str) -> Lab:
    return lab_class(name)()


def expand(names: list[str], board: str | None = None) -> list[str]:
    """'all' means every lab the board can run (the mock board has no kernel)."""
    out: list[str] = []
    for name in names:
        if name == "all":
            items = [n for n in LABS if board != "mock" or not lab_class(n).needs_kernel]
        else:
            lab_class(name)
            items = [name]
        out += [item for item in items if item not in out]
    return out
