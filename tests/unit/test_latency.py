"""The latency lab's arithmetic, its verdict on the order of the paths, and its plot."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pilab.kernel import gpio_cdev
from pilab.kernel.trace import parse_trace
from pilab.labs.latency.lab import (
    KERNEL_PATHS,
    PATHS,
    USER_PATHS,
    check_order,
    press_latencies,
)
from pilab.labs.latency.stats import Summary, percentile, summarize
from pilab.report.latency_svg import TCG_NOTE, latency_svg
from pilab.steps import Step, StepFailed, StepSkipped

# Three presses of the drive pin (GPIO 990); the LED (GPIO 974) answers the
# first and the third. A write of another line (991) is no press.
TRACE = """\
# tracer: nop
         python3-300     [000] .....   100.000100: gpio_value: 990 set 1
         python3-300     [000] d.h1.   100.000150: gpio_value: 974 set 1
         python3-300     [000] .....   100.010100: gpio_value: 990 set 0
         python3-300     [000] .....   100.100000: gpio_value: 991 set 1
         python3-300     [000] .....   100.200000: gpio_value: 990 set 1
         python3-300     [000] .....   100.210000: gpio_value: 990 set 0
         python3-300     [001] .....   100.400000: gpio_value: 990 set 1
 irq/41-latency-276      [000] .....   100.401000: gpio_value: 974 set 0
