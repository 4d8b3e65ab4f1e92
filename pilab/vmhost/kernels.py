"""Which kernel the vm board boots: ``--kernel default | X.Y | newest``.

default  the distribution's kernel (what linux-headers-<arch> depends on)
X.Y      the archive's current build of that series, e.g. 6.12 on Debian 12
newest   the newest kernel Debian's unstable suite offers, built in a chroot
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

from pilab.errors import PilabError
from pilab.vmhost.chroot import DebianChroot
from pilab.vmhost.image import ensure_image, headers_release, image_path

DEFAULT, NEWEST = "default", "newest"
SERIES = re.compile(r"\d+\.\d+")
KERNEL_HELP = ("vm: the kernel to boot: 'default' (the distribution's), a series the "
               "archive offers (e.g. 6.12), or 'newest' (Debian unstable's)")


def kernel_choice(value: str) -> str:
    """argparse type for --kernel."""
    if value in (DEFAULT, NEWEST) or SERIES.fullmatch(value):
        return value
    raise argparse.ArgumentTypeError(f"{value!r}: say 'default', 'newest' or a series like 6.12")


def add_kernel_option(parser: argparse.ArgumentParser, default: str = DEFAULT) -> None:
    """--kernel on *parser* (a subcommand's: default=argparse.SUPPRESS keeps its parent's)."""
    parser.add_argument("--kernel", type=kernel_choice, default=default, metavar="K",
                        help=KERNEL_HELP)


@dataclass(frozen=True)
class VmKernel:
    """A bootable image and the Kbuild tree that builds modules for it."""

    choice: str
    release: str
    vmlinuz: Path
    headers: Path  # as the build sees it: inside *chroot* when there is one
    chroot: DebianChroot | None = None


def release_of(choice: str) -> str:
    """The release *choice* means now, without downloading anything but indexes."""
    if choice == NEWEST:
        from pilab.vmhost.newest import chroot_release, newest_chroot

        return chroot_release(newest_chroot())
    default = headers_release()
    if choice == DEFAULT or default.startswith(f"{choice}."):
        return default  # Debian 13's default is 6.12 already: no second package
    from pilab.vmhost.series import series_release

    return series_release(choice)


def resolve(choice: str = DEFAULT) -> VmKernel:
    """The image and headers for *choice*, fetched (or built) on first use."""
    if choice == NEWEST:
        from pilab.vmhost.newest import chroot_release, newest_chroot, newest_image

        chroot = newest_chroot()
        chroot.ensure()
        release = chroot_release(chroot)
        return VmKernel(choice, release, newest_image(chroot, release),
                        Path("/usr/src", f"linux-headers-{release}"), chroot)
    release = release_of(choice)
    if release == headers_release():
        from pilab.kernel.build import headers_dir

        return VmKernel(choice, release, ensure_image(release), headers_dir(release))
    from pilab.vmhost.series import series_headers

    return VmKernel(choice, release, ensure_image(release), series_headers(release))


def available() -> list[tuple[str, str]]:
    """(choice, what it is now or why not) for every kind of kernel: for pilab doctor."""
    found = []
    for choice in (DEFAULT, *other_series(), NEWEST):
        try:
            if choice == NEWEST:
                found.append((choice, _newest_state()))
                continue
            release = release_of(choice)
            cached = image_path(release).exists()
            found.append((choice, f"{release} (image {'cached' if cached else 'fetched on use'})"))
        except PilabError as exc:
            found.append((choice, f"unavailable: {exc}"))
    return found


def _newest_state() -> str:
    from pilab.vmhost.newest import SUITE, chroot_release, newest_chroot

    chroot = newest_chroot()
    chroot.check_possible()
    if not chroot.ready():
        return f"Debian {SUITE}'s (its chroot is made on first use, a few minutes)"
    return f"{chroot_release(chroot)} (Debian {SUITE}, chroot in {chroot.root})"


def other_series() -> list[str]:
    """Series with their own meta package in the archive (linux-headers-X.Y-<arch>)."""
    import subprocess

    from pilab.vmhost.debs import dpkg_arch

    arch = dpkg_arch()
    out = subprocess.run(["apt-cache", "search", "--names-only",
                          rf"^linux-headers-[0-9]+\.[0-9]+-{arch}$"],
                         capture_output=True, text=True, check=False).stdout
    names = re.findall(rf"^linux-headers-(\d+\.\d+)-{arch}\b", out, re.MULTILINE)
    default = headers_release()
    return sorted({s for s in names if not default.startswith(f"{s}.")},
                  key=lambda s: tuple(map(int, s.split("."))))
