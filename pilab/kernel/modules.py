"""Load and unload kernel modules with parameters; refusals in plain words."""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from pilab.errors import ModuleError

ParamValue = int | str | Sequence[int]

# errno -> what it means when the kernel refuses a module
LOAD_ERRORS: dict[int, str] = {
    errno.ENOEXEC: "Invalid module format: it was built for another kernel; rebuild with "
    "'pilab build' against this kernel's headers",
    errno.EKEYREJECTED: "the kernel rejected the module's signature (Secure Boot): sign it "
    "with a machine owner key, see docs/secure-boot.md",
    errno.EPERM: "module loading is not permitted: run as root, and check that kernel "
    "lockdown (Secure Boot) allows unsigned modules, see docs/secure-boot.md",
    errno.EBUSY: "a pin or resource it needs is busy: another module or program holds it",
    errno.ENODEV: "a device it needs does not exist: check the pins and that the GPIO chip "
    "is loaded",
    errno.EINVAL: "a parameter was refused: see the module's message in the kernel log",
    errno.EEXIST: "the module is already loaded: unload it first (rmmod)",
    errno.ENOENT: "it needs a symbol that no loaded module provides: load its "
    "dependency first (see the kernel log)",
    errno.ENOSPC: "the kernel ran out of a resource the module needs",
    errno.ENOSYS: "this kernel was built without loadable module support",
}


# finit_module(2) and delete_module(2) by number: no insmod/rmmod process per
# load (a fork and exec costs about a second under QEMU's TCG), and the
# kernel's own errno instead of a message to parse.
SYSCALLS = {  # machine: (finit_module, delete_module)
    "x86_64": (313, 176),
    "aarch64": (273, 106),
    "armv7l": (379, 129),
    "armv6l": (379, 129),
}
_libc = ctypes.CDLL(None, use_errno=True)
_returned = [time.monotonic()]  # when a load or unload last came back from the kernel
_calls: dict[int, tuple[str, float]] = {}  # thread -> (what, since): loads and unloads under way


def last_returned() -> float:
    """time.monotonic() when a module's load or unload last returned (or failed)."""
    return _returned[0]


def oldest_call() -> tuple[str, float] | None:
    """The load or unload under way the longest (``"unloading bottomhalf"``, its start)."""
    return min(list(_calls.values()), key=lambda call: call[1], default=None)


@contextmanager
def _calling(what: str) -> Iterator[None]:
    _calls[threading.get_ident()] = (what, time.monotonic())
    try:
        yield
    finally:
        del _calls[threading.get_ident()]
        _returned[0] = time.monotonic()


def _syscalls() -> tuple[int, int]:
    try:
        return SYSCALLS[platform.machine()]
    except KeyError:
        raise ModuleError(f"pilab cannot load modules on {platform.machine()}") from None


def describe_load_error(name: str, code: int) -> ModuleError:
    """The ModuleError, in plain words, for the kernel refusing module *name*."""
    meaning = LOAD_ERRORS.get(code, os.strerror(code))
    symbol = errno.errorcode.get(code, str(code))
    return ModuleError(f"loading {name} failed ({symbol}): {meaning}", errno=code)


def format_params(params: Mapping[str, ParamValue]) -> list[str]:
    """Turn {"buttons": [17, 18]} into ["buttons=17,18"]."""
    out = []
    for key, value in params.items():
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        out.append(f"{key}={value}")
    return out


def loaded(name: str) -> bool:
    """Is module *name* loaded now?"""
    return Path("/sys/module", name.replace("-", "_"), "initstate").exists()


def insmod(path: Path, params: Mapping[str, ParamValue] | None = None) -> None:
    """Load a .ko file; raise ModuleError in plain words if the kernel refuses."""
    if not path.exists():
        raise ModuleError(f"{path} does not exist", hint="run 'pilab build' first")
    values = " ".join(format_params(params or {})).encode()
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        with _calling(f"loading {path.stem}"):
            ret = _libc.syscall(_syscalls()[0], fd, ctypes.c_char_p(values), 0)
            code = ctypes.get_errno()
    finally:
        os.close(fd)
    if ret != 0:
        raise describe_load_error(path.stem, code)


def rmmod(name: str, attempts: int = 50) -> None:
    """Unload a module, retrying briefly while it is still in use."""
    for _ in range(attempts):
        with _calling(f"unloading {name}"):
            ret = _libc.syscall(_syscalls()[1], ctypes.c_char_p(name.encode()), os.O_NONBLOCK)
            code = ctypes.get_errno()
        if ret == 0:
            return
        if code == errno.ENOENT and not loaded(name):
            return
        if code not in (errno.EAGAIN, errno.EBUSY):
            break
        time.sleep(0.05)
    raise ModuleError(f"unloading {name} failed ({errno.errorcode.get(code, code)}): "
                      f"{os.strerror(code)}", errno=code,
                      hint="something still uses it: close programs using its devices")


class ModuleStack:
    """Modules a lab loaded, unloaded in reverse order whatever happens."""

    def __init__(self, kmod_dir: Path) -> None:
        self.kmod_dir = kmod_dir
        self.elsewhere: dict[str, Path] = {}  # module name -> the directory of its .ko
        self._loaded: list[str] = []

    def load(self, name: str, **params: ParamValue) -> None:
        """insmod kmods/<name>.ko with *params*; remember to unload it."""
        if loaded(name):
            rmmod(name)  # a leftover from an interrupted run
        insmod(self.elsewhere.get(name, self.kmod_dir) / f"{name}.ko", params)
        self._loaded.append(name)

    def unload(self, name: str) -> None:
        rmmod(name)
        self._loaded.remove(name)

    def unload_all(self) -> None:
        errors = []
        while self._loaded:
            name = self._loaded.pop()
            try:
                rmmod(name)
            except ModuleError as exc:
                errors.append(str(exc))
        if errors:
            raise ModuleError("; ".join(errors))

    @contextmanager
    def loading(self, name: str, **params: ParamValue) -> Iterator[None]:
        """Load *name* for the body of a with-block only."""
        self.load(name, **params)
        try:
            yield
        finally:
            if name in self._loaded:
                self.unload(name)
