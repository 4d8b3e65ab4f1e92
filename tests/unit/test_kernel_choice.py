"""--kernel values, and the mirror the chroot takes from this machine's apt sources."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from pilab.vmhost.chroot import ChrootUnavailable, debian_mirror
from pilab.vmhost.kernels import kernel_choice


@pytest.mark.parametrize("value", ["default", "newest", "6.12", "7.0"])
def test_kernel_choice_accepts(value: str) -> None:
    assert kernel_choice(value) == value


@pytest.mark.parametrize("value", ["", "6", "6.12.1", "latest", "6.12-amd64"])
def test_kernel_choice_refuses(value: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        kernel_choice(value)


def _etc(tmp_path: Path, sources: str = "", one_line: str = "") -> Path:
    (tmp_path / "sources.list.d").mkdir()
    if sources:
        (tmp_path / "sources.list.d" / "debian.sources").write_text(sources)
    if one_line:
        (tmp_path / "sources.list").write_text(one_line)
    return tmp_path


def test_mirror_from_deb822_skips_security(tmp_path: Path) -> None:
    etc = _etc(tmp_path, "Types: deb\nURIs: file:///srv/archive-security\n"
                         "Suites: bookworm-security\nComponents: main\n\n"
                         "Types: deb deb-src\nURIs: file:///srv/archive-main/\n"
                         "Suites: bookworm bookworm-updates\nComponents: main\n")
    assert debian_mirror(etc) == "file:///srv/archive-main"


def test_mirror_from_one_line_sources(tmp_path: Path) -> None:
    etc = _etc(tmp_path, one_line="# comment\ndeb [arch=amd64] file:///srv/archive-one "
                                  "bookworm main\n")
    assert debian_mirror(etc) == "file:///srv/archive-one"


def test_disabled_stanza_is_not_a_mirror(tmp_path: Path) -> None:
    etc = _etc(tmp_path, "Types: deb\nURIs: file:///srv/archive-off\nSuites: bookworm\n"
                         "Enabled: no\n")
    with pytest.raises(ChrootUnavailable):
        debian_mirror(etc)
