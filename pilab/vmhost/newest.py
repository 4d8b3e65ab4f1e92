"""The newest kernel Debian offers: unstable's, built and booted from an unstable chroot.

Its headers need unstable's gcc, and their objtool a newer glibc than an
older host has, so the modules are built inside the chroot with that
suite's own toolchain; the VM boots the chroot's kernel image with the
host's userspace, as for every other kernel.
"""

from __future__ import annotations

import re
from pathlib import Path

from pilab.cachelock import fill_once
from pilab.errors import MissingDependency
from pilab.vmhost.chroot import DebianChroot
from pilab.vmhost.debs import dpkg_arch, fetch_debs
from pilab.vmhost.image import image_path, kernels_dir
from pilab.vmhost.unpack import KEEP_PACKED

SUITE = "unstable"


def newest_chroot() -> DebianChroot:
    """The unstable chroot with gcc, sparse and the newest kernel's headers."""
    arch = dpkg_arch()
    return DebianChroot(SUITE, ("gcc", "make", "libc6-dev", "sparse", f"linux-headers-{arch}"),
                        arch)


def chroot_release(chroot: DebianChroot) -> str:
    """The release the chroot's linux-headers-<arch> meta package points at."""
    meta = f"linux-headers-{chroot.arch}"
    depends = chroot.run(["dpkg-query", "-W", "-f=${Depends}", meta]).stdout
    match = re.search(r"linux-headers-(\S+)", depends)
    if not match:
        raise MissingDependency(f"cannot tell which kernel {meta} in {SUITE} depends on")
    return match.group(1)


def _image_packages(chroot: DebianChroot, release: str) -> list[str]:
    """linux-image-<release> and the parts newer Debian splits it into.

    Since 7.x the image package only depends on linux-binary-<release> (the
    vmlinuz) and linux-modules-<release>; older ones hold both themselves.
    """
    image = f"linux-image-{release}"
    shown = chroot.run(["apt-cache", "show", "--no-all-versions", image]).stdout
    depends = re.search(r"^Depends: (.*)$", shown, re.MULTILINE)
    parts = re.findall(rf"\b(linux-(?:binary|modules)-{re.escape(release)})\b",
                       depends.group(1) if depends else "")
    return [image, *dict.fromkeys(parts)]


def newest_image(chroot: DebianChroot, release: str) -> Path:
    """linux-image-<release> from unstable, unpacked once into the kernels cache.

    Downloaded and unpacked inside the chroot (its apt knows unstable; its
    dpkg reads unstable's compression), then moved next to the other images.

    It boots as the vmlinuz, not as the vmlinux pilab unpacks for the
    distribution's kernels (unpack.py): two CI runs of this stop had Debian
    unstable's 7.2 die when booted bare (once in early boot, once mid-lab),
    while 11 local runs did not and the distribution's 6.1 and 6.12 never
    did. Until that is understood, this kernel keeps its own decompressor.
    """
    fill_once(kernels_dir() / release, lambda: image_path(release).exists(),
              lambda: fetch_debs(_image_packages(chroot, release), kernels_dir() / release,
                                 where=chroot))
    vmlinuz = image_path(release)
    if not vmlinuz.exists():
        raise MissingDependency(f"linux-image-{release} from {SUITE} holds no {vmlinuz.name}")
    _keep_packed(release)
    return vmlinuz


def _keep_packed(release: str) -> None:
    marker = kernels_dir() / release / KEEP_PACKED
    if not marker.exists():
        marker.write_text("boot this kernel's vmlinuz: see pilab/vmhost/newest.py\n")
