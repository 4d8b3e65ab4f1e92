"""pilab lab new: a lab's starting point, written once, never over a student's work."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from pilab.cli import EXIT_OK, EXIT_USAGE, main
from pilab.labs import LABS
from pilab.labs.skeleton import skeleton_files

DOCS = Path(__file__).resolve().parents[2] / "docs" / "labs"
INTERFACE = "## What your module must do"


def section(text: str, title: str) -> str:
    """The markdown section *title*, up to the next heading of its level."""
    start = text.index(title)
    rest = text[start + len(title):]
    end = re.search(r"^## ", rest, re.MULTILINE)
    return title + (rest[:end.start()] if end else rest).rstrip("\n")


@pytest.mark.parametrize("lab", LABS)
def test_lab_new_writes_the_readme_kbuild_and_skeleton(lab: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "mine"
    assert main(["lab", "new", lab, str(dest)]) == EXIT_OK
    names = sorted(p.name for p in dest.iterdir())
    assert names == sorted(p.name for p in skeleton_files(lab))
    assert {"README.md", "Kbuild", f"{lab}.c"} <= set(names)
    for source in skeleton_files(lab):
        assert (dest / source.name).read_bytes() == source.read_bytes()
    out = capsys.readouterr().out
    assert f"docs/labs/{lab}.md" in out
    assert f"pilab check {lab} {dest}" in out


@pytest.mark.parametrize("lab", LABS)
def test_lab_new_refuses_to_overwrite_and_writes_nothing(lab: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "Kbuild").write_text("my own work\n")
    assert main(["lab", "new", lab, str(dest)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "Kbuild already exists: nothing was written" in err
    assert "Traceback" not in err
    assert [p.name for p in dest.iterdir()] == ["Kbuild"]
    assert (dest / "Kbuild").read_text() == "my own work\n"


def test_lab_new_into_a_file_is_a_clear_error(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "a-file"
    target.write_text("")
    assert main(["lab", "new", "intrpt", str(target)]) == EXIT_USAGE
    assert "is not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("lab", LABS)
def test_kbuild_only_names_the_modules(lab: str) -> None:
    kbuild = next(p for p in skeleton_files(lab) if p.name == "Kbuild").read_text()
    lines = [line for line in kbuild.splitlines() if line and not line.startswith("#")]
    sources = [p.stem for p in skeleton_files(lab) if p.suffix == ".c"]
    assert sorted(lines) == sorted(f"obj-m += {name}.o" for name in sources)


@pytest.mark.parametrize("lab", LABS)
def test_readme_and_handout_state_the_same_interface(lab: str) -> None:
    readme = next(p for p in skeleton_files(lab) if p.name == "README.md").read_text()
    handout = (DOCS / f"{lab}.md").read_text()
    assert section(readme, INTERFACE) == section(handout, INTERFACE)
    assert "## Checking the guide's own code" in handout
    assert f"pilab check {lab} guide-{lab}/" in handout


SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("lab", ["intrpt", "bottomhalf", "bh_thread", "latency"])
def test_the_handout_shows_what_the_kernel_did(lab: str) -> None:
    """Each GPIO lab's handout has a picture drawn from a real trace: a press's hard
    handler (or the latency plot's rows), in SVG a plain XML reader takes."""
    images = re.findall(r"!\[[^\]]*\]\((img/[^)]+\.svg)\)", (DOCS / f"{lab}.md").read_text())
    assert images, f"docs/labs/{lab}.md shows no picture"
    for image in images:
        root = ElementTree.parse(DOCS / image).getroot()
        assert root.tag == f"{SVG}svg", image
        groups = {g.get("class") for g in root.iter(f"{SVG}g")}
        assert groups & {"track-hardirq", "latency-path"}, (image, groups)
