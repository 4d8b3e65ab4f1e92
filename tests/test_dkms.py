"""kmods/dkms.conf: DKMS adds, builds and removes the lab modules.

The real run uses private DKMS source and module trees in a temp dir, so it
never touches /usr/src or /var/lib/dkms's module list (DKMS may create its
signing key, /var/lib/dkms/mok.key, as it does on any Debian machine).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pilab.kernel.build import KMOD_DIR
from pilab.vmhost.image import headers_release

ROOT = Path(__file__).resolve().parent.parent
CONF = KMOD_DIR / "dkms.conf"


def _conf(key: str) -> list[str]:
    """Every value of *key* (or *key*[i]) in dkms.conf, in order."""
    pattern = rf'^{key}(?:\[\d+\])?="?([^"\n]*)"?$'
    return re.findall(pattern, CONF.read_text(), flags=re.M)


def _installed_names() -> list[str]:
    """The module files DKMS makes: BUILT_MODULE_NAME[i], or DEST_MODULE_NAME[i] if given."""
    text = CONF.read_text()
    built = dict(re.findall(r'^BUILT_MODULE_NAME\[(\d+)\]="(\w+)"$', text, flags=re.M))
    built.update(re.findall(r'^DEST_MODULE_NAME\[(\d+)\]="(\w+)"$', text, flags=re.M))
    return sorted(built.values())


def test_the_lab_module_named_like_a_kernel_driver_is_installed_under_another_name() -> None:
    """gpio_keys in /updates would outrank the kernel's own gpio_keys.ko for modprobe."""
    assert "gpio_keys" in _conf("BUILT_MODULE_NAME")
    assert "gpio_keys" not in _installed_names()


def _kbuild_modules() -> list[str]:
    return re.findall(r"^obj-m\s*\+?=\s*(\w+)\.o", (KMOD_DIR / "Kbuild").read_text(), flags=re.M)


def _version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def test_conf_names_every_kbuild_module() -> None:
    assert _conf("PACKAGE_NAME") == ["pilab"]
    assert _conf("PACKAGE_VERSION") == [_version()]
    names = _conf("BUILT_MODULE_NAME")
    assert sorted(names) == sorted(_kbuild_modules())
    assert len(_conf("DEST_MODULE_LOCATION")) == len(names)
    assert _conf("AUTOINSTALL") == ["yes"]


def _dkms() -> str:
    path = shutil.which("dkms") or shutil.which("dkms", path="/usr/sbin:/sbin")
    if path is None:
        pytest.fail("dkms is not installed: run scripts/install --dev (apt-get install dkms)")
    return path


@pytest.fixture
def dkms_trees(tmp_path: Path) -> Iterator[tuple[list[str], Path]]:
    """A private source tree holding a copy of kmods/, and a private DKMS tree."""
    source, tree = tmp_path / "src", tmp_path / "dkms"
    copy = source / f"pilab-{_version()}"
    copy.mkdir(parents=True)
    tree.mkdir()
    for path in KMOD_DIR.iterdir():
        if path.is_file() and (path.suffix in (".c", ".h") or path.name in ("Kbuild", "dkms.conf")):
            shutil.copy(path, copy)
    cmd = [_dkms(), "--sourcetree", str(source), "--dkmstree", str(tree)]
    try:
        yield cmd, tree
    finally:
        subprocess.run([*cmd, "remove", "-m", "pilab", "-v", _version(), "--all"],
                       capture_output=True, check=False)


def test_dkms_add_build_remove(dkms_trees: tuple[list[str], Path]) -> None:
    cmd, tree = dkms_trees
    release, version = headers_release(), _version()

    def dkms(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cmd, *args], capture_output=True, text=True, check=False)

    added = dkms("add", "-m", "pilab", "-v", version)
    assert added.returncode == 0, added.stdout + added.stderr
    built = dkms("build", "-m", "pilab", "-v", version, "-k", release)
    log = tree / "pilab" / version / "build" / "make.log"
    detail = built.stdout + built.stderr + (log.read_text()[-3000:] if log.exists() else "")
    assert built.returncode == 0, detail
    modules = next((tree / "pilab" / version / release).glob("*/module"))
    built_names = sorted(p.name.split(".ko")[0] for p in modules.glob("*.ko*"))
    assert built_names == _installed_names()
    status = dkms("status", "-m", "pilab")
    assert f"pilab/{version}, {release}" in status.stdout and "built" in status.stdout
    removed = dkms("remove", "-m", "pilab", "-v", version, "--all")
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert not (tree / "pilab").exists() or not any((tree / "pilab").iterdir())
