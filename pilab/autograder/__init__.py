"""``pilab autograder PLATFORM LAB -o DIR``: what a teacher uploads to a grading platform.

Each bundle holds a copy of pilab's own source (this tree: the package, its module
sources and scripts/install, which installs it with the machine's apt and pip), the
platform's entry point calling ``pilab check --format PLATFORM --deadline``, and a
short README. Nothing fetched is in it: the image it runs in installs the rest.
The templates are in files/; ``@NAME@`` marks what is filled in.
"""

from __future__ import annotations

import re
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pilab.errors import ConfigError
from pilab.paths import PACKAGE_DIR

PLATFORMS = ("gradescope", "prairielearn", "classroom", "vmchecker")
FILES = Path(__file__).resolve().parent / "files"
SOURCE = PACKAGE_DIR.parent
# From the source tree: what scripts/install needs to install pilab (pip install -e).
SOURCE_FILES = ("pyproject.toml", "README.md", "scripts/install")
# The package's links (kmods/, each lab's wiring.toml) are copied as files; nothing
# built is taken.
BUILT = ("__pycache__", "*.pyc", "*.o", "*.ko", "*.mod", "*.mod.c", ".*.cmd", "*.symvers",
         "modules.order")
MARGIN = 60.0  # s of a platform's timeout kept for starting up and writing results
PLACEHOLDER = re.compile(r"@[A-Z_]+@")
EXECUTABLE = 0o755


@dataclass(frozen=True)
class Bundle:
    """What the bundle is made for."""

    platform: str
    lab: str
    timeout: float  # the platform's timeout for one submission, in seconds
    kernel: str = "default"
    weights: Path | None = None
    subdir: str = "."  # classroom: where in the student's repository the sources are
    image: str = "pilab-grader"  # prairielearn: the image info.json names

    @property
    def deadline(self) -> int:
        return int(self.timeout - MARGIN)


def write_bundle(bundle: Bundle, out: Path) -> list[Path]:
    """Write *bundle* into *out* (created; it must be empty); the files written."""
    if bundle.platform not in PLATFORMS:
        raise ConfigError(f"no platform {bundle.platform!r}; platforms: {', '.join(PLATFORMS)}")
    if bundle.timeout <= MARGIN + 60:
        raise ConfigError(f"--timeout {bundle.timeout:g}: give the platform's timeout, more "
                          f"than {MARGIN + 60:g} s (a VM check takes minutes without KVM)")
    if not (SOURCE / "pyproject.toml").is_file():
        raise ConfigError(f"pilab autograder copies pilab's source tree, and {SOURCE} is not "
                          "one (an installed wheel)", hint="run it from a checkout of pilab")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"-o {out}: not an empty directory")
    out.mkdir(parents=True, exist_ok=True)
    writer = {"gradescope": _gradescope, "prairielearn": _prairielearn,
              "classroom": _classroom, "vmchecker": _vmchecker}[bundle.platform]
    writer(bundle, out)
    return sorted(p for p in out.rglob("*") if p.is_file())


def copy_source(dest: Path) -> None:
    """pilab's source, as scripts/install installs it: no caches, no build outputs."""
    for name in SOURCE_FILES:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(SOURCE / name, dest / name)
    shutil.copytree(PACKAGE_DIR, dest / "pilab", ignore=shutil.ignore_patterns(*BUILT))


def _fill(name: str, bundle: Bundle, **extra: str) -> str:
    """Template *name* with the bundle's values."""
    options = "" if bundle.kernel == "default" else f" --kernel {bundle.kernel}"
    if bundle.weights is not None:
        options += " --weights WEIGHTS"
    values = {"LAB": bundle.lab, "DEADLINE": str(bundle.deadline),
              "TIMEOUT": f"{bundle.timeout:g}", "OPTIONS": options,
              "KERNEL_OPTION": "" if bundle.kernel == "default" else f" --kernel {bundle.kernel}",
              "IMAGE": bundle.image, "DEBIAN": _debian_codename(), **extra}
    text = (FILES / name).read_text()
    text = PLACEHOLDER.sub(lambda m: values[m.group(0).strip("@")], text)
    return text


