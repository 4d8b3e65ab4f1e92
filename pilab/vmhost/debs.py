"""Debian packages the vm board takes without installing them: fetched and unpacked.

``apt-get download`` fetches them and ``dpkg-deb -x`` unpacks them into a
cache directory, which is replaced whole: a run killed half-way leaves a
``.partial`` directory, never a half-filled cache. Both commands run on this
machine, or inside a chroot whose apt knows another suite
(:class:`~pilab.vmhost.chroot.DebianChroot` is such a place too).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from pilab.errors import MissingDependency, VmError
from pilab.progress import progress

# apt-get download writes into the current directory: the script enters it first.
DOWNLOAD = 'cd "$1" && shift && exec apt-get -q download "$@"'


def dpkg_arch() -> str:
    """This machine's Debian architecture (amd64, arm64, ...)."""
    try:
        return subprocess.run(["dpkg", "--print-architecture"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        raise MissingDependency("dpkg not found: the vm board needs a Debian host") from None


class AptPlace(Protocol):
    """Where apt-get and dpkg-deb run: this machine, or a chroot."""

    def run(self, argv: list[str], check: bool = ...) -> subprocess.CompletedProcess[str]:
        """Run *argv* there, output captured."""
        ...

    def sees(self, path: Path) -> str | None:
        """*path* (on this machine) as the commands there see it; None if they cannot."""
        ...

    def scratch(self) -> AbstractContextManager[Path]:
        """A fresh directory that apt there can download into, removed afterwards."""
        ...


class Host:
    """This machine's own apt and dpkg."""

    def run(self, argv: list[str], check: bool = False) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, capture_output=True, text=True, check=check)

    def sees(self, path: Path) -> str | None:
        return str(path)

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="pilab-deb-") as tmp:
            os.chmod(tmp, 0o755)  # apt's _apt user reads its way into it
            yield Path(tmp)


def _seen(where: AptPlace, path: Path) -> str:
    seen = where.sees(path)
    assert seen is not None, f"{path} is out of the commands' sight"
    return seen


def fetch_debs(packages: Sequence[str], root: Path, where: AptPlace | None = None,
               finish: Callable[[Path], None] | None = None) -> None:
    """Download *packages* and unpack them all into *root*, which is replaced whole.

    *finish*, if given, sees the unpacked tree before it takes *root*'s place.
    """
    where = where or Host()
    staging = root.with_name(root.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    with where.scratch() as work:
        with progress(f"downloading {', '.join(packages)} (once, then cached in {root})"):
            proc = where.run(["sh", "-c", DOWNLOAD, "sh", _seen(where, work), *packages],
                             check=False)
            debs = sorted(work.glob("*.deb"))
            if proc.returncode != 0 or len(debs) != len(packages):
                raise VmError(f"apt-get download {' '.join(packages)} failed: "
                              f"{proc.stderr.strip()}",
                              hint="run 'apt-get update' and check that the package exists")
        # Unpacked straight into the cache where the commands can see it, else moved there.
        unpacked = staging if where.sees(staging) is not None else work / "root"
        unpacked.mkdir()
        with progress(f"unpacking {', '.join(deb.name for deb in debs)}"):
            for deb in debs:
                proc = where.run(["dpkg-deb", "-x", _seen(where, deb), _seen(where, unpacked)],
                                 check=False)
                if proc.returncode != 0:
                    raise VmError(f"dpkg-deb -x {deb.name} failed: {proc.stderr.strip()}")
        if unpacked != staging:
            shutil.move(unpacked, staging)
    if finish is not None:
        finish(staging)
    shutil.rmtree(root, ignore_errors=True)
    staging.rename(root)
