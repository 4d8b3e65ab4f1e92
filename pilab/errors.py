"""The pilab exception family: every message is written for a student."""

from __future__ import annotations


class PilabError(Exception):
    """Base of all pilab errors; the CLI prints these without a traceback."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class ConfigError(PilabError):
    """A wiring file, lab name or option is wrong."""


class MissingDependency(PilabError):
    """A tool, package or header set is not installed."""


class BuildError(PilabError):
    """Kbuild failed."""


class ModuleError(PilabError):
    """Loading or unloading a kernel module failed."""

    def __init__(self, message: str, errno: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.errno = errno


class GpioError(PilabError):
    """A GPIO chip or line could not be found or used."""


class VmError(PilabError):
    """The QEMU virtual machine could not be prepared or run."""


class KernelUnhealthy(PilabError):
    """The kernel log shows a warning, bug or corruption."""
