"""This machine's apt sources, both formats, as pilab and the chroot test read them."""

from __future__ import annotations

from pathlib import Path

import debian_chroot as dc
import pytest

from pilab.vmhost import aptsources
from pilab.vmhost.aptsources import AptSource, apt_sources, parse_deb822, parse_one_line

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
    assert parse_deb822(DEB822) == [
        AptSource("file:///srv/mirror/debian", ("bookworm", "bookworm-updates"),
                     ("main", "contrib")),
        AptSource("file:///srv/mirror/debian-security", ("bookworm-security",), ("main",)),
    ]


def test_one_line_with_options_and_comments() -> None:
    text = ("# deb file:///srv/old/debian buster main\n"
            "deb [signed-by=/usr/share/keyrings/k.gpg arch=amd64] file:///srv/m/debian"
            " bookworm main non-free-firmware # trailing\n"
            "deb-src file:///srv/m/debian bookworm main\n")
    assert parse_one_line(text) == [
        AptSource("file:///srv/m/debian", ("bookworm",), ("main", "non-free-firmware")),
    ]


def test_retarget_moves_debian_suites_and_drops_others() -> None:
    sources = [*parse_deb822(DEB822),
               AptSource("file:///srv/other/node", ("nodistro",), ("main",))]
    assert dc.retarget(sources, "bookworm", "trixie") == [
        AptSource("file:///srv/mirror/debian", ("trixie", "trixie-updates"),
                     ("main", "contrib")),
        AptSource("file:///srv/mirror/debian-security", ("trixie-security",), ("main",)),
    ]


def test_retarget_without_the_host_suite_is_unavailable() -> None:
    only_security = [AptSource("file:///srv/m/debian-security", ("bookworm-security",), ())]
    with pytest.raises(dc.Unavailable, match="bookworm"):
        dc.retarget(only_security, "bookworm", "trixie")


def test_apt_sources_reads_both_formats_in_order(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text("deb file:///srv/a/debian bookworm main\n")
    (tmp_path / "sources.list.d" / "debian.sources").write_text(DEB822)
    (tmp_path / "sources.list.d" / "x.list.disabled").write_text("deb file:///x bookworm main\n")
    uris = [s.uri for s in apt_sources(tmp_path)]
    assert uris == ["file:///srv/a/debian", "file:///srv/mirror/debian",
                    "file:///srv/mirror/debian-security"]


def test_cache_root_respects_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert dc.cache_root() == tmp_path / "pilab" / "chroots"


def test_the_chroot_test_reads_the_sources_with_pilabs_parser() -> None:
    assert (dc.AptSource, dc.apt_sources, dc.parse_deb822, dc.parse_one_line) == (
        AptSource, apt_sources, parse_deb822, parse_one_line)


def test_deb822_as_apt_writes_it_by_hand() -> None:
    """Folded fields, any case of field name, several URIs, blank runs, apt's words for no."""
    text = ("types: deb\nuris: file:///srv/a/debian/ file:///srv/b/debian\n"
            "suites: trixie\n trixie-updates\n# inside a stanza\n"
            "components: main\n\n\n\n"
            "Types: deb\nEnabled: false\nURIs: file:///srv/off\nSuites: trixie\n\n"
            "Types: deb\nEnabled: yes\nURIs: file:///srv/on\nSuites: sid\n")
    assert parse_deb822(text) == [
        AptSource("file:///srv/a/debian", ("trixie", "trixie-updates"), ("main",)),
        AptSource("file:///srv/b/debian", ("trixie", "trixie-updates"), ("main",)),
        AptSource("file:///srv/on", ("sid",), ()),
    ]


@pytest.mark.parametrize("enabled", ["no", "No", "false", "off", "0"])
def test_deb822_disabled_stanza_is_skipped(enabled: str) -> None:
    assert aptsources.parse_deb822(f"Types: deb\nEnabled: {enabled}\nURIs: file:///srv/x\n"
                                   "Suites: sid\n") == []


def test_one_line_options_with_spaces_and_short_lines() -> None:
    text = ("deb [ arch=amd64 signed-by=/k.gpg ] file:///srv/m/debian/ trixie main contrib\n"
            "deb file:///srv/too-short\n"
            "  deb file:///srv/indented sid\n")
    assert parse_one_line(text) == [
        AptSource("file:///srv/m/debian", ("trixie",), ("main", "contrib")),
        AptSource("file:///srv/indented", ("sid",), ()),
    ]


def test_apt_sources_reads_list_files_in_the_directory_too(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "b.list").write_text("deb file:///srv/b sid main\n")
    (tmp_path / "sources.list.d" / "a.sources").write_text(
        "Types: deb\nURIs: file:///srv/a\nSuites: sid\n")
    (tmp_path / "sources.list.d" / "c.sources.save").write_text(
        "Types: deb\nURIs: file:///srv/c\nSuites: sid\n")
    assert [s.uri for s in apt_sources(tmp_path)] == ["file:///srv/a", "file:///srv/b"]
