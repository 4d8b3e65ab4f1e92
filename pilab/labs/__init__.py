"""The labs, by name, in teaching order: the one place a lab is looked up.

Each lab is a folder, ``pilab/labs/<lab>/``: its steps (``lab.py``), its
checks (``checks.py``), its mock-board model (``model.py``) where it has one,
its kernel-log lines (``loglines.py``) and its wiring (``wiring.toml``). The
package's ``LAB``, ``MODULES`` and ``MODEL`` name them; :func:`entry` hands
them to the rest of pilab, which imports no lab by name. A lab's checks and
log lines are imported only when asked for: ``pilab list`` needs neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING

from pilab.errors import ConfigError

if TYPE_CHECKING:
    from pilab.check.interface import InterfaceRule
    from pilab.check.suite import Check
    from pilab.labs.common.lab import Lab
    from pilab.labs.common.model import KernelModel

LABS = ("intrpt", "bottomhalf", "bh_thread", "vkbd", "kbleds", "latency", "gpio_keys")


@dataclass(frozen=True)
class LabEntry:
    """One lab as pilab sees it: its steps, kernel modules and model; its checks on demand."""

    name: str
    lab_class: type[Lab]
    modules: tuple[str, ...]  # the kernel modules it loads, in load order; its own is last
    model: type[KernelModel] | None  # the mock board's model of its own module

    @property
    def module(self) -> str:
        """The module the lab is about (vkbd loads vinput first)."""
        return self.modules[-1]

    def _checks(self) -> ModuleType:
        return import_module(f"pilab.labs.{self.name}.checks")

    @property
    def checks(self) -> list[Check]:
        """Its checks, for anyone's module, in order (``pilab/labs/<lab>/checks.py``)."""
        checks: list[Check] = self._checks().CHECKS
        return checks

    @property
    def interface(self) -> InterfaceRule | None:
        """The rule its module's parameters must follow; None: it needs none."""
        rule: InterfaceRule | None = getattr(self._checks(), "INTERFACE", None)
        return rule

    @property
    def loglines(self) -> ModuleType | None:
        """What the kit's own module prints (``loglines.py``), or None if the lab has none."""
        try:
            return import_module(f"pilab.labs.{self.name}.loglines")
        except ModuleNotFoundError as exc:
            if exc.name != f"pilab.labs.{self.name}.loglines":
                raise
            return None

    def new_lab(self) -> Lab:
        return self.lab_class()


@cache
def entry(name: str) -> LabEntry:
    """The lab called *name*; a ConfigError naming the labs if there is none."""
    if name not in LABS:
        raise ConfigError(f"no lab {name!r}; labs: {', '.join(LABS)}")
    package = import_module(f"pilab.labs.{name}")
    return LabEntry(name, package.LAB, tuple(package.MODULES), getattr(package, "MODEL", None))


def lab_class(name: str) -> type[Lab]:
    return entry(name).lab_class


def lab_named(name: str) -> Lab:
    return entry(name).new_lab()


def model_of_module(module: str) -> type[KernelModel] | None:
    """The mock board's model of kernel module *module*, or None if no lab has one."""
    for name in LABS:
        found = entry(name)
        if found.model is not None and found.module == module:
            return found.model
    return None


def kernel_modules() -> list[str]:
    """Every lab's kernel modules, each once, in teaching and load order."""
    return list(dict.fromkeys(module for name in LABS for module in entry(name).modules))


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
