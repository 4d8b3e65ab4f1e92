"""The vm board's kernel: the distribution's own image, matching its headers.

The image comes from ``apt-get download`` of the linux-image package whose
release matches the installed linux-headers, unpacked into a cache. Nothing
is compiled and no kernel version is written down anywhere.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pilab.cachelock import fill_once
from pilab.errors import MissingDependency, VmError
from pilab.paths import cache_dir
from pilab.vmhost.debs import dpkg_arch, fetch_debs


def kernels_dir() -> Path:
    return cache_dir() / "kernels"


def headers_release() -> str:
    """The release of the headers the distribution's meta package pulls in."""
    meta = f"linux-headers-{dpkg_arch()}"
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}|${Depends}", meta],
                          capture_output=True, text=True, check=False)
    status, _, depends = proc.stdout.partition("|")
    if proc.returncode != 0 or "installed" not in status.split():
        raise MissingDependency(
            f"{meta} is not installed: the vm board builds against it",
            hint=f"apt-get install {meta}",
        )
    match = re.search(r"linux-headers-(\S+)", depends)
    if not match:
        raise MissingDependency(f"cannot tell which kernel {meta} depends on: {depends!r}")
    release = match.group(1)
    if not Path("/lib/modules", release, "build", "Makefile").exists():
        raise MissingDependency(f"headers for {release} are missing",
                                hint=f"apt-get install --reinstall linux-headers-{release}")
    return release


def image_path(release: str) -> Path:
    """The cached vmlinuz: in boot/, or where usr-merged packages (7.x) put it."""
    root = kernels_dir() / release
    for path in (root / "boot" / f"vmlinuz-{release}",
                 root / "usr" / "lib" / "modules" / release / "vmlinuz"):
        if path.exists():
            return path
    return root / "boot" / f"vmlinuz-{release}"


def ensure_image(release: str) -> Path:
    """Download and unpack linux-image-<release> once; return its vmlinuz."""
    fill_once(kernels_dir() / release, lambda: image_path(release).exists(),
              lambda: fetch_debs([f"linux-image-{release}"], kernels_dir() / release))
    vmlinuz = image_path(release)
    if not vmlinuz.exists():
        raise VmError(f"linux-image-{release} holds no {vmlinuz.name}")
    return vmlinuz
