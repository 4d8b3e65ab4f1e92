"""fetch_debs: every package unpacked into the cache, which is replaced whole, or left alone.

apt-get is faked (the packages are built here with dpkg-deb --build); dpkg-deb -x is real.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pilab.errors import VmError
from pilab.vmhost.debs import DOWNLOAD, Host, fetch_debs

pytestmark = pytest.mark.skipif(not shutil.which("dpkg-deb"), reason="needs dpkg-deb")


def _build_deb(name: str, into: Path) -> None:
    tree = into / f"{name}.tree"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(
        f"Package: {name}\nVersion: 1\nArchitecture: all\nMaintainer: t <t@t.invalid>\n"
        f"Description: test\n")
    (tree / "usr" / "share" / name).mkdir(parents=True)
    (tree / "usr" / "share" / name / "file").write_text(name)
    subprocess.run(["dpkg-deb", "-Zgzip", "--build", str(tree), str(into / f"{name}.deb")],
                   check=True, capture_output=True)
    shutil.rmtree(tree)


class FakeApt(Host):
    """This machine, with an apt that 'downloads' the packages it offers."""

    def __init__(self, offers: set[str], jail: Path | None = None) -> None:
        self.offers = offers
        self.jail = jail  # where set: the commands see nothing outside it (like a chroot)
        self.commands: list[list[str]] = []

    def run(self, argv: list[str], check: bool = False) -> subprocess.CompletedProcess[str]:
        self.commands.append(argv)
        if argv[:3] == ["sh", "-c", DOWNLOAD]:
            work, packages = Path(argv[4]), argv[5:]
            for name in packages:
                if name in self.offers:
                    _build_deb(name, work)
            missing = [p for p in packages if p not in self.offers]
            return subprocess.CompletedProcess(argv, 100 if missing else 0, "",
                                               f"E: Unable to locate package {missing}")
        return super().run(argv, check)

    def sees(self, path: Path) -> str | None:
        if self.jail is None or path.is_relative_to(self.jail):
            return str(path)
        return None

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        if self.jail is None:
            with super().scratch() as work:
                yield work
            return
        work = self.jail / "work"
        work.mkdir()
        yield work
        shutil.rmtree(work)


@pytest.mark.parametrize("jailed", [False, True], ids=["host", "chroot-like"])
def test_every_package_lands_in_the_cache_which_is_replaced_whole(
        tmp_path: Path, jailed: bool) -> None:
    jail = tmp_path / "jail"
    jail.mkdir()
    apt = FakeApt({"one", "two"}, jail if jailed else None)
    root = tmp_path / "cache" / "9.9"
    root.mkdir(parents=True)
    (root / "stale").write_text("from an older unpack")
    seen: list[Path] = []

    def finish(staging: Path) -> None:
        seen.append(staging)
        (staging / "stamp").touch()

    fetch_debs(["one", "two"], root, where=apt, finish=finish)
    assert (root / "usr/share/one/file").read_text() == "one"
    assert (root / "usr/share/two/file").read_text() == "two"
    assert (root / "stamp").is_file()
    assert not (root / "stale").exists()
    assert seen == [root.with_name("9.9.partial")]
    assert not root.with_name("9.9.partial").exists()
    unpacks = [c for c in apt.commands if c[:2] == ["dpkg-deb", "-x"]]
    assert len(unpacks) == 2
    # Unpacked straight into the cache only where the commands can see it.
    assert all(c[3] == str(seen[0]) for c in unpacks) is not jailed


def test_a_failed_download_leaves_the_cache_as_it_was(tmp_path: Path) -> None:
    root = tmp_path / "9.9"
    root.mkdir()
    (root / "kept").write_text("the last good unpack")
    with pytest.raises(VmError, match="apt-get download one two failed"):
        fetch_debs(["one", "two"], root, where=FakeApt({"one"}))
    assert (root / "kept").read_text() == "the last good unpack"
    assert not root.with_name("9.9.partial").exists()


def test_a_chroot_sees_only_its_own_tree(tmp_path: Path) -> None:
    from pilab.vmhost.chroot import DebianChroot

    chroot = DebianChroot("unstable", (), "amd64")
    assert chroot.sees(chroot.root / "var/tmp/pilab-deb-x") == "/var/tmp/pilab-deb-x"
    assert chroot.sees(tmp_path / "kernels" / "9.9.partial") is None
