"""The header drawings put each BCM line on its real physical pin."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from pilab.errors import ConfigError
from pilab.wiring import Jumper, Wiring, load_wiring
from pilab.wiring.header import (
    annotation,
    ascii_header,
    header_pins,
    jumper_text,
    physical_pin,
    svg_header,
)

SVG = "{http://www.w3.org/2000/svg}"
LAB = Wiring(
    "intrpt",
    led=4,
    buttons=(17, 18),
    jumpers=(
        Jumper(27, 17, "press button 1"),
        Jumper(22, 18, "press button 2"),
        Jumper(4, 23, "sense the LED"),
    ),
)


@pytest.mark.parametrize(
    ("bcm", "pin"), [(17, 11), (4, 7), (27, 13), (22, 15), (23, 16), (18, 12), (2, 3), (21, 40)]
)
def test_physical_pins(bcm: int, pin: int) -> None:
    assert physical_pin(bcm) == pin


@pytest.mark.parametrize("revision", [0xA02082, 0xC03111, 0xC04170])  # Pi 3B, 4B, 5
def test_same_layout_on_pi3_pi4_pi5(revision: int) -> None:
    pins = header_pins(revision)
    assert [p.number for p in pins] == list(range(1, 41))
    assert sorted(p.bcm for p in pins if p.bcm is not None) == list(range(28))
    assert {p.name for p in pins if p.bcm is None} == {"3V3", "5V", "GND"}
    assert physical_pin(17, revision) == 11


def test_pin_off_the_header_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="GPIO40"):
        physical_pin(40)


def test_annotations() -> None:
    assert annotation(LAB, 4) == "LED ->GPIO23"
    assert annotation(LAB, 17) == "button 1 <-GPIO27"
    assert annotation(LAB, 18) == "button 2 <-GPIO22"
    assert annotation(LAB, 27) == "drive ->GPIO17"
    assert annotation(LAB, 23) == "sense <-GPIO4"
    assert annotation(LAB, 5) == ""


def test_jumper_text() -> None:
    assert jumper_text(LAB.jumpers[0]) == "GPIO27 (pin 13) -> GPIO17 (pin 11): press button 1"
    assert jumper_text(Jumper(4, 23, "")) == "GPIO4 (pin 7) -> GPIO23 (pin 16)"


def test_ascii_rows_pair_odd_left_even_right() -> None:
    text = ascii_header(LAB)
    rows = [line for line in text.splitlines() if re.search(r"\d+ [o#] [o#] \d+", line)]
    assert len(rows) == 20
    pairs = [tuple(int(n) for n in re.findall(r"(\d+) [o#] [o#] (\d+)", r)[0]) for r in rows]
    assert pairs == [(n, n + 1) for n in range(1, 40, 2)]
    row6 = rows[5]  # pins 11 and 12
    assert re.search(r"button 1 <-GPIO27\s+GPIO17 11 # # 12 GPIO18\s+button 2 <-GPIO22$", row6)
    row8 = rows[7]  # pins 15 and 16
    assert "GPIO22 15 # # 16 GPIO23" in row8 and "sense <-GPIO4" in row8
    assert re.search(r"\s3V3  1 o o 2  5V$", rows[0])


def test_ascii_lists_every_jumper() -> None:
    text = ascii_header(LAB)
    tail = text.split("Jumpers:\n", 1)[1].splitlines()
    assert tail == [
        "  GPIO27 (pin 13) -> GPIO17 (pin 11): press button 1",
        "  GPIO22 (pin 15) -> GPIO18 (pin 12): press button 2",
        "  GPIO4 (pin 7) -> GPIO23 (pin 16): sense the LED",
    ]


def test_svg_parses_with_pins_and_one_curve_per_jumper() -> None:
    root = ET.fromstring(svg_header(LAB))
    assert root.tag == f"{SVG}svg"
    pins = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "pin"]
    assert len(pins) == 40
    jumpers = [p for p in root.iter(f"{SVG}path") if p.get("class") == "jumper"]
    assert len(jumpers) == len(LAB.jumpers)
    titles = [j.findtext(f"{SVG}title") for j in jumpers]
    assert titles[0] == "GPIO27 (pin 13) -> GPIO17 (pin 11): press button 1"


def test_svg_jumper_runs_between_its_two_pins() -> None:
    root = ET.fromstring(svg_header(LAB))
    centre = {}
    for circle in root.iter(f"{SVG}circle"):
        title = circle.findtext(f"{SVG}title") or ""
        if match := re.match(r"pin (\d+):", title):
            centre[int(match[1])] = (float(circle.get("cx", "")), float(circle.get("cy", "")))
    for path, jumper in zip(
        (p for p in root.iter(f"{SVG}path") if p.get("class") == "jumper"), LAB.jumpers, strict=True
    ):
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.get("d", ""))]
        assert tuple(numbers[:2]) == centre[physical_pin(jumper.source)]
        assert tuple(numbers[-2:]) == centre[physical_pin(jumper.target)]


def test_svg_colours_pins_by_role() -> None:
    root = ET.fromstring(svg_header(LAB))
    fill = {}
    for circle in root.iter(f"{SVG}circle"):
        if match := re.match(r"pin (\d+):", circle.findtext(f"{SVG}title") or ""):
            fill[int(match[1])] = circle.get("fill")
    assert fill[7] != fill[11]  # LED vs button
    assert fill[11] == fill[12]  # both buttons
    assert fill[13] == fill[15] != fill[16]  # drives vs sense
    assert fill[29] != fill[7]  # GPIO5 is unused


def test_real_wiring_files_draw() -> None:
    wiring = load_wiring("intrpt")
    text = ascii_header(wiring)
    assert text.count(" -> ") == len(wiring.jumpers)
    paths = ET.fromstring(svg_header(wiring)).iter(f"{SVG}path")
    assert sum(p.get("class") == "jumper" for p in paths) == len(wiring.jumpers)
