"""The vm board for real: boot the distribution kernel in QEMU (slow: ~1 min a boot)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from junitparser import JUnitXml
from kernel_matrix import SERIES, choice_of, kernel_or_skip
from skeleton_build import build_skeletons, skeletons_build_dir

from pilab.kernel.klog import CRASH_LINE
from pilab.labs import LABS, expand
from pilab.paths import cache_dir
from pilab.vmhost.image import ensure_image, headers_release
from pilab.vmhost.kernels import DEFAULT, NEWEST, release_of
from pilab.vmhost.session import exec_in_vm
from pilab.vmhost.unpack import boot_image, has_pvh_entry

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.vm


@pytest.fixture
def skeletons_built() -> None:
    """The lab skeletons built for the default kernel, in the cache the guest reads."""
    release = headers_release()
    build_skeletons(skeletons_build_dir(release), release)


def test_the_distribution_kernel_boots_bare() -> None:
    """Debian's x86 kernels have CONFIG_PVH: every VM boots the unpacked vmlinux, without
    the bzImage's own xz/zstd decompression (about 3 s of each boot under TCG)."""
    image = boot_image(ensure_image(headers_release()))
    assert image.name.startswith("vmlinux"), image
    assert has_pvh_entry(image.read_bytes())


@pytest.mark.parametrize("leg", [DEFAULT, SERIES])
def test_kernel_tests_pass_inside_the_vm(leg: str, capsys: pytest.CaptureFixture[str],
                                         skeletons_built: None) -> None:
    """tests/kernel/ against the real kernel, with vgpio taking real interrupts.

    On the distribution's default kernel and on the other series its archive
    offers (Debian 12: 6.1 and 6.12). Tests marked ``once`` (hundreds of cycles,
    fuzzing, and pilab's Python side in a subprocess) run on the default kernel only:
    the other leg is for what differs between kernels, and they were its slowest minute
    and a half. The guest's pytest report streams
    straight to the terminal, so the log of a run shows every kernel test,
    and every lab, with the kernel release in its name.
    """
    choice = choice_of(leg)
    only = [] if leg == DEFAULT else ["-m", "not once"]
    with capsys.disabled():
        code = exec_in_vm(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "-rfE",
             "--durations=5", *only, str(ROOT / "tests" / "kernel")], cwd=ROOT, kernel=choice
        )
    assert code == 0, f"kernel tests failed inside the VM ({choice}): see their output above"


def test_a_vm_that_dies_says_why_and_the_commands_output_is_whole() -> None:
    """The path pilab vm and the kernel tests take: the command's stdout untouched (dmesg's
    own timestamped lines, a last line without a newline), and a kernel that goes down
    quoted from its console on stderr, not just an exit code."""
    crash = "dmesg | head -n 2; printf last; sleep 1; echo c > /proc/sysrq-trigger; sleep 30"
    proc = subprocess.run([sys.executable, "-m", "pilab", "vm", "--", "sh", "-c", crash],
                          capture_output=True, text=True, check=False, cwd=ROOT, timeout=900)
    assert proc.returncode != 0
    lines = proc.stdout.splitlines()
    assert len(lines) == 3 and lines[0].startswith("[") and lines[2] == "last", proc.stdout
    assert "the kernel's console said" in proc.stderr, proc.stderr[-2000:]
    quoted = proc.stderr[proc.stderr.index("the kernel's console said"):]
    assert "sysrq" in quoted.lower(), quoted


