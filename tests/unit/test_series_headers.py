"""The fetched headers of another series point into the cache, not /usr/src."""

from __future__ import annotations

from pathlib import Path

from pilab.vmhost.series import _relocate


def test_relocate_points_the_common_include_into_the_cache(tmp_path: Path) -> None:
    kbuild = tmp_path / "staging/usr/src/linux-headers-9.9.9-test"
    kbuild.mkdir(parents=True)
    (kbuild / "Makefile").write_text("include /usr/src/linux-headers-9.9.9-common/Makefile\n")
    root = tmp_path / "root"
    _relocate(kbuild, root)
    assert (kbuild / "Makefile").read_text() == (
        f"include {root}/usr/src/linux-headers-9.9.9-common/Makefile\n")
