"""Build kmods/ with Kbuild against a kernel release's headers."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

from pilab.errors import BuildError, MissingDependency
from pilab.paths import KMOD_SOURCES, build_dir
from pilab.progress import progress

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


def build(release: str | None = None, extra: tuple[str, ...] = ()) -> list[Path]:
    """Build the kit's modules for *release* in the cache; the built .ko files.

    The sources are copied to ``build_dir(release)`` first: a build never
    writes into the package or the checkout.
    """
    release = release or platform.release()
    headers = headers_dir(release)
    out = build_dir(release)
    sync_sources(KMOD_DIR, out)
    cmd = ["make", "-C", str(headers), f"M={out}", f"-j{os.cpu_count() or 1}", *extra,
           "modules"]
    with progress(f"building kernel modules for {release}"):
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise BuildError(f"building kmods for {release} failed:\n{tail}")
    return sorted(out.glob("*.ko"))


def module_dir(release: str | None = None) -> Path:
    """Where the built modules for *release* (default: the running kernel) are."""
    return build_dir(release or platform.release())