"""


def test_each_press_is_timed_to_the_next_led_write() -> None:
    latencies = press_latencies(parse_trace(TRACE), drive=990, led=974)
    assert latencies == [pytest.approx(50e-6), None, pytest.approx(1e-3)]


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(10, 0, -1)]
    assert (percentile(values, 50), percentile(values, 90), percentile(values, 99)) == (5, 9, 10)
    assert percentile([7.0], 99) == 7
    with pytest.raises(ValueError):
        percentile([], 50)
    assert summarize([3.0, 1.0, 2.0]) == Summary(3, 2.0, 3.0, 3.0)


def medians(**us: float) -> dict[str, Summary]:
    return {path: Summary(30, us[path] / 1e6, us[path] / 1e6, us[path] / 1e6) for path in us}


CHAPTER = {"hardirq": 46, "tasklet": 80, "thread": 149, "gpiozero": 4637, "cdev": 1039}


def test_the_order_the_chapter_teaches_passes_and_is_stated() -> None:
    step = Step("order")
    check_order(step, medians(**CHAPTER), "vm")
    assert step.reason == ("hardirq 46 µs < tasklet 80 µs < thread 149 µs < cdev 1039 µs < "
                           "gpiozero 4637 µs")
    assert step.details["emulated"] is True


@pytest.mark.parametrize(("change", "blamed"), [
    ({"tasklet": 40}, "tasklet"),
    ({"cdev": 100}, "cdev"),
    ({"gpiozero": 120}, "gpiozero"),
])
def test_another_order_fails_naming_the_path(change: dict[str, float], blamed: str) -> None:
    with pytest.raises(StepFailed, match=f"median of {blamed}"):
        check_order(Step("order"), medians(**{**CHAPTER, **change}), "pi")


def test_tasklet_and_thread_may_come_in_either_order() -> None:
    check_order(Step("order"), medians(**{**CHAPTER, "tasklet": 300}), "pi")


def test_a_path_not_measured_skips_the_order() -> None:
    partial = {k: v for k, v in CHAPTER.items() if k != "thread"}
    with pytest.raises(StepSkipped, match="missing: thread"):
        check_order(Step("order"), medians(**partial), "vm")


def test_paths_that_failed_their_step_are_left_out_and_named() -> None:
    """A module that ignores path=: its tasklet and thread answers were the hard handler's,
    as fast as it is; they are left out, not blamed for beating it."""
    step = Step("order")
    ignored = {**CHAPTER, "tasklet": 40, "thread": 45}
    check_order(step, medians(**{k: v for k, v in ignored.items() if k not in ("tasklet",
                                                                              "thread")}),
                "vm", failed=["thread", "tasklet"])
    assert step.reason == ("hardirq 46 µs < cdev 1039 µs < gpiozero 4637 µs; not compared: "
                           "tasklet, thread (their steps did not pass)")
    assert step.details["not_compared"] == ["tasklet", "thread"]
    with pytest.raises(StepFailed, match="median of tasklet"):
        check_order(Step("order"), medians(**ignored), "vm")


def test_without_the_handler_the_bottom_halves_still_face_the_programs() -> None:
    rest = {k: v for k, v in CHAPTER.items() if k != "hardirq"}
    check_order(Step("order"), medians(**rest), "vm", failed=["hardirq"])
    with pytest.raises(StepFailed, match="median of cdev"):
        check_order(Step("order"), medians(**{**rest, "thread": 2000}), "vm", failed=["hardirq"])


def test_no_two_paths_to_order_skips() -> None:
    users = {k: CHAPTER[k] for k in USER_PATHS}
    with pytest.raises(StepSkipped, match="no two paths"):
        check_order(Step("order"), medians(**users), "vm", failed=list(KERNEL_PATHS))


def plot(emulated: bool) -> ET.Element:
    samples = {path: [CHAPTER[path] * f for f in (0.9, 1.0, 1.5)] for path in PATHS}
    return ET.fromstring(latency_svg(samples, emulated))


def test_the_plot_has_a_row_per_path_and_a_dot_per_press() -> None:
    ns = {"svg": "http://www.w3.org/2000/svg"}
    root = plot(emulated=False)
    rows = root.findall("svg:g[@class='latency-path']", ns)
    assert [row.get("data-path") for row in rows] == list(PATHS)
    assert all(len(row.findall("svg:circle", ns)) == 3 for row in rows)
    assert all(len(row.findall("svg:line[@class='p50']", ns)) == 1 for row in rows)
    assert TCG_NOTE not in ET.tostring(root, encoding="unicode")


def test_the_vm_plot_says_its_times_are_not_a_pis() -> None:
    texts = [t.text for t in plot(emulated=True).iter("{http://www.w3.org/2000/svg}text")]
    assert TCG_NOTE in texts


def test_the_uapi_layouts_match_linux_gpio_h(tmp_path: Path) -> None:
    """Sizes and ioctl numbers as the C compiler sees <linux/gpio.h>, not as we wrote them."""
    if not shutil.which("cc"):
        pytest.fail("no C compiler: scripts/install installs build-essential")
    source = tmp_path / "layout.c"
    source.write_text(
        "#include <stdio.h>\n#include <linux/gpio.h>\n"
        "int main(void) { printf(\"%zu %lu %zu %zu %zu %lu %lu %lu %lu %lu %d %d %d %d %d %d\\n\", "
        "sizeof(struct gpiochip_info), (unsigned long)GPIO_GET_CHIPINFO_IOCTL, "
        "sizeof(struct gpio_v2_line_request), sizeof(struct gpio_v2_line_event), "
        "sizeof(struct gpio_v2_line_info), (unsigned long)GPIO_V2_GET_LINEINFO_IOCTL, "
        "sizeof(struct gpio_v2_line_values), (unsigned long)GPIO_V2_GET_LINE_IOCTL, "
        "(unsigned long)GPIO_V2_LINE_GET_VALUES_IOCTL, "
        "(unsigned long)GPIO_V2_LINE_SET_VALUES_IOCTL, GPIO_V2_LINE_FLAG_USED, "
        "GPIO_V2_LINE_FLAG_INPUT, "
        "GPIO_V2_LINE_FLAG_OUTPUT, GPIO_V2_LINE_FLAG_EDGE_RISING, GPIO_V2_LINE_FLAG_EDGE_FALLING, "
        "GPIO_V2_LINE_EVENT_RISING_EDGE); return 0; }\n")
    subprocess.run(["cc", "-o", str(tmp_path / "layout"), str(source)], check=True)
    out = subprocess.run([str(tmp_path / "layout")], capture_output=True, text=True,
                         check=True).stdout.split()
    c = gpio_cdev
    assert [int(v) for v in out] == [
        c.CHIP_INFO.size, c.GET_CHIP_INFO, c.REQUEST.size, c.EVENT.size, c.INFO.size,
        c.GET_LINE_INFO, c.VALUES.size, c.GET_LINE, c.GET_VALUES, c.SET_VALUES, c.FLAG_USED,
        c.FLAG_INPUT, c.FLAG_OUTPUT, c.FLAG_EDGE_RISING, c.FLAG_EDGE_FALLING, c.RISING_EDGE]
