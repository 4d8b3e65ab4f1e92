"""Build kmods/ with Kbuild against a kernel release's headers."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

from pilab.errors import BuildError, MissingDependency
from pilab.progress import progress

KMOD_DIR = Path(__file__).resolve().parent.parent / "kmods"


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


def build(
    release: str | None = None,
    kmod_dir: Path = KMOD_DIR,
    extra: tuple[str, ...] = (),
    arch: str | None = None,
) -> list[Path]:
    """Run Kbuild; it is incremental, so an unchanged tree builds in seconds."""
    release = release or platform.release()
    build_dir = headers_dir(release)
    cmd = ["make", "-C", str(build_dir), f"M={kmod_dir}", f"-j{os.cpu_count() or 1}", *extra]
    if arch:
        cmd.append(f"ARCH={arch}")
    cmd.append("modules")
    with progress(f"building kernel modules for {release}"):
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise BuildError(f"building kmods for {release} failed:\n{tail}")
    return sorted(kmod_dir.glob("*.ko"))


def clean(release: str | None = None, kmod_dir: Path = KMOD_DIR) -> None:
    """Remove the build outputs."""
    build_dir = headers_dir(release or platform.release())
    subprocess.run(["make", "-C", str(build_dir), f"M={kmod_dir}", "clean"],
                   capture_output=True, check=False)
