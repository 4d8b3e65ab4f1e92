"""Before a boot, pilab's bytecode is written next to its sources (the guest cannot)."""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

from pilab.paths import PACKAGE_DIR
from pilab.vmhost.vng import compile_package


def test_a_stale_module_gets_fresh_bytecode() -> None:
    source = PACKAGE_DIR / "errors.py"
    cached = Path(importlib.util.cache_from_source(str(source)))
    cached.unlink(missing_ok=True)
    compile_package()
    assert cached.exists()
    stamp = cached.stat().st_mtime_ns
    later = time.time() + 5  # the source "changes": its mtime moves past the bytecode's
    os.utime(source, (later, later))
    try:
        compile_package()
        assert cached.stat().st_mtime_ns != stamp
    finally:
        os.utime(source, None)
        compile_package()
