from pathlib import Path

import pytest

from pilab.errors import ConfigError
from pilab.labs import LABS
from pilab.wiring import load_wiring, parse_wiring, wiring_file

GOOD = """
lab = "x"
[roles]
led = 4
buttons = [17, 18]
[[jumpers]]
from = 27
to = 17
[[jumpers]]
from = 22
to = 18
[[jumpers]]
from = 4
to = 23
"""


def test_parse_roles_and_jumpers() -> None:
    w = parse_wiring(GOOD, "x")
    assert w.led == 4 and w.buttons == (17, 18)
    assert w.drive_pin(17) == 27 and w.drive_pin(18) == 22
    assert w.sense_pin() == 23
    assert w.vgpio_wires() == "27>17,22>18,4>23"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("led = 4", "led = 40"), "not a BCM GPIO"),
        (("led = 4", "led = 17"), "two roles"),
        (("from = 22", "from = 17"), "drives"),
        (("to = 18", "to = 17"), "two jumpers"),
        (("from = 4", "from = 23"), "to itself"),
        (("led = 4", "led = \"four\""), "not a BCM GPIO"),
        (("[roles]", "[roles"), "not valid TOML"),
    ],
)
def test_bad_wiring_is_refused(edit: tuple[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_wiring(GOOD.replace(*edit, 1), "x")


def test_missing_button_jumper_is_refused() -> None:
    text = GOOD.replace("[[jumpers]]\nfrom = 22\nto = 18\n", "")
    with pytest.raises(ConfigError, match="no jumper into GPIO18"):
        parse_wiring(text, "x")


@pytest.mark.parametrize("lab", LABS)
def test_every_lab_folder_holds_its_wiring(lab: str) -> None:
    wiring = load_wiring(lab)
    assert wiring.lab == lab
    repo_copy = Path(__file__).resolve().parents[2] / "wiring" / f"{lab}.toml"
    assert wiring_file(lab).read_text() == repo_copy.read_text()


def test_unknown_lab() -> None:
    with pytest.raises(ConfigError, match="no wiring file"):
        load_wiring("nosuchlab")
