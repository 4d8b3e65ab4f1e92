"""The labs, by name."""

from __future__ import annotations

from pilab.errors import ConfigError
from pilab.labs.base import Lab
from pilab.labs.intrpt import IntrptLab

LABS: dict[str, type[Lab]] = {lab.name: lab for lab in (IntrptLab,)}


def lab_named(name: str) -> Lab:
    try:
        return LABS[name]()
    except KeyError:
        raise ConfigError(f"no lab {name!r}; labs: {', '.join(LABS)}") from None


def expand(names: list[str]) -> list[str]:
    """'all' means every lab, in teaching order."""
    out: list[str] = []
    for name in names:
        for item in LABS if name == "all" else [name]:
            lab_named(item)
            if item not in out:
                out.append(item)
    return out
