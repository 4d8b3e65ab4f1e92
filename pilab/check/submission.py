"""A submission: the C sources of a module someone wrote, gathered without running anything."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pilab.errors import ConfigError

SOURCE_SUFFIXES = (".c", ".h")
BUILD_FILES = ("Makefile", "makefile", "GNUmakefile", "Kbuild")
MAX_SOURCE_BYTES = 1 << 20  # per file: a lab module is a few KiB
MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Submission:
    """The .c/.h files of one submission, and what pilab left out of it."""

    name: str  # how reports name it: the directory, or the first file's stem
    sources: tuple[Path, ...]
    ignored: tuple[str, ...] = field(default_factory=tuple)  # build files, never run

    @property
    def modules(self) -> list[str]:
        """One module per .c file, named after it."""
        return sorted(p.stem for p in self.sources if p.suffix == ".c")

    def copy_to(self, dest: Path) -> None:
        """Copy the sources, and nothing else, into *dest*."""
        dest.mkdir(parents=True, exist_ok=True)
        for path in self.sources:
            shutil.copyfile(path, dest / path.name)


def gather(paths: list[Path]) -> Submission:
    """The submission made of *paths*: .c/.h files, or directories holding them."""
    if not paths:
        raise ConfigError("no source given")
    files: list[Path] = []
    ignored: list[str] = []
    for path in paths:
        if path.is_dir():
            for entry in sorted(path.iterdir()):
                if entry.name in BUILD_FILES:
                    ignored.append(entry.name)
                elif entry.suffix in SOURCE_SUFFIXES and entry.is_file():
                    files.append(entry)
        elif path.is_file() and path.suffix in SOURCE_SUFFIXES:
            files.append(path)
        elif path.name in BUILD_FILES:
            ignored.append(path.name)
        else:
            raise ConfigError(f"{path}: not a .c or .h file, nor a directory holding them")
    names = [p.name for p in files]
    if len(set(names)) != len(names):
        raise ConfigError(f"two sources share a name: {sorted(names)}")
    if not any(p.suffix == ".c" for p in files):
        raise ConfigError(f"no .c file in {', '.join(str(p) for p in paths)}")
    for path in files:
        if not MODULE_NAME.match(path.stem):
            raise ConfigError(f"{path.name}: a module's file name must be a C identifier")
        if path.stat().st_size > MAX_SOURCE_BYTES:
            raise ConfigError(f"{path.name} is over {MAX_SOURCE_BYTES >> 10} KiB")
    first = paths[0]
    name = first.name if first.is_dir() else first.stem
    return Submission(name, tuple(files), tuple(ignored))
