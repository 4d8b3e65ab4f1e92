"""What a built module (.ko) says about itself in its .modinfo section."""

from __future__ import annotations

import re
from pathlib import Path

PARMTYPE = re.compile(rb"parmtype=([A-Za-z0-9_]+):([^\0]+)\0")


def ko_params(ko: Path) -> dict[str, str]:
    """The module's parameters and their types, from its .modinfo strings."""
    return {m[1].decode(): m[2].decode() for m in PARMTYPE.finditer(ko.read_bytes())}
