"""A second kernel series from the distribution's own archive (e.g. Debian 12's 6.12).

Debian names a series' newest build with a meta package, linux-headers-<X.Y>-<arch>;
its dependency is the release. The headers are fetched with ``apt-get download``
and unpacked into the cache next to the image, not installed: the versioned
headers package depends on its linux-image, and installing that would make
it the host's next boot kernel. The three packages it takes are the headers
proper, their -common tree and the linux-kbuild tools.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pilab.cachelock import fill_once
from pilab.errors import MissingDependency, VmError
from pilab.vmhost.debs import dpkg_arch, fetch_debs
from pilab.vmhost.image import kernels_dir

HEADERS_STAMP = ".pilab-headers-ready"


def _candidate_depends(package: str) -> str | None:
    """The Depends line of *package*'s candidate version, or None if apt has none."""
    proc = subprocess.run(["apt-cache", "show", "--no-all-versions", package],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return None
    match = re.search(r"^Depends: (.*)$", proc.stdout, re.MULTILINE)
    return match.group(1) if match else ""


def series_release(series: str) -> str:
    """The release of the archive's current *series* build, e.g. 6.12.117+deb12-amd64."""
    meta = f"linux-headers-{series}-{dpkg_arch()}"
    depends = _candidate_depends(meta)
    if depends is None:
        raise MissingDependency(f"this distribution's archive offers no {series} kernel "
                                f"({meta} not found)",
                                hint="run 'apt-get update'; 'pilab doctor' lists the kernels")
    match = re.search(r"linux-headers-(\S+)", depends)
    if not match:
        raise MissingDependency(f"cannot tell which kernel {meta} depends on: {depends!r}")
    return match.group(1)


def headers_root(release: str) -> Path:
    return kernels_dir() / f"{release}-headers"


def series_headers(release: str) -> Path:
    """linux-headers-<release> with its -common and kbuild, unpacked once; the Kbuild dir."""
    root = headers_root(release)

    def finish(staging: Path) -> None:
        _relocate(staging / "usr" / "src" / f"linux-headers-{release}", root)
        (staging / HEADERS_STAMP).touch()

    def fetch() -> None:
        package = f"linux-headers-{release}"
        depends = _candidate_depends(package) or ""
        parts = re.findall(r"(linux-headers-\S+-common|linux-kbuild-\S+)\b", depends)
        fetch_debs([package, *dict.fromkeys(parts)], root, finish=finish)

    fill_once(root, (root / HEADERS_STAMP).is_file, fetch)
    return root / "usr" / "src" / f"linux-headers-{release}"


def _relocate(kbuild: Path, root: Path) -> None:
    """Point the Makefile's absolute include of the -common tree into the cache.

    The scripts/ and tools/ links are relative, so they already land in the
    unpacked linux-kbuild.
    """
    makefile = kbuild / "Makefile"
    if not makefile.is_file():
        raise VmError(f"{kbuild.name} holds no Makefile: not a Debian headers package")
    text = makefile.read_text()
    makefile.write_text(re.sub(r"^include /usr/src/", f"include {root}/usr/src/", text,
                               flags=re.MULTILINE))
