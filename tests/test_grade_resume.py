"""pilab grade --results/--resume: a grade killed midway loses nothing, and resumes to the
same table as one that ran through; submission directories may have spaces in their path.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pilab.check.host import prepare_job
from pilab.vmhost.image import headers_release

ROOT = Path(__file__).resolve().parent.parent
KMODS = ROOT / "kmods"


def spaced_submission(parent: Path, name: str, lab: str = "intrpt") -> Path:
    """A copy of our module in a directory whose path has spaces."""
    directory = parent / "sub missions" / name
    directory.mkdir(parents=True)
    shutil.copy(KMODS / f"{lab}.c", directory)
    shutil.copy(KMODS / "lab_pins.h", directory)
    return directory


def test_a_submission_in_a_path_with_spaces_builds(tmp_path: Path) -> None:
    """Kbuild's M= takes no spaces: the build directory must not take the submission's name
    as it is (it did, and every such submission failed 'builds')."""
    job = prepare_job("intrpt", [spaced_submission(tmp_path, "alice smith")], headers_release())
    try:
        assert job.built is not None and job.built.ok, job.built and job.built.errors
        assert [r.status for r in job.run.results] == ["passed", "passed"]
    finally:
        if job.built is not None and job.built.directory is not None:
            shutil.rmtree(job.built.directory, ignore_errors=True)
