"""Build kmods/ with Kbuild against a kernel release's headers."""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from pilab.cachelock import filling
from pilab.errors import BuildError, MissingDependency
from pilab.kernel.buildhints import hints_for
from pilab.paths import KMOD_SOURCES, build_dir
from pilab.progress import progress

if TYPE_CHECKING:
    from pilab.vmhost.kernels import VmKernel

KMOD_DIR = KMOD_SOURCES  # the kit's module sources


def headers_dir(release: str) -> Path:
    """The Kbuild tree for *release*, or a plain error saying how to get it."""
    build = Path("/lib/modules") / release / "build"
    if not (build / "Makefile").exists():
        raise MissingDependency(
            f"kernel headers for {release} are not installed",
            hint=headers_install_hint(release),
        )
    return build


def headers_install_hint(release: str) -> str:
    """The command that installs headers for *release* on this machine."""
    if Path("/etc/rpi-issue").exists() or "rpi" in release:
        return "sudo apt install raspberrypi-kernel-headers (Pi OS) or linux-headers-rpi-v8"
    return f"apt-get install linux-headers-{release}"


def sync_sources(sources: Path, dest: Path) -> None:
    """Copy the module sources into *dest*, touching only files that changed.

    Unchanged files keep their times, so Kbuild stays incremental.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(sources.iterdir()):
        if not path.is_file() or not (path.suffix in (".c", ".h") or path.name == "Kbuild"):
            continue
        if path.name.endswith(".mod.c"):
            continue
        target = dest / path.name
        data = path.read_bytes()
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)


def build(release: str | None = None, extra: tuple[str, ...] = (),
          kernel: VmKernel | None = None) -> list[Path]:
    """Build the kit's modules for *release* in the cache; the built .ko files.

    The sources are copied to ``build_dir(release)`` first: a build never
    writes into the package or the checkout. A *kernel* from a chroot is
    built in there, with its own toolchain, and the .ko files copied out.
    """
    if kernel is not None and kernel.chroot is not None:
        with filling(build_dir(kernel.release)):
            return _build_in_chroot(kernel, extra)
    release = kernel.release if kernel else release or platform.release()
    headers = kernel.headers if kernel else headers_dir(release)
    out = build_dir(release)
    with filling(out):
        sync_sources(KMOD_DIR, out)
        stamp, wanted = out / ".pilab-built", _fingerprint(headers, extra)
        if stamp.exists() and stamp.read_text() == wanted and any(out.glob("*.ko")):
            return sorted(out.glob("*.ko"))  # nothing changed: make would take seconds
        stamp.unlink(missing_ok=True)
        cmd = ["make", "-C", str(headers), f"M={out}", f"-j{os.cpu_count() or 1}", *extra,
               "modules"]
        with progress(f"building kernel modules for {release}"):
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        _check(release, proc.returncode, proc.stdout + proc.stderr)
        stamp.write_text(wanted)
        return sorted(out.glob("*.ko"))


def _fingerprint(headers: Path, extra: tuple[str, ...]) -> str:
    """What a build's result depends on: the sources, the headers and make's options."""
    digest = hashlib.sha256(repr((str(headers.resolve()), extra)).encode())
    for path in sorted(KMOD_DIR.iterdir()):
        if path.is_file() and (path.suffix in (".c", ".h") or path.name == "Kbuild"):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for config in (headers / "include/config/auto.conf", headers / ".config"):
        if config.exists():
            digest.update(str(config.stat().st_mtime_ns).encode())
    return digest.hexdigest()


def _build_in_chroot(kernel: VmKernel, extra: tuple[str, ...]) -> list[Path]:
    assert kernel.chroot is not None
    inside = f"/var/tmp/pilab-build/{kernel.release}"
    work = kernel.chroot.inside(inside)
    sync_sources(KMOD_DIR, work)
    cmd = ["make", "-C", str(kernel.headers), f"M={inside}", f"-j{os.cpu_count() or 1}",
           *extra, "modules"]
    with progress(f"building kernel modules for {kernel.release} in the "
                  f"{kernel.chroot.suite} chroot"):
        proc = kernel.chroot.run(cmd, check=False)
    _check(kernel.release, proc.returncode, proc.stdout + proc.stderr)
    out = build_dir(kernel.release)
    out.mkdir(parents=True, exist_ok=True)
    built = sorted(work.glob("*.ko"))
    for old in out.glob("*.ko"):
        if not (work / old.name).exists():
            old.unlink()
    for ko in built:  # replaced whole: a VM loading a module meanwhile reads old or new
        partial = out / f".{ko.name}.partial"
        shutil.copy2(ko, partial)
        partial.replace(out / ko.name)
    return sorted(out.glob("*.ko"))


def build_output(kernel: VmKernel, extra: tuple[str, ...]) -> tuple[str, str]:
    """A clean build of kmods/ for *kernel*: Kbuild's whole output, and the M= directory.

    For the W=1 and sparse checks; the directory is removed afterwards.
    """
    lock = build_dir(kernel.release).with_name(f"check-{kernel.release}")
    with filling(lock):  # one such build at a time per kernel: they share the directory
        if kernel.chroot is not None:
            where = f"/var/tmp/pilab-check/{kernel.release}"
            host = kernel.chroot.inside(where)
            shutil.rmtree(host, ignore_errors=True)
            sync_sources(KMOD_DIR, host)
            proc = kernel.chroot.run(["make", "-C", str(kernel.headers), f"M={where}",
                                      *extra, "modules"], check=False)
        else:
            host = lock
            where = str(host)
            shutil.rmtree(host, ignore_errors=True)
            sync_sources(KMOD_DIR, host)
            proc = subprocess.run(["make", "-C", str(kernel.headers), f"M={where}", *extra,
                                   "modules"], capture_output=True, text=True, check=False)
        shutil.rmtree(host, ignore_errors=True)
    _check(kernel.release, proc.returncode, proc.stdout + proc.stderr)
    return proc.stdout + proc.stderr, where


def _check(release: str, code: int, output: str) -> None:
    """BuildError with the output's tail and the known API breaks it shows."""
    if code == 0:
        return
    tail = "\n".join(output.strip().splitlines()[-15:])
    hints = hints_for(output)
    raise BuildError(f"building kmods for {release} failed:\n{tail}",
                     hint="\n  hint: ".join(hints) if hints else None)


def module_dir(release: str | None = None) -> Path:
    """Where the built modules for *release* (default: the running kernel) are."""
    return build_dir(release or platform.release())
