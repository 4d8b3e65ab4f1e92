"""The emulated Pi's root outlives the pilab that made it, so each pilab checks it."""

from __future__ import annotations

from pathlib import Path

from pilab.kernel.detect import PITREES_DIR, detect, emulation_root


def test_links_left_by_a_deleted_install_are_remade(tmp_path: Path) -> None:
    root = emulation_root("pi5", tmp_path)
    assert detect(root).pi == "pi5"
    gone = tmp_path / "deleted-venv" / "pitrees" / "pi5"
    for link in (root / "proc", root / "sys" / "firmware"):
        link.unlink()
        link.symlink_to(gone / link.relative_to(root))
    assert detect(root).pi is None  # what a stale root did to every later pilab

    assert emulation_root("pi5", tmp_path) == root
    assert detect(root).pi == "pi5"
    assert (root / "proc").readlink() == PITREES_DIR / "pi5" / "proc"


def test_a_model_without_a_captured_file_gets_no_link_to_it(tmp_path: Path) -> None:
    root = emulation_root("pi3", tmp_path)
    assert detect(root).pi == "pi3"
    assert not (root / "sys" / "kernel").is_symlink()
    (root / "sys" / "kernel").symlink_to(tmp_path / "nowhere")
    emulation_root("pi3", tmp_path)
    assert not (root / "sys" / "kernel").is_symlink()
