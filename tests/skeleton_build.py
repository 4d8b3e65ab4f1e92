"""Build every lab's skeleton (pilab/labs/<lab>/skeleton/) with Kbuild, outside the package.

All skeletons go into one folder and one make run (one Kbuild start-up, not
five): their file names differ, and the folder's Kbuild joins theirs.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pilab.kernel.build import headers_dir
from pilab.labs import LABS
from pilab.labs.skeleton import skeleton_files
from pilab.paths import build_dir

SKELETON_SUFFIXES = (".c", ".h")


def skeletons_build_dir(release: str) -> Path:
    """Where the kernel tests find the built skeletons (the guest reads the cache)."""
    return build_dir(release) / "skeletons"


def build_skeletons(dest: Path, release: str, *extra: str) -> str:
    """Copy every skeleton into a fresh *dest* and build them; make's output.

    Raises AssertionError with make's output when the build fails.
    """
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    kbuild = []
    for lab in LABS:
        for path in skeleton_files(lab):
            if path.name == "Kbuild":
                kbuild.append(path.read_text())
            elif path.suffix in SKELETON_SUFFIXES:
                assert not (dest / path.name).exists(), f"two skeletons have {path.name}"
                shutil.copy(path, dest)
    (dest / "Kbuild").write_text("".join(kbuild))
    proc = subprocess.run(["make", "-C", str(headers_dir(release)), f"M={dest}", *extra,
                           "modules"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr
