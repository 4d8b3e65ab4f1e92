"""Where a warm VM keeps its lock, state and shared directory; what is known about it.

One warm VM per user and kernel release. Its supervisor holds an exclusive flock
on ``<cache>/warm/<uid>-<release>.lock`` for as long as it lives, so a lock that
can be taken means no warm VM, whatever a state file says. Clients reach it on
``<uid>-<release>.sock`` beside the lock, its QEMU on ``<uid>-<release>.guest.sock``.
The directory the guest shares is ``<cache>/runs``, where every scratch directory
of a VM run lives.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from pilab.errors import ConfigError
from pilab.paths import CACHE_ENV, PACKAGE_DIR, cache_dir
from pilab.vmhost.leash import run_members
from pilab.vmhost.vng import MEMORY

# The write end of a pipe from whoever started the supervisor: it writes one byte once
# its sockets listen, and the pipe's end (EOF) says it ended before that.
LISTENING_FD_ENV = "PILAB_WARM_LISTENING_FD"
SOCKET_PATH_MAX = 108  # sun_path's size on Linux, its terminating NUL included


def runs_dir() -> Path:
    """The directory every VM run's scratch lives in; the warm VM shares all of it."""
    return cache_dir() / "runs"


def key(release: str) -> str:
    return f"{os.getuid()}-{release}"


def lock_path(release: str) -> Path:
    return cache_dir() / "warm" / f"{key(release)}.lock"


def state_path(release: str) -> Path:
    return cache_dir() / "warm" / f"{key(release)}.json"


def console_path(release: str) -> Path:
    """The warm VM's console (kernel messages and the server's own lines)."""
    return cache_dir() / "warm" / f"{key(release)}.console"


def log_path(release: str) -> Path:
    """The supervisor's own output (``pilab vm up`` shows it if the VM does not come up)."""
    return cache_dir() / "warm" / f"{key(release)}.log"


def client_socket(release: str) -> Path:
    """Where pilab commands reach the supervisor."""
    return _socket(cache_dir() / "warm" / f"{key(release)}.sock")


def guest_socket(release: str) -> Path:
    """Where the warm VM's QEMU joins the guest server's virtio-serial port."""
    return _socket(cache_dir() / "warm" / f"{key(release)}.guest.sock")


def _socket(path: Path) -> Path:
    if len(os.fsencode(path)) >= SOCKET_PATH_MAX:
        raise ConfigError(f"the warm VM's socket path is too long for a Unix socket: {path}",
                          hint=f"set {CACHE_ENV} to a shorter directory")
    return path


def release_of_image(vmlinuz: Path) -> str:
    return vmlinuz.name.removeprefix("vmlinuz-")


@dataclass
class WarmState:
    """What the supervisor writes about its VM (``<key>.json``)."""

    pid: int  # the supervisor
    release: str
    vmlinuz: str
    run_id: str  # the current boot's leash run id (its processes carry it)
    started: float  # the supervisor's start (epoch seconds)
    booted: float  # the current boot's start
    idle: float  # seconds of idleness before it stops itself
    memory: str = MEMORY
    boots: int = 0
    crashes: int = 0
    ready: bool = False  # a guest server said READY on this boot's connection
    code: str = ""  # code_stamp() of the pilab its server imported
    used: float = 0.0  # when a command last started or ended (epoch seconds)

    def save(self) -> None:
        path = state_path(self.release)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self)))
        tmp.rename(path)


def code_stamp(package: Path = PACKAGE_DIR) -> str:
    """What pilab's source files are now (names, sizes, times): the warm server imports
    pilab once, so an edit since then means its in-process commands run the old code."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        info = path.stat()
        digest.update(f"{path.relative_to(package)} {info.st_size} {info.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def lock_held(release: str) -> bool:
    """True while a supervisor holds the warm VM's lock."""
    path = lock_path(release)
    if not path.exists():
        return False
    with open(path, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
    return False


def read_state(release: str) -> WarmState | None:
    """The running warm VM for *release*, or None (a stale state file is removed)."""
    path = state_path(release)
    if not lock_held(release):
        path.unlink(missing_ok=True)
        return None
    try:
        return WarmState(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def qemu_rss_kib(run_id: str) -> int | None:
    """QEMU's resident memory in KiB, found by the run id in its environment."""
    for pid, comm in run_members(run_id).items():
        if comm.startswith("qemu-system"):
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
            except (OSError, ValueError):
                return None
    return None


def ago(seconds: float) -> str:
    """A duration as people read it: 42s, 3m05s, 1h02m."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def now() -> float:
    return time.time()
