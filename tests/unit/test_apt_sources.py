"""The chroot test's reading of this machine's apt sources."""

from __future__ import annotations

from pathlib import Path

import debian_chroot as dc
import pytest

DEB822 = """\
Types: deb deb-src
# a comment
URIs: file:///srv/mirror/debian/
Suites: bookworm bookworm-updates
Components: main contrib

Types: deb
URIs: file:///srv/mirror/debian-security
Suites: bookworm-security
Components: main

Types: deb
Enabled: no
URIs: file:///srv/off/debian
Suites: bookworm
Components: main

Types: deb-src
URIs: file:///srv/src/debian
Suites: bookworm
Components: main
"""


def test_deb822_enabled_deb_entries_only() -> None:
    assert dc.parse_deb822(DEB822) == [
        dc.AptSource("file:///srv/mirror/debian", ("bookworm", "bookworm-updates"),
                     ("main", "contrib")),
        dc.AptSource("file:///srv/mirror/debian-security", ("bookworm-security",), ("main",)),
    ]


def test_one_line_with_options_and_comments() -> None:
    text = ("# deb file:///srv/old/debian buster main\n"
            "deb [signed-by=/usr/share/keyrings/k.gpg arch=amd64] file:///srv/m/debian"
            " bookworm main non-free-firmware # trailing\n"
            "deb-src file:///srv/m/debian bookworm main\n")
    assert dc.parse_one_line(text) == [
        dc.AptSource("file:///srv/m/debian", ("bookworm",), ("main", "non-free-firmware")),
    ]


def test_retarget_moves_debian_suites_and_drops_others() -> None:
    sources = [*dc.parse_deb822(DEB822),
               dc.AptSource("file:///srv/other/node", ("nodistro",), ("main",))]
    assert dc.retarget(sources, "bookworm", "trixie") == [
        dc.AptSource("file:///srv/mirror/debian", ("trixie", "trixie-updates"),
                     ("main", "contrib")),
        dc.AptSource("file:///srv/mirror/debian-security", ("trixie-security",), ("main",)),
    ]


def test_retarget_without_the_host_suite_is_unavailable() -> None:
    only_security = [dc.AptSource("file:///srv/m/debian-security", ("bookworm-security",), ())]
    with pytest.raises(dc.Unavailable, match="bookworm"):
        dc.retarget(only_security, "bookworm", "trixie")


def test_apt_sources_reads_both_formats_in_order(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text("deb file:///srv/a/debian bookworm main\n")
    (tmp_path / "sources.list.d" / "debian.sources").write_text(DEB822)
    (tmp_path / "sources.list.d" / "x.list.disabled").write_text("deb file:///x bookworm main\n")
    uris = [s.uri for s in dc.apt_sources(tmp_path)]
    assert uris == ["file:///srv/a/debian", "file:///srv/mirror/debian",
                    "file:///srv/mirror/debian-security"]


def test_cache_root_respects_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert dc.cache_root() == tmp_path / "pilab" / "chroots"
