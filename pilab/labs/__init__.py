"""The labs, by name, in teaching order.

Each lab is a folder, ``pilab/labs/<lab>/``: its steps (``lab.py``), its
mock-board model (``model.py``) where it has one, its kernel-log lines
(``loglines.py``) and its wiring (``wiring.toml``). The package's ``LAB``
and ``MODEL`` name them.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING

from pilab.errors import ConfigError

if TYPE_CHECKING:
    from pilab.labs.common.lab import Lab
    from pilab.labs.common.model import KernelModel

LABS = ("intrpt", "bottomhalf", "bh_thread", "vkbd", "kbleds", "latency")


def _package(name: str) -> ModuleType:
    if name not in LABS:
        raise ConfigError(f"no lab {name!r}; labs: {', '.join(LABS)}")
    return import_module(f"pilab.labs.{name}")


def lab_class(name: str) -> type[Lab]:
    lab: type[Lab] = _package(name).LAB
    return lab


def model_class(name: str) -> type[KernelModel] | None:
    """The mock board's model of module *name*, or None if it has none."""
    if name not in LABS:
        return None
    model: type[KernelModel] | None = getattr(_package(name), "MODEL", None)
    return model


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
