"""insmod and rmmod with parameters; kernel refusals turned into plain words."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from pilab.errors import MissingDependency, ModuleError

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
    errno.ENOENT: "the module needs a symbol no loaded module provides: load its "
    "dependency first",
    errno.ENOSPC: "the kernel ran out of a resource the module needs",
}


# kmod's insmod words some errnos its own way
KMOD_WORDS = {
    "Invalid module format": errno.ENOEXEC,
    "Unknown symbol in module": errno.ENOENT,
    "Invalid parameters": errno.EINVAL,
}


def _errno_from(text: str) -> int | None:
    """Find which errno insmod/rmmod's message ends with."""
    for words, code in KMOD_WORDS.items():
        if words in text:
            return code
    for code in sorted(errno.errorcode):
        if text.rstrip().endswith(os.strerror(code)):
            return code
    return None


def format_params(params: Mapping[str, ParamValue]) -> list[str]:
    """Turn {"buttons": [17, 18]} into ["buttons=17,18"]."""
    out = []
    for key, value in params.items():
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        out.append(f"{key}={value}")
    return out


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if not path:
        raise MissingDependency(f"{name} not found", hint="apt-get install kmod")
    return path


def loaded(name: str) -> bool:
    """Is module *name* loaded now?"""
    return Path("/sys/module", name.replace("-", "_"), "initstate").exists()


def insmod(path: Path, params: Mapping[str, ParamValue] | None = None) -> None:
    """Load a .ko file; raise ModuleError in plain words if the kernel refuses."""
    if not path.exists():
        raise ModuleError(f"{path} does not exist", hint="run 'pilab build' first")
    cmd = [_tool("insmod"), str(path), *format_params(params or {})]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode == 0:
        return
    message = proc.stderr.strip() or proc.stdout.strip()
    code = _errno_from(message)
    meaning = LOAD_ERRORS.get(code or -1, message)
    name = errno.errorcode.get(code or -1, "error")
    raise ModuleError(f"loading {path.stem} failed ({name}): {meaning}", errno=code)


def rmmod(name: str, attempts: int = 20) -> None:
    """Unload a module, retrying briefly while it is still in use."""
    for attempt in range(attempts):
        proc = subprocess.run([_tool("rmmod"), name], capture_output=True, text=True, check=False)
        if proc.returncode == 0 or not loaded(name):
            return
        if _errno_from(proc.stderr) != errno.EBUSY or attempt == attempts - 1:
            raise ModuleError(f"unloading {name} failed: {proc.stderr.strip()}")
        time.sleep(0.1)


class ModuleStack:
    """Modules a lab loaded, unloaded in reverse order whatever happens."""

    def __init__(self, kmod_dir: Path) -> None:
        self.kmod_dir = kmod_dir
        self._loaded: list[str] = []

    def load(self, name: str, **params: ParamValue) -> None:
        """insmod kmods/<name>.ko with *params*; remember to unload it."""
        if loaded(name):
            rmmod(name)  # a leftover from an interrupted run
        insmod(self.kmod_dir / f"{name}.ko", params)
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
