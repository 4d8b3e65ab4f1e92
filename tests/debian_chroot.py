"""A throwaway Debian chroot from this machine's own apt mirror, for install tests.

The debootstrap result is cached in ``$XDG_CACHE_HOME/pilab/chroots/`` (a
directory with a completion stamp); every run works on a fresh copy of it,
reaching apt and pip the way this machine does: the mirror from its apt
sources, its apt proxy/auth settings, its pip configuration and trust store.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The apt sources are read, and apt's network settings chosen, as pilab's own chroot does.
from pilab.vmhost.aptsources import AptSource, apt_sources, parse_deb822, parse_one_line
from pilab.vmhost.chroot import APT_NET, mounts_under

__all__ = ["AptSource", "apt_sources", "parse_deb822", "parse_one_line"]  # the tests use them

STAMP = ".pilab-debootstrap-done"
# Environment variables that say how to reach the package index and whom to trust.
PASS_ENV = re.compile(r"PIP_\w+|SSL_CERT_FILE|SSL_CERT_DIR|REQUESTS_CA_BUNDLE|"
                      r"(?i:https?_proxy|no_proxy)")
CERT_ENV = ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")


class Unavailable(Exception):
    """The chroot cannot be made here (no debootstrap, no mirror, not root)."""


def retarget(sources: list[AptSource], host: str, target: str) -> list[AptSource]:
    """The host's Debian entries (suite *host*, *host*-updates, ...) moved to *target*."""
    moved = []
    for src in sources:
        suites = tuple(target + s[len(host):] for s in src.suites
                       if s == host or s.startswith(host + "-"))
        if suites:
            moved.append(AptSource(src.uri, suites, src.components))
    if not any(target in s.suites for s in moved):
        raise Unavailable(f"no apt source of this machine carries Debian's {host} suite")
    return moved


def host_codename(os_release: Path = Path("/etc/os-release")) -> str:
    """This machine's Debian codename (bookworm, trixie, ...)."""
    match = re.search(r"^VERSION_CODENAME=\"?(\w+)", os_release.read_text(), re.M)
    if not match:
        raise Unavailable("cannot tell this machine's Debian codename from /etc/os-release")
    return match.group(1)


def cache_root() -> Path:
    """Where cached chroots live: ``$XDG_CACHE_HOME/pilab/chroots`` (default ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pilab" / "chroots"


def _apt_proxy_env() -> dict[str, str]:
    """http(s)_proxy for debootstrap, from apt's own proxy settings, if any."""
    env = {}
    for scheme in ("http", "https"):
        out = subprocess.run(["apt-config", "shell", "P", f"Acquire::{scheme}::Proxy"],
                             capture_output=True, text=True, check=False).stdout
        match = re.match(r"P='([^']+)'", out)
        if match and match.group(1).upper() not in ("DIRECT", "FALSE"):
            env[f"{scheme}_proxy"] = match.group(1)
    return env


def base_chroot(suite: str, sources: list[AptSource], arch: str, log: Path) -> Path:
    """The cached debootstrap of *suite*, made on first use (minbase: a bare system)."""
    if os.geteuid() != 0:
        raise Unavailable("not root: debootstrap and chroot need root")
    if not shutil.which("debootstrap"):
        raise Unavailable("debootstrap is not installed (scripts/install --dev installs it)")
    main = next(s for s in sources if suite in s.suites)
    root = cache_root() / f"{suite}-{arch}"
    key = f"{main.uri} {suite} {arch} minbase\n"
    if (root / STAMP).is_file() and (root / STAMP).read_text() == key:
        return root
    try:
        with urllib.request.urlopen(f"{main.uri}/dists/{suite}/Release", timeout=30):
            pass
    except OSError as exc:
        raise Unavailable(f"the apt mirror does not answer for {suite}: {exc}") from None
    partial = root.with_name(root.name + ".partial")
    # An interrupted debootstrap may leave its /proc and /sys mounted in there.
    for point in reversed(mounts_under(partial)):
        subprocess.run(["umount", "-l", point], check=False)
    if mounts_under(partial):
        raise RuntimeError(f"{partial} still has mounts: not removing it")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as out:
        proc = subprocess.run(["debootstrap", "--variant=minbase", f"--arch={arch}", suite,
                               str(partial), main.uri], stdout=out, stderr=subprocess.STDOUT,
                              env={**os.environ, **_apt_proxy_env()}, check=False, timeout=1200)
    if proc.returncode != 0:
        raise RuntimeError(f"debootstrap {suite} failed (exit {proc.returncode}); see {log}")
    (partial / STAMP).write_text(key)
    partial.rename(root)
    return root