def _put(path: Path, text: str, executable: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if executable:
        path.chmod(EXECUTABLE)


def _weights(bundle: Bundle, script: str, where: str, dest: Path) -> str:
    """*script* with its --weights pointing at the bundle's copy of the weights file."""
    if bundle.weights is None:
        return script
    if not bundle.weights.is_file():
        raise ConfigError(f"--weights {bundle.weights}: no such file")
    shutil.copy(bundle.weights, dest / "weights.toml")
    return script.replace("--weights WEIGHTS", f"--weights {where}/weights.toml")


def _debian_codename() -> str:
    """This machine's Debian release: the images are built on the same one."""
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return "bookworm"
    found = re.search(r"^VERSION_CODENAME=\"?(\w+)", text, re.MULTILINE)
    return found.group(1) if found else "bookworm"


def _gradescope(bundle: Bundle, out: Path) -> None:
    staging = out / ".autograder"
    copy_source(staging / "pilab")
    _put(staging / "setup.sh", _fill("setup.sh", bundle), executable=True)
    run = _weights(bundle, _fill("run_autograder", bundle), "/autograder/source", staging)
    _put(staging / "run_autograder", run, executable=True)
    readme = _fill("gradescope.md", bundle)
    _put(staging / "README.md", readme)
    with zipfile.ZipFile(out / "autograder.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(staging.rglob("*")):
            if path.is_file():
                _zip_add(zf, path, path.relative_to(staging))
    shutil.rmtree(staging)
    _put(out / "README.md", readme)


def _zip_add(zf: zipfile.ZipFile, path: Path, name: Path) -> None:
    """*path* into *zf* as *name*, with its mode (unzip keeps it: scripts stay runnable)."""
    info = zipfile.ZipInfo(str(name))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100000 | (path.stat().st_mode & 0o777)) << 16
    zf.writestr(info, path.read_bytes())


def _docker(bundle: Bundle, out: Path, entry: str, where: str = "/opt") -> None:
    """The image the Docker platforms grade in: Debian, pilab, *entry* in /opt."""
    copy_source(out / "pilab")
    _put(out / "Dockerfile", _fill("Dockerfile", bundle, ENTRY=entry))
    script = _weights(bundle, _fill(entry, bundle, SUBDIR=bundle.subdir), where, out)
    if bundle.weights is not None:  # the image takes it next to the entry point
        dockerfile = (out / "Dockerfile").read_text().replace(
            f"COPY {entry}", f"COPY weights.toml {where}/weights.toml\nCOPY {entry}")
        _put(out / "Dockerfile", dockerfile)
    _put(out / entry, script, executable=True)


def _prairielearn(bundle: Bundle, out: Path) -> None:
    import json

    _docker(bundle, out, "prairielearn.sh")
    info = {"uuid": str(uuid.uuid4()), "title": f"pilab: {bundle.lab}", "topic": "Kernel modules",
            "type": "v3", "gradingMethod": "External", "singleVariant": True,
            "externalGradingOptions": {"enabled": True, "image": bundle.image,
                                       "entrypoint": "/opt/prairielearn.sh",
                                       "timeout": int(bundle.timeout)}}
    _put(out / "info.json", json.dumps(info, indent=2) + "\n")
    _put(out / "README.md", _fill("prairielearn.md", bundle))


def _vmchecker(bundle: Bundle, out: Path) -> None:
    _docker(bundle, out, "vmchecker.sh")
    (out / "vmchecker.sh").rename(out / "checker.sh")
    dockerfile = (out / "Dockerfile").read_text().replace("vmchecker.sh", "checker.sh")
    _put(out / "Dockerfile", dockerfile)
    _put(out / "README.md", _fill("vmchecker.md", bundle))


def _classroom(bundle: Bundle, out: Path) -> None:
    from pilab.autograder.workflow import workflow

    image = out / ".github" / "pilab"
    _docker(bundle, image, "classroom.sh")
    _put(image / "passed.sh", (FILES / "passed.sh").read_text(), executable=True)
    _put(out / ".github" / "workflows" / "pilab.yml", workflow(bundle))
    shown = "the repository's root" if bundle.subdir == "." else f"`{bundle.subdir}/`"
    _put(out / "README.md", _fill("classroom.md", bundle, SUBDIR_SHOWN=shown))
