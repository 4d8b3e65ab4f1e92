"""A cached Debian chroot of any suite, made with debootstrap from this machine's mirror.

The mirror is the one this machine's own apt sources name; apt's network
settings (proxy, auth) and the host's CA bundle are copied in, so the chroot
reaches the archive exactly the way the host does. Commands run in a private
mount namespace with their own /proc, so nothing stays mounted after them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pilab.cachelock import filling
from pilab.errors import MissingDependency
from pilab.paths import cache_dir
from pilab.progress import progress
from pilab.vmhost.aptsources import apt_sources
from pilab.vmhost.debs import dpkg_arch

STAMP = ".pilab-chroot-ready"
REFRESH_AFTER = 24 * 3600  # a moving suite is re-checked for upgrades once a day
# apt settings that decide how apt reaches its mirror: copied into every chroot.
APT_NET = re.compile(r"Acquire::(https?|ftp)::|Proxy|Check-Valid-Until|Check-Date", re.I)


class ChrootUnavailable(MissingDependency):
    """The chroot cannot be made on this machine; the message says why."""


def debian_mirror(etc: Path = Path("/etc/apt")) -> str:
    """The Debian archive this machine's apt uses (not its security archive)."""
    for source in apt_sources(etc):
        if any("security" not in s and "-" not in s for s in source.suites):
            return source.uri
    raise ChrootUnavailable("no Debian archive in this machine's apt sources",
                            hint="add one to /etc/apt/sources.list.d/debian.sources")


def mounts_under(root: Path) -> list[str]:
    """Mount points at or below *root*, per /proc/self/mountinfo."""
    prefix = str(root).rstrip("/")
    points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    return [p for p in points if p == prefix or p.startswith(prefix + "/")]


class DebianChroot:
    """``~/.cache/pilab/chroots/<suite>-<arch>``, with *packages* installed and kept current."""

    def __init__(self, suite: str, packages: tuple[str, ...], arch: str | None = None) -> None:
        self.suite = suite
        self.packages = packages
        self.arch = arch or dpkg_arch()
        self.root = cache_dir() / "chroots" / f"{suite}-{self.arch}"
        self.log = self.root.with_name(self.root.name + ".log")

    def check_possible(self) -> None:
        """Raise ChrootUnavailable with the reason, when it cannot be made here."""
        if os.geteuid() != 0:
            raise ChrootUnavailable(f"the {self.suite} chroot needs root (debootstrap, chroot)",
                                    hint="run as root, or use a kernel of this distribution")
        if not shutil.which("debootstrap"):
            raise ChrootUnavailable("debootstrap is not installed",
                                    hint="scripts/install --dev (apt-get install debootstrap)")
        debian_mirror()

    def ready(self) -> bool:
        return (self.root / STAMP).is_file()

    def ensure(self) -> Path:
        """Make the chroot on first use, upgrade it once a day; its root."""
        self.check_possible()
        stamp = self.root / STAMP
        wanted = " ".join(self.packages)
        with filling(self.root):
            if not stamp.is_file():
                self._debootstrap()
            elif (stamp.read_text() == wanted
                  and time.time() - stamp.stat().st_mtime < REFRESH_AFTER):
                return self.root
            self._configure()
            with progress(f"installing {wanted} in the {self.suite} chroot"):
                self.apt("update")
                self.apt("install", "-y", "--no-install-recommends", *self.packages)
                self.apt("clean")
            stamp.write_text(wanted)
        return self.root

    def _debootstrap(self) -> None:
        partial = self.root.with_name(self.root.name + ".partial")
        for point in reversed(mounts_under(partial)):  # left by a killed debootstrap
            subprocess.run(["umount", "-l", point], check=False)
        if mounts_under(partial):
            raise ChrootUnavailable(f"{partial} still has mounts; unmount them first")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(self.root, ignore_errors=True)
        partial.parent.mkdir(parents=True, exist_ok=True)
        cmd = ["debootstrap", "--variant=minbase", f"--arch={self.arch}", self.suite,
               str(partial), debian_mirror()]
        with progress(f"making a Debian {self.suite} chroot (once, then cached in "
                      f"{self.root}; see {self.log})"), self.log.open("w") as log:
            proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False)
        if proc.returncode != 0:
            raise ChrootUnavailable(f"debootstrap {self.suite} failed (exit {proc.returncode})",
                                    hint=f"see {self.log}")
        partial.rename(self.root)

    def _copy_in(self, path: Path) -> None:
        dest = self.root / str(path).lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path.resolve(), dest)

    def _configure(self) -> None:
        """Reach the archive like the host: its apt network settings, names and CAs."""
        conf = Path("/etc/apt/apt.conf.d")
        for path in sorted(conf.glob("*")):
            if path.is_file() and APT_NET.search(path.read_text(errors="replace")):
                self._copy_in(path)
        for path in [Path("/etc/apt/auth.conf"), *Path("/etc/apt/auth.conf.d").glob("*"),
                     Path("/etc/resolv.conf"), Path("/etc/hosts")]:
            if path.is_file():
                self._copy_in(path)
        bundle = os.environ.get("SSL_CERT_FILE")
        if bundle and Path(bundle).is_file():
            self._copy_in(Path(bundle))
        policy = self.root / "usr/sbin/policy-rc.d"  # no daemons start in here
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)

    def env(self) -> dict[str, str]:
        return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
                "DEBIAN_FRONTEND": "noninteractive", "INITRD": "No"}

    def run(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run *argv* inside; output captured (and appended to the log)."""
        env = [f"{k}={v}" for k, v in self.env().items()]
        # objtool reads /proc: mounted in a private mount namespace, it goes with the command.
        cmd = ["unshare", "--mount", "--propagation", "private", "chroot", str(self.root),
               "/bin/sh", "-c", 'mount -t proc proc /proc && exec "$@"', "sh",
               "/usr/bin/env", "-i", *env, *argv]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        with self.log.open("a") as log:
            log.write(f"### {' '.join(argv)} (exit {proc.returncode})\n"
                      f"{proc.stdout}{proc.stderr}\n")
        if check and proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-10:])
            raise ChrootUnavailable(f"in the {self.suite} chroot, {' '.join(argv)} failed:\n"
                                    f"{tail}", hint=f"see {self.log}")
        return proc

    def apt(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(["apt-get", "-q", *args])

    def inside(self, path: str) -> Path:
        """The host path of *path* inside the chroot."""
        return self.root / path.lstrip("/")

    def sees(self, path: Path) -> str | None:
        """The path inside the chroot of host *path*; None if it is outside the chroot."""
        return f"/{path.relative_to(self.root)}" if path.is_relative_to(self.root) else None

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        """A fresh directory in the chroot's /var/tmp, owned by its apt (for fetch_debs)."""
        with tempfile.TemporaryDirectory(prefix="pilab-deb-", dir=self.inside("/var/tmp")) as tmp:
            self.run(["chown", "_apt", f"/{Path(tmp).relative_to(self.root)}"])
            yield Path(tmp)