def _pip_paths() -> list[Path]:
    """Local files and directories pip's configuration names (certs, constraints, indexes)."""
    out = subprocess.run([sys.executable, "-m", "pip", "config", "list"],
                         capture_output=True, text=True, check=False).stdout
    values = [v for line in out.splitlines() for v in line.partition("=")[2].strip("'").split()]
    values += [v for name, value in os.environ.items() if name.startswith("PIP_")
               for v in value.split()]
    paths = []
    for value in values:
        path = Path(value.removeprefix("file://"))
        # A local PEP 503 index links to its files relative to simple/ (../../files/).
        path = path.parent if path.name == "simple" else path
        if not path.is_absolute() or not path.exists() or path in paths:
            continue
        # Never / or a directory holding the chroots: those would be mounted into themselves.
        if path.is_dir() and cache_root().is_relative_to(path):
            continue
        paths.append(path)
    return paths


def _pip_config_files() -> list[Path]:
    """pip's configuration files on this machine (global, site-wide, root's, PIP_CONFIG_FILE)."""
    home = Path.home()
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    files = [Path("/etc/pip.conf"), *Path("/etc/xdg/pip").glob("*"), config / "pip/pip.conf",
             home / ".pip/pip.conf"]
    if os.environ.get("PIP_CONFIG_FILE"):
        files.append(Path(os.environ["PIP_CONFIG_FILE"]))
    return [f for f in files if f.is_file()]


