"""The lab registry (pilab.labs.entry): each lab's facts, written once and found in one place."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pilab.errors import ConfigError
from pilab.labs import LABS, entry, kernel_modules, model_of_module

KMODS = Path(__file__).resolve().parents[2] / "kmods"
# Built with the labs' modules but loaded by no lab: the VM's virtual GPIO header, and
# the board file that puts the kernel's own gpio-keys driver on it (gpio_keys's reference).
KIT_ONLY = ["vgpio", "gpio_keys_board"]


def kbuild_modules(text: str) -> list[str]:
    return re.findall(r"^obj-m \+= (\w+)\.o$", text, re.MULTILINE)


def dkms_modules(text: str) -> list[str]:
    """BUILT_MODULE_NAME[i] in index order; each index given once, with its destination."""
    names = {int(i): name for i, name in re.findall(r'^BUILT_MODULE_NAME\[(\d+)\]="(\w+)"$',
                                                     text, re.MULTILINE)}
    places = set(map(int, re.findall(r"^DEST_MODULE_LOCATION\[(\d+)\]=", text, re.MULTILINE)))
    assert sorted(names) == list(range(len(names))) == sorted(places), "indices 0..n-1, each"
    return [names[i] for i in range(len(names))]


def test_kbuild_builds_exactly_the_labs_modules() -> None:
    assert kbuild_modules((KMODS / "Kbuild").read_text()) == [*KIT_ONLY, *kernel_modules()]


def test_dkms_installs_exactly_the_labs_modules() -> None:
    assert dkms_modules((KMODS / "dkms.conf").read_text()) == [*KIT_ONLY, *kernel_modules()]


def test_the_module_lists_are_read_strictly() -> None:
    """The parsers above see a module missing from either file."""
    assert kbuild_modules("obj-m += a.o\n# obj-m += b.o\nobj-m += c.o\n") == ["a", "c"]
    gap = 'BUILT_MODULE_NAME[0]="a"\nDEST_MODULE_LOCATION[0]="/x"\nBUILT_MODULE_NAME[2]="c"\n'
    with pytest.raises(AssertionError, match="indices"):
        dkms_modules(gap)


@pytest.mark.parametrize("lab", LABS)
def test_each_lab_names_its_modules_and_their_sources(lab: str) -> None:
    found = entry(lab)
    assert found.name == lab and found.lab_class.name == lab
    assert found.module == found.new_lab().module, "the lab loads the module it is about"
    for module in found.modules:
        assert (KMODS / f"{module}.c").is_file()
    assert isinstance(found.checks, list) and found.checks


def test_vkbd_loads_vinput_first() -> None:
    assert entry("vkbd").modules == ("vinput", "vkbd")


def test_models_are_found_by_module_name() -> None:
    for lab in ("intrpt", "bottomhalf", "bh_thread"):
        assert model_of_module(lab) is entry(lab).model is not None
    assert model_of_module("vinput") is None and model_of_module("vkbd") is None


def test_halves_labs_read_their_own_log_lines() -> None:
    for lab in ("bottomhalf", "bh_thread"):
        lines, own = entry(lab).new_lab().lines, entry(lab).loglines  # type: ignore[attr-defined]
        assert (lines.top, lines.start, lines.end) == (own.TOP, own.START, own.END)
    assert entry("vkbd").loglines is None


def test_an_unknown_lab_is_named_with_the_labs() -> None:
    with pytest.raises(ConfigError, match="no lab 'nosuch'; labs: intrpt, "):
        entry("nosuch")


def test_a_lab_entry_imports_no_checks_until_asked() -> None:
    """``pilab list`` looks at every lab: it must not pay for their checks."""
    code = ("import sys; from pilab.labs import LABS, entry\n"
            "[entry(lab).lab_class for lab in LABS]\n"
            "print(sorted(m for m in sys.modules if m.endswith('.checks')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
