"""pilab autograder's bundles as files: complete, runnable scripts, nothing fetched in them.

Their entry points are run in each platform's layout by tests/test_bundles.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from pilab.autograder import PLATFORMS, Bundle, write_bundle
from pilab.check.host import check_names
from pilab.cli import main

ENTRIES = {"gradescope": ["setup.sh", "run_autograder"], "prairielearn": ["prairielearn.sh"],
           "classroom": [".github/pilab/classroom.sh", ".github/pilab/passed.sh"],
           "vmchecker": ["checker.sh"]}


def unpacked(platform: str, out: Path) -> Path:
    """The bundle's files where a teacher would see them (Gradescope's zip opened)."""
    if platform != "gradescope":
        return out
    inside = out / "unzipped"
    with zipfile.ZipFile(out / "autograder.zip") as zf:
        zf.extractall(inside)
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
    assert all(modes[name] & 0o111 for name in ENTRIES["gradescope"]), modes
    assert modes["pilab/scripts/install"] & 0o111
    return inside


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_bundle_is_whole(platform: str, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    write_bundle(Bundle(platform, "intrpt", timeout=900), out)
    assert (out / "README.md").read_text().startswith("# pilab")
    root = unpacked(platform, out)
    source = root / (".github/pilab/pilab" if platform == "classroom" else "pilab")
    ours = [p for p in root.rglob("*") if p.is_file() and not p.is_relative_to(source)]
    assert ours
    for path in ours:
        text = path.read_text()
        assert not re.search(r"@[A-Z_]+@", text), path
        assert "://" not in text, f"{path}: an address"  # no registry, no download
    for name in ENTRIES[platform]:
        script = root / name
        if platform != "gradescope":
            assert script.stat().st_mode & 0o111, name
        syntax = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True,
                                check=False)
        assert syntax.returncode == 0, syntax.stderr
    assert (source / "scripts" / "install").is_file()
    assert (source / "pilab" / "kmods" / "intrpt.c").is_file()
    assert (source / "pilab" / "labs" / "intrpt" / "wiring.toml").is_file()
    assert not list(source.rglob("__pycache__")) and not list(source.rglob("*.ko"))
    assert "--deadline 840" in "".join((root / n).read_text() for n in ENTRIES[platform])


def test_prairielearn_info_json(tmp_path: Path) -> None:
    write_bundle(Bundle("prairielearn", "intrpt", timeout=600, image="course/pilab"), tmp_path)
    options = json.loads((tmp_path / "info.json").read_text())["externalGradingOptions"]
    assert options == {"enabled": True, "image": "course/pilab",
                       "entrypoint": "/opt/prairielearn.sh", "timeout": 600}
    assert "COPY prairielearn.sh /opt/prairielearn.sh" in (tmp_path / "Dockerfile").read_text()
    assert "--deadline 540" in (tmp_path / "prairielearn.sh").read_text()


def test_weights_travel_with_the_bundle(tmp_path: Path) -> None:
    weights = tmp_path / "weights.toml"
    weights.write_text('behaviour = 4\nbuilds = 0\n')
    out = tmp_path / "classroom"
    write_bundle(Bundle("classroom", "intrpt", timeout=600, weights=weights), out)
    workflow = (out / ".github/workflows/pilab.yml").read_text()
    scores = re.findall(r'test-name: (".*")\n.*\n.*\n\s+max-score: (\S+)', workflow)
    points = {json.loads(name): float(score) for name, score in scores}
    assert list(points) == check_names("intrpt")
    assert points["behaviour"] == 4 and points["builds"] == 0 and points["interface"] == 1
    assert (out / ".github/pilab/weights.toml").read_text() == weights.read_text()
    assert "--weights /opt/weights.toml" in (out / ".github/pilab/classroom.sh").read_text()
    assert "COPY weights.toml /opt/weights.toml" in (out / ".github/pilab/Dockerfile").read_text()
    gradescope = tmp_path / "gradescope"
    write_bundle(Bundle("gradescope", "intrpt", timeout=600, weights=weights), gradescope)
    with zipfile.ZipFile(gradescope / "autograder.zip") as zf:
        assert zf.read("weights.toml").decode() == weights.read_text()
        assert "--weights /autograder/source/weights.toml" in zf.read("run_autograder").decode()


@pytest.mark.parametrize(("argv", "said"), [
    (["--timeout", "90"], "give the platform's timeout"),
    (["--weights", "WEIGHTS"], "no check named 'behavior'"),
    (["-o", "FULL"], "not an empty directory"),
])
def test_bad_requests_are_clear_errors(argv: list[str], said: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "weights.toml").write_text("behavior = 1\n")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    swap = {"WEIGHTS": str(tmp_path / "weights.toml"), "FULL": str(tmp_path / "full")}
    argv = [swap.get(a, a) for a in argv]
    out = [] if "-o" in argv else ["-o", str(tmp_path / "out")]
    assert main(["autograder", "gradescope", "intrpt", *out, *argv]) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["autograder", "moodle", "intrpt", "-o", str(tmp_path / "o")])
