"""``pilab doctor``'s lgpio line: the Python version and how lgpio was obtained."""

from __future__ import annotations

import importlib.metadata
import platform
from pathlib import Path

import pytest

from pilab import doctor
from pilab.errors import PilabError


class FakeDist:
    """Just what doctor reads of an installed distribution."""

    version = "0.2.2.0"

    def __init__(self, meta: dict[str, str], so: Path | None = None) -> None:
        self.meta = meta
        self.files = [FakeFile(so)] if so else []

    def read_text(self, name: str) -> str | None:
        return self.meta.get(name)


class FakeFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self.suffix = path.suffix

    def locate(self) -> Path:
        return self.path


def _origin(monkeypatch: pytest.MonkeyPatch, dist: FakeDist) -> str:
    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: dist)
    return doctor._lgpio()


def _wheel(tag: str) -> dict[str, str]:
    return {"WHEEL": f"Wheel-Version: 1.0\nGenerator: setuptools (80.9.0)\nTag: {tag}\n"}


def test_published_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _origin(monkeypatch, FakeDist(_wheel("cp312-cp312-manylinux_2_34_aarch64")))
    assert f"for Python {platform.python_version()}" in text
    assert "a published wheel (cp312-cp312-manylinux_2_34_aarch64)" in text


def test_built_here_with_bundled_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    so = tmp_path / "_lgpio.cpython-313-x86_64-linux-gnu.so"
    so.write_bytes(b"\x7fELF...libc.so.6\x00")
    text = _origin(monkeypatch, FakeDist(_wheel("cp313-cp313-linux_x86_64"), so))
    assert "built from source on this machine with its bundled C library" in text


def test_built_here_against_system_liblgpio(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    so = tmp_path / "_lgpio.cpython-313-aarch64-linux-gnu.so"
    so.write_bytes(b"\x7fELF...liblgpio.so.1\x00libc.so.6\x00")
    text = _origin(monkeypatch, FakeDist(_wheel("cp313-cp313-linux_aarch64"), so))
    assert "built from source on this machine linked to the system liblgpio" in text


def test_no_wheel_metadata_names_the_installer(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _origin(monkeypatch, FakeDist({"INSTALLER": "debian\n"}))
    assert "installed by debian (no wheel metadata)" in text


def test_missing_lgpio_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> object:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(PilabError, match="lgpio missing"):
        doctor._lgpio()
