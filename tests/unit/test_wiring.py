import re
from pathlib import Path

import pytest

from pilab.errors import ConfigError
from pilab.labs import LABS
from pilab.wiring import GUIDE_LAB, guide_pins, load_wiring, parse_wiring, same_as, wiring_file

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


def test_a_lab_wired_like_another_gets_its_pins_under_its_own_name() -> None:
    for lab in ("bottomhalf", "bh_thread"):
        wiring, guide = load_wiring(lab), load_wiring(GUIDE_LAB)
        assert wiring.lab == lab and wiring != guide
        assert (wiring.led, wiring.buttons, wiring.jumpers, wiring.notes) == \
            (guide.led, guide.buttons, guide.jumpers, guide.notes)


@pytest.mark.parametrize(("text", "message"), [
    ('same_as = "bottomhalf"\n', "names another lab in turn"),
    ('same_as = "intrpt"\n[roles]\nled = 5\n', "its own roles"),
    ("same_as = 4\n", "a lab's name, not 4"),
    ('same_as = "nosuchlab"\n', "no wiring file for lab 'nosuchlab'"),
])
def test_same_as_names_one_lab_that_has_pins(text: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "wiring.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_wiring("x", path)


def test_identical_wiring_is_written_once() -> None:
    """A lab wired like another names it (same_as) instead of repeating its pins."""
    own = {lab: load_wiring(lab) for lab in LABS if same_as(wiring_file(lab).read_text(), lab)
           is None}
    seen: dict[tuple[object, ...], str] = {}
    for lab, wiring in own.items():
        pins = (wiring.led, wiring.buttons, wiring.jumpers)
        if wiring.led is not None or wiring.buttons:
            assert pins not in seen, f"{lab}'s wiring repeats {seen.get(pins)}'s"
            seen[pins] = lab


def test_the_guide_pins_are_its_example_labs_wiring() -> None:
    wiring = load_wiring(GUIDE_LAB)
    assert guide_pins() == (wiring.led, wiring.buttons) == (4, (17, 18))


def test_unknown_lab() -> None:
    with pytest.raises(ConfigError, match="no wiring file"):
        load_wiring("nosuchlab")


KMODS = Path(__file__).resolve().parents[2] / "kmods"


@pytest.mark.parametrize("lab", ["intrpt", "bottomhalf", "bh_thread", "latency"])
def test_a_modules_default_pins_are_its_wiring(lab: str) -> None:
    """The C defaults (for insmod by hand, as the guide does) say what wiring/ says."""
    source = (KMODS / f"{lab}.c").read_text()
    wiring = load_wiring(lab)
    led = re.search(r"^static int led = (\d+);", source, re.M)
    assert led is not None and int(led.group(1)) == wiring.led
    many = re.search(r"^static int buttons\[\w+\] = \{ ([\d, ]+) \};", source, re.M)
    one = re.search(r"^static int button = (\d+);", source, re.M)
    found = tuple(int(n) for n in many.group(1).split(",")) if many else (
        (int(one.group(1)),) if one else ())
    assert found == wiring.buttons[:len(found)] and found, found
