"""pilab run --report on the mock board: the files it writes, read back independently.

The VCD is parsed by vcdvcd (not pyvcd, which writes it), the Perfetto trace
by json, the page by html.parser and by a headless Chromium's screenshot.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import vcdvcd
from pngread import png_rows

from pilab.cli import main
from pilab.report.svg import COLOURS

LABS = ("intrpt", "bottomhalf", "bh_thread")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("report")
    assert main(["run", "all", "--board", "mock", "--report", str(directory)]) == 0
    return directory


class Tracks(HTMLParser):
    """The classes of the <g> elements inside each <svg>, by the svg's id."""

    def __init__(self) -> None:
        super().__init__()
        self.svgs: dict[str, set[str]] = {}
        self._svg = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "svg":
            self._svg = values.get("id") or ""
            self.svgs[self._svg] = set()
        elif tag == "g" and self._svg:
            self.svgs[self._svg].update((values.get("class") or "").split())

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._svg = ""


def test_report_writes_its_files(report: Path) -> None:
    names = {p.name for p in report.iterdir()}
    assert {"index.html", "trace.json", "intrpt.vcd", "bottomhalf.vcd", "bh-thread.vcd"} <= names


def test_each_press_is_also_a_picture_of_its_own(report: Path) -> None:
    """The timelines as files, for a handout or a slide: SVG that a plain XML reader takes."""
    import xml.etree.ElementTree as ET

    pictures = sorted(report.glob("bottomhalf-press-*.svg"))
    assert pictures, sorted(p.name for p in report.iterdir())
    groups = {g.get("class") for g in ET.parse(pictures[0]).getroot().iter(
        "{http://www.w3.org/2000/svg}g")}
    assert {"track-hardirq", "track-tasklet"} <= groups, groups


def test_vcd_shows_the_led_going_on_then_off(report: Path) -> None:
    vcd = vcdvcd.VCDVCD(str(report / "bottomhalf.vcd"))
    levels = [v for _, v in vcd["bottomhalf.led"].tv if v != "x"]
    changes = [v for i, v in enumerate(levels) if i == 0 or v != levels[i - 1]]
    assert changes[:2] == ["1", "0"], levels
    times = [t for t, _ in vcd["bottomhalf.button1"].tv]
    assert times == sorted(times) and len(times) >= 2


def test_perfetto_trace_is_valid(report: Path) -> None:
    events = json.loads((report / "trace.json").read_text())["traceEvents"]
    assert events
    for event in events:
        assert {"ph", "ts", "pid", "tid"} <= event.keys(), event
        assert event.get("dur", 0) >= 0, event
    processes = {e["args"]["name"]: e["pid"] for e in events if e["name"] == "process_name"}
    bottomhalf = processes["bottomhalf (mock)"]
    spans = {e["cat"] for e in events if e["ph"] == "X" and e["pid"] == bottomhalf}
    assert {"hardirq", "tasklet"} <= spans
    counters = {e["cat"] for e in events if e["ph"] == "C" and e["pid"] == bottomhalf}
    assert {"led", "button1"} <= counters


def test_html_draws_each_press_with_its_tracks(report: Path) -> None:
    parser = Tracks()
    parser.feed((report / "index.html").read_text())
    bottomhalf = [c for svg, c in parser.svgs.items() if svg.startswith("timeline-bottomhalf-")]
    assert len(bottomhalf) == 3  # two presses and the busy presses
    assert all({"track-hardirq", "track-tasklet", "track-led"} <= c for c in bottomhalf)
    threads = [c for svg, c in parser.svgs.items() if svg.startswith("timeline-bh-thread-")]
    assert threads and all({"track-hardirq", "track-thread"} <= c for c in threads)


def test_chromium_renders_the_report(report: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (scripts/install --dev installs it)")
    shot = tmp_path / "report.png"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
         "--window-size=1280,2000", (report / "index.html").as_uri()],
        capture_output=True, timeout=180, check=True)
    width, height, pixels = png_rows(shot, 720)  # the top: intrpt's table and first press
    assert (width, height) == (1280, 2000)
    colours = {p for row in pixels for p in row}
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    red = tuple(int(COLOURS["hardirq"][i:i + 2], 16) for i in (1, 3, 5))
    assert red in colours, "no hard IRQ span was drawn in the first press's timeline"