class Chroot:
    """A fresh copy of a cached base, set up to reach apt and pip like this machine."""

    def __init__(self, root: Path, log: Path) -> None:
        self.root = root
        self.log = log
        self.mounted: list[Path] = []

    def _inside(self, path: Path) -> Path:
        return self.root / str(path).lstrip("/")

    def copy_in(self, path: Path) -> None:
        """Copy a host file to the same path inside the chroot."""
        dest = self._inside(path)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path.resolve(), dest)

    def _trust(self, bundle: Path) -> None:
        """The host's CA bundle at its own path, and kept when ca-certificates rebuilds it."""
        self.copy_in(bundle)
        local = self._inside(Path("/usr/local/share/ca-certificates/pilab-host-bundle.crt"))
        local.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(bundle.resolve(), local)

    def mount(self, source: str, target: Path, *opts: str, readonly: bool = False) -> None:
        """Mount into the chroot; recorded so that cleanup unmounts it."""
        dest = self._inside(target)
        dest.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", *opts, source, str(dest)], check=True)
        self.mounted.append(dest)
        if readonly:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(dest)], check=True)

    def configure(self, sources: list[AptSource], apt_archives: Path) -> None:
        """apt sources and network settings, pip configuration and trust store, mounts."""
        lines = [f"deb {s.uri} {suite} {' '.join(s.components) or 'main'}"
                 for s in sources for suite in s.suites]
        (self._inside(Path("/etc/apt/sources.list"))).write_text("\n".join(lines) + "\n")
        for conf in sorted(Path("/etc/apt/apt.conf.d").glob("*")):
            if conf.is_file() and APT_NET.search(conf.read_text(errors="replace")):
                self.copy_in(conf)
        for auth in [Path("/etc/apt/auth.conf"), *Path("/etc/apt/auth.conf.d").glob("*")]:
            if auth.is_file():
                self.copy_in(auth)
        for name in ("/etc/resolv.conf", "/etc/hosts"):
            self.copy_in(Path(name))
        # A throwaway system: dpkg need not fsync every file it unpacks.
        dpkg_cfg = self._inside(Path("/etc/dpkg/dpkg.cfg.d/pilab-unsafe-io"))
        dpkg_cfg.parent.mkdir(parents=True, exist_ok=True)
        dpkg_cfg.write_text("force-unsafe-io\n")
        # No daemons start inside the chroot while packages install.
        policy = self._inside(Path("/usr/sbin/policy-rc.d"))
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        for conf in _pip_config_files():
            self.copy_in(conf)
        for name in CERT_ENV:
            if os.environ.get(name) and Path(os.environ[name]).is_file():
                self._trust(Path(os.environ[name]))
        for path in _pip_paths():
            if path.is_file() and path.suffix in (".crt", ".pem"):
                self._trust(path)
            elif path.is_file():
                self.copy_in(path)
        self.mount("proc", Path("/proc"), "-t", "proc")
        self.mount("/sys", Path("/sys"), "--bind")
        self.mount("/dev", Path("/dev"), "--bind")
        apt_archives.joinpath("partial").mkdir(parents=True, exist_ok=True)
        self.mount(str(apt_archives), Path("/var/cache/apt/archives"), "--bind")
        for path in _pip_paths():
            if path.is_dir():
                self.mount(str(path), path, "--bind", readonly=True)

    def env(self) -> dict[str, str]:
        """The environment of commands inside: the host's index and trust settings, no cache."""
        env = {name: value for name, value in os.environ.items() if PASS_ENV.fullmatch(name)}
        return {**env, "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME": "/root", "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive",
                "PIP_NO_CACHE_DIR": "1"}

    def run(self, script: str, timeout: float, cwd: str = "/") -> tuple[int, str]:
        """Run a bash script inside; (exit status, its output). The output also goes to log."""
        env = [f"{k}={v}" for k, v in self.env().items()]
        cmd = ["chroot", str(self.root), "/usr/bin/env", "-i", *env, "/bin/bash", "-c",
               f"cd {cwd} && {script}"]
        start = time.monotonic()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  check=False)
            status, output = proc.returncode, proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout or b""
            status = 124
            output = (out.decode(errors="replace") if isinstance(out, bytes) else out)
            output += f"\n[timed out after {timeout:.0f}s]"
        with self.log.open("a") as log:
            log.write(f"### {script} (exit {status}, {time.monotonic() - start:.0f}s)\n"
                      f"{output}\n")
        return status, output

    def kill_leftovers(self) -> None:
        """Kill processes still running inside the chroot (started by our commands)."""
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if os.readlink(proc / "root") == str(self.root):
                    os.kill(int(proc.name), signal.SIGKILL)
            except OSError:
                continue

    def unmount_all(self) -> list[str]:
        """Unmount everything mounted inside (lazily); what is still mounted afterwards."""
        for dest in reversed(self.mounted):
            subprocess.run(["umount", "-l", str(dest)], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for point in reversed(mounts_under(self.root)):
            subprocess.run(["umount", "-l", point], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.mounted.clear()
        return mounts_under(self.root)


@contextmanager
def fresh_chroot(base: Path, sources: list[AptSource], apt_archives: Path,
                 log: Path) -> Iterator[Chroot]:
    """A copy of *base*, configured and mounted; always unmounted and removed.

    The copy lives next to the cache, not in pytest's shared temp directory,
    whose clean-up by another pytest run must never walk into its mounts.
    """
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=base.parent))
    root = workdir / "root"
    chroot = Chroot(root, log)
    try:
        subprocess.run(["cp", "-a", "--reflink=auto", str(base), str(root)], check=True)
        (root / STAMP).unlink(missing_ok=True)
        chroot.configure(sources, apt_archives)
        yield chroot
    finally:
        chroot.kill_leftovers()
        left = chroot.unmount_all()
        if left:
            raise RuntimeError(f"still mounted, {root} kept: {', '.join(left)}")
        shutil.rmtree(workdir, ignore_errors=True)