def test_every_lab_passes_on_the_newest_kernel(capsys: pytest.CaptureFixture[str]) -> None:
    """pilab run all --board vm --kernel newest: Debian unstable's kernel, built in its chroot."""
    kernel_or_skip(NEWEST)  # makes the chroot, or skips saying why it cannot
    with capsys.disabled():
        proc = subprocess.run(
            [sys.executable, "-m", "pilab", "run", "all", "--board", "vm", "--kernel", NEWEST,
             "--json"], stdout=subprocess.PIPE, text=True, check=False, cwd=ROOT,
        )
    release = release_of(NEWEST)
    results = json.loads(proc.stdout) if proc.stdout.strip() else []
    with capsys.disabled():
        for result in results:  # a failure's reason in full: it may quote the kernel's panic
            why = f"\n{result['reason']}" if result["status"] != "passed" else ""
            print(f"{result['name']} on {release}: {result['status']}{why}")
    failed = [r for r in results if r["status"] != "passed"]
    assert proc.returncode == 0 and not failed, (
        f"pilab run all --kernel newest ({release}) exit {proc.returncode}:\n"
        + "\n".join(f"{r['name']}: {r['status']}: {gist(r['reason'])}" for r in failed))
    assert {r["name"] for r in results} == set(LABS)


# Besides the start of a crash (CRASH_LINE): where it was, and a stall that led to it.
GIST_MORE = ("Call Trace", "rcu:")


def gist(reason: str, most: int = 8) -> str:
    """A failure's first line and the kernel report's key lines: what a log's tail must show."""
    lines = reason.splitlines()
    key = [line.strip() for line in lines[1:]
           if CRASH_LINE.search(line) or any(word in line for word in GIST_MORE)]
    return "\n  ".join(lines[:1] + key[:most])


@pytest.fixture(scope="module")
def installed_wheel() -> Iterator[Path]:
    """pilab built as a wheel and installed (not editable) in a new venv; its bin/.

    The venv lives in pilab's cache directory, which the VM can read (a
    pytest tmp dir under /tmp is the guest's own tmpfs there).
    """
    cache_dir().mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="wheel-test-", dir=cache_dir()))
    try:
        subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(work), str(ROOT)],
                       check=True, capture_output=True)
        wheel = next(work.glob("pilab-*.whl"))
        subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
        pip = work / "venv" / "bin" / "pip"
        subprocess.run([str(pip), "install", "-q", f"{wheel}[vm]"], check=True,
                       capture_output=True)
        yield work / "venv" / "bin"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_the_installed_wheel_runs_the_mock_labs_from_elsewhere(installed_wheel: Path,
                                                                tmp_path: Path) -> None:
    proc = subprocess.run([str(installed_wheel / "pilab"), "run", "all", "--board", "mock"],
                          capture_output=True, text=True, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    count = len(expand(["all"], "mock"))
    assert f"{count} of {count} labs passed" in proc.stdout


def test_the_installed_wheel_runs_every_lab_on_an_emulated_pi5(installed_wheel: Path,
                                                               tmp_path: Path) -> None:
    """The host side from a wheel: build in the cache, boot, the pi board's code in the guest.

    Its --report draws what the kernel did: bottomhalf's top half and tasklet on each
    press's timeline, and the latency lab's plot.
    """
    junit, report = tmp_path / "labs.xml", tmp_path / "report"
    proc = subprocess.run(
        [str(installed_wheel / "pilab"), "run", "all", "--board", "vm", "--model", "pi5",
         "--json", "--junit-xml", str(junit), "--report", str(report)],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout)
    assert [(r["name"], r["board"], r["emulated_by"], r["status"]) for r in results] == [
        (lab, "pi", "vm", "passed") for lab in LABS]
    load = next(s for s in results[0]["steps"] if s["name"].startswith("load the module"))
    assert load["details"]["params"] == {"led": 571 + 4, "buttons": [571 + 17, 571 + 18]}
    assert [suite.name for suite in JUnitXml.fromfile(str(junit))] == list(LABS)
    page = (report / "index.html").read_text()
    bottomhalf = page[page.index('id="lab-bottomhalf"'):page.index('id="lab-bh-thread"')]
    assert 'class="track-hardirq"' in bottomhalf and 'class="track-tasklet"' in bottomhalf
    assert 'class="latency-path" data-path="thread"' in page
    assert 'class="tcg-note"' in page  # the emulated Pi's times are TCG's, it says
