"""vinput.ko + vkbd.ko on the real kernel: exact events, strict parsing, lifetime, races.

Every test grabs the keyboard it writes to (VirtualKeyboard does), so no key
reaches the VM's console; the race tests only write releases of keys that are
up, which the input core drops before any handler sees them.
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import random
import stat
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from itertools import pairwise
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event, Semaphore
from pathlib import Path

import pytest
from evdev import InputEvent, ecodes

from pilab.boards.vm import VmGuestBoard
from pilab.errors import ModuleError
from pilab.kernel.build import module_dir
from pilab.kernel.klog import KernelLog
from pilab.kernel.modules import insmod, loaded, rmmod
from pilab.labs.vkbd.keymap import key_actions
from pilab.labs.vkbd.vinput import (
    CLASS_DIR,
    EXPORT,
    KEY_CODES,
    MAX_COMMAND,
    MAX_DEVICES,
    REPEAT_DELAY_MS,
    REPEAT_PERIOD_MS,
    SYN,
    UNEXPORT,
    VinputError,
    VirtualKeyboard,
    command,
    decode_text,
    exported_ids,
    find_input_device,
    key_events,
    parse_command,
    parse_unexport,
    sysfs_write,
    triples,
    unexport,
    without_repeats,
)
from pilab.pimodels import VGPIO
from pilab.runner import run_lab
from pilab.steps import PASSED
from pilab.wiring import load_wiring

A, S, D = ecodes.KEY_A, ecodes.KEY_S, ecodes.KEY_D
KEY_MAX = ecodes.KEY_MAX  # 767: the first code vkbd refuses


def seed_for(name: str) -> int:
    """PILAB_FUZZ_SEED, or a fresh seed; printed so a failure can be replayed."""
    seed = int(os.environ.get("PILAB_FUZZ_SEED") or time.time_ns() % 2**32)
    print(f"{name}: seed {seed} (replay with PILAB_FUZZ_SEED={seed})")
    return seed


def errno_of(action: Callable[[], object]) -> int | None:
    try:
        action()
    except OSError as exc:
        return exc.errno
    return None


def load_modules(board: VmGuestBoard) -> VmGuestBoard:
    board.setup(load_wiring("vkbd"))  # modprobes evdev
    board.modules.load("vinput")
    board.modules.load("vkbd")
    return board


@pytest.fixture
def modules(vm_board: VmGuestBoard) -> VmGuestBoard:
    """vinput and vkbd loaded for one test (that may unload them); unloaded after."""
    return load_modules(vm_board)


@pytest.fixture(scope="class")
def shared_modules() -> Iterator[VmGuestBoard]:
    """vinput and vkbd loaded once for a class of tests (a load takes seconds in TCG)."""
    board = VmGuestBoard(VGPIO)
    try:
        yield load_modules(board)
    finally:
        board.teardown()


@pytest.fixture
def keyboard(shared_modules: VmGuestBoard) -> Iterator[VirtualKeyboard]:
    """A fresh keyboard, grabbed; no other vinput device exists."""
    assert exported_ids() == set(), "an earlier test left a device exported"
    with VirtualKeyboard() as kb:
        yield kb


SEQUENCES: list[tuple[list[bytes], list[tuple[int, int, int]]]] = [
    ([b"+30", b"-30"], key_events(A, 1) + key_events(A, 0)),
    ([b"30\n", b"-30\n"], key_events(A, 1) + key_events(A, 0)),
    ([b"+1", b"-1"], key_events(1, 1) + key_events(1, 0)),
    ([b"766", b"-766"], key_events(766, 1) + key_events(766, 0)),
    ([b"+272", b"-272"], key_events(ecodes.BTN_LEFT, 1) + key_events(ecodes.BTN_LEFT, 0)),
    ([b"+30", b"+30", b"-30", b"-30"], key_events(A, 1) + key_events(A, 0)),
    ([b"-30"], []),
    ([b"+42", b"+30", b"-30", b"-42"],
     key_events(42, 1) + key_events(A, 1) + key_events(A, 0) + key_events(42, 0)),
    ([b"+30", b"+31", b"-30", b"-31"],
     key_events(A, 1) + key_events(S, 1) + key_events(A, 0) + key_events(S, 0)),
]


REFUSED = [b"+", b"-", b"\n", b"0", b"+0", b"-0", b"767", b"+767", b"99999", b"030", b"+030",
           b"-030", b"00", b" 30", b"30 ", b"\t30", b"30\n\n", b"30\r\n", b"\n30", b"++30",
           b"+-30", b"--30", b"-+30", b"0x1e", b"1e", b"3 0", b"30\x00", b"\x0030", b"abc",
           b"vkbd", "\uff13\uff10".encode(), b"4294967326", b"18446744073709551646",
           b"+" + b"1" * 15, b"1" * 16, b"30" + b"\n" * 15, b"+30" + b" " * 14]


def export_errno(data: bytes) -> int | None:
    return errno_of(lambda: sysfs_write(EXPORT, data))


def unexport_errno(data: bytes) -> int | None:
    return errno_of(lambda: sysfs_write(UNEXPORT, data))


FUZZ_DEVICE_WRITES = 8000
FUZZ_SYSFS_WRITES = 2000  # with the device writes: 10,000
FUZZ_SECONDS = 40  # a bound: stop early (and fail) on a very slow machine


def malformed_command(rng: random.Random) -> bytes:
    """Something close to a command that vkbd must refuse (most of the time)."""
    code = rng.choice([rng.randrange(1, KEY_MAX), rng.randrange(KEY_MAX, 100000), 0])
    sign = rng.choice([b"", b"+", b"-", b"++", b"+-", b"--", b" ", b"0x"])
    body = str(code).encode()
    kind = rng.randrange(8)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 20)))
    if kind == 1:
        return sign + b"0" * rng.randrange(1, 4) + body
    if kind == 2:
        return sign + body + rng.choice([b"\n\n", b"\r\n", b" ", b"\x00", b"x", b"\t", b"\n "])
    if kind == 3:
        return rng.choice([b"", b" ", b"\n", b"\t"]) + sign + body
    if kind == 4:
        return sign + body[: rng.randrange(len(body) + 1)] + rng.choice([b"", b"\n"])
    if kind == 5:
        return sign + b"9" * rng.randrange(4, 25)
    if kind == 6:
        return b"".join(rng.choice([b"+", b"-", b"\n", b"0", b"7", b"3", b"6"])
                        for _ in range(rng.randrange(1, 18)))
    return rng.choice(["\uff13\uff10", "\u0663\u0660", "3\u20600"]).encode()


def valid_command(rng: random.Random) -> bytes:
    code = rng.choice([rng.randrange(1, KEY_MAX), rng.choice([A, S, D, 272, 766, 1])])
    sign = rng.choice([b"", b"+", b"-", b"-"])
    return sign + str(code).encode() + rng.choice([b"", b"\n"])


EXPORT_NAMES = [b"vkb", b"vkbdd", b"vkbd ", b" vkbd", b"VKBD", b"vkbd\n\n", b"vkbd\x00", b"\n",
                b"vk\nbd", b"vkbd\r\n", b"x" * 16, b"vkbd" * 4, b"mouse", b"vinput"]


def export_verdict(data: bytes, count: int) -> int | None:
    """The errno vinput gives for exporting *data* with *count* devices: None = created."""
    name = data[:-1] if data.endswith(b"\n") else data
    if not name or len(name) >= 16:
        return errno.EINVAL
    if name != b"vkbd":
        return errno.ENODEV
    return errno.ENOSPC if count >= MAX_DEVICES else None


WRITERS = 4
WRITES_EACH = 600
IN_FLIGHT = 12  # key events written but not yet read: well under evdev's 64-event buffer


def _writer(node: Path, code: int, writes: int, credits: Semaphore,
            results: Queue[tuple[int, int]]) -> None:
    """One writer process: press/release its own key, one credit per write."""
    fd = os.open(node, os.O_WRONLY)
    accepted = 0
    for i in range(writes):
        if not credits.acquire(timeout=20):
            break
        os.write(fd, command(code, i % 2 == 0))
        accepted += 1
    os.close(fd)
    results.put((code, accepted))


# Releases of keys that are up: accepted and remembered, but no event reaches anyone.
# Byte for byte, a mix of two of them is (almost always) none of them.
TORN_COMMANDS = (b"-111", b"-766", b"-2", b"-45")
TORN_VALUES = 6000  # values read byte by byte while a writer changes them (~1 s in TCG)


def _cycling_writer(node: Path, started: Event, stop: Event, results: Queue[int]) -> None:
    """One writer process: the TORN_COMMANDS in turn, as fast as it can, until *stop*."""
    fd = os.open(node, os.O_WRONLY)
    os.write(fd, TORN_COMMANDS[0])
    writes = 1
    started.set()  # after a first write: before it, a read sees EOF, rightly
    while not stop.is_set():
        os.write(fd, TORN_COMMANDS[writes % len(TORN_COMMANDS)])
        writes += 1
    os.close(fd)
    results.put(writes)


def read_bytewise(fd: int) -> bytes:
    """One value of /dev/vinputN from offset 0, one read(2) of one byte at a time."""
    os.lseek(fd, 0, os.SEEK_SET)
    value = b""
    while len(value) <= MAX_COMMAND and (byte := os.read(fd, 1)):
        value += byte
    return value


RACE_SECONDS = 5.0


def delete_module(name: str) -> int | None:
    """Unload without waiting; the errno, or None when it unloaded."""
    try:
        rmmod(name, attempts=1)
    except ModuleError as exc:
        return exc.errno
    return None


def init_module(path: Path) -> int | None:
    """Load; the errno, or None when it loaded."""
    try:
        insmod(path)
    except ModuleError as exc:
        return exc.errno
    return None


def test_lab_passes() -> None:
    result = run_lab("vkbd", "vm", out=None)
    assert result.status == PASSED, [(s.name, s.reason) for s in result.steps]
    assert len(result.steps) == 6


class TestWithModulesLoaded:
    """Everything that needs vinput and vkbd loaded but leaves them loaded."""

    @pytest.fixture(autouse=True)
    def no_device_left(self, shared_modules: VmGuestBoard) -> Iterator[None]:
        """Whatever a test exported is unexported after it, passed or failed."""
        yield
        for vid in sorted(exported_ids()):
            unexport(vid)

    def test_device_identity(self, keyboard: VirtualKeyboard) -> None:
        dev = keyboard.device
        assert (dev.name, dev.phys, dev.info.bustype) == (
            "vkbd", f"vinput/vinput{keyboard.id}", ecodes.BUS_VIRTUAL)
        node = os.stat(keyboard.node)
        assert stat.S_ISCHR(node.st_mode)
        assert (stat.S_IMODE(node.st_mode), node.st_uid) == (0o600, 0)
        assert (CLASS_DIR / f"vinput{keyboard.id}").is_dir()
        assert tuple(dev.repeat) == (REPEAT_DELAY_MS, REPEAT_PERIOD_MS)
        assert dev.capabilities()[ecodes.EV_KEY] == list(KEY_CODES)

    def test_exact_event_sequences(self, keyboard: VirtualKeyboard) -> None:
        for sent, expected in SEQUENCES:
            for data in sent:
                assert keyboard.send(data) == len(data), data
            got = triples(keyboard.events(count=len(expected), timeout=2.0))
            got += triples(keyboard.events(timeout=0.05))
            assert got == expected, sent
        assert keyboard.device.active_keys() == []

    def test_typed_text_has_exact_events(self, keyboard: VirtualKeyboard) -> None:
        text = "Hi! " * 19 + "Hi!"  # 476 events: more than evdev's queue holds at once
        expected = [t for code, down in key_actions(text) for t in key_events(code, int(down))]
        events = keyboard.type_text(text)
        assert triples(events) == expected
        assert decode_text(events) == text
        assert keyboard.events(timeout=0.05) == []
        assert keyboard.last_command() == b"-42\n"  # the shift after '!'

    def test_reads_give_the_last_command_and_honour_offsets(
            self, keyboard: VirtualKeyboard) -> None:
        fd = keyboard.fd
        assert keyboard.last_command() == b""  # nothing written yet
        for sent, text in [(b"+30\n", b"+30\n"), (b"-30", b"-30\n"), (b"34", b"+34\n"),
                           (b"-34\n", b"-34\n"), (b"-31\n", b"-31\n"), (b"766\n", b"+766\n"),
                           (b"-766", b"-766\n")]:
            keyboard.send(sent)  # -31 releases a key that is up: no event, still the last
            for offset in range(len(text) + 2):
                assert keyboard.last_command(offset) == text[offset:], (sent, offset)
            assert keyboard.last_command(size=2) == text[:2]
        assert errno_of(lambda: keyboard.send(b"+0")) == errno.EINVAL
        assert keyboard.last_command() == b"-766\n", "a refused write changed the last command"
        # read(2) follows the file position: byte by byte, then end of file
        os.lseek(fd, 0, os.SEEK_SET)
        assert [os.read(fd, 1) for _ in range(6)] == [b"-", b"7", b"6", b"6", b"\n", b""]
        keyboard.send(b"+30")
        assert os.read(fd, 16) == b"", "a new command moved the file position back"
        os.lseek(fd, 1, os.SEEK_SET)
        assert os.read(fd, 16) == b"30\n"
        keyboard.send(b"-30")

    def test_empty_write_is_refused(self, keyboard: VirtualKeyboard) -> None:
        assert errno_of(lambda: keyboard.send(b"")) == errno.EINVAL
        assert keyboard.events(timeout=0.05) == []

    def test_malformed_commands_are_refused_without_events(
            self, keyboard: VirtualKeyboard) -> None:
        keyboard.send(b"-31")  # accepted, changes no key: no event
        for data in REFUSED:
            assert parse_command(data) is None, data  # the oracle the fuzz test uses agrees
            assert errno_of(partial(keyboard.send, data)) == errno.EINVAL, data
            assert keyboard.pending() == [], data
            assert keyboard.last_command() == b"-31\n", data
        assert errno_of(lambda: keyboard.send(b"1" * (MAX_COMMAND + 1))) == errno.EINVAL
        assert errno_of(lambda: keyboard.send(b"+30" + b"\n" * 4000)) == errno.EINVAL
        assert keyboard.events(timeout=0.05) == []

    def test_export_names_must_match_exactly(self, shared_modules: VmGuestBoard) -> None:
        cases = {b"vkb": errno.ENODEV, b"vkbdX": errno.ENODEV, b"vkbd ": errno.ENODEV,
                 b" vkbd": errno.ENODEV, b"VKBD": errno.ENODEV, b"vkbd\n\n": errno.ENODEV,
                 b"vkbd\x00": errno.ENODEV, b"vinput": errno.ENODEV, b"x" * 15: errno.ENODEV,
                 b"x" * 15 + b"\n": errno.ENODEV, b"\n": errno.EINVAL, b"x" * 16: errno.EINVAL,
                 b"vkbd" * 4: errno.EINVAL, b"vkbd" + b"\n" * 20: errno.EINVAL}
        got = {data: export_errno(data) for data in cases}
        assert got == cases
        assert exported_ids() == set()
        assert export_errno(b"vkbd") is None and export_errno(b"vkbd\n") is None
        assert exported_ids() == {0, 1}

    def test_unexport_ids_are_strict_decimal(self, shared_modules: VmGuestBoard) -> None:
        sysfs_write(EXPORT, b"vkbd")
        sysfs_write(EXPORT, b"vkbd")
        malformed = [b"\n", b"abc", b"-1", b"+1", b" 1", b"1 ", b"01", b"00", b"0x1", b"1\n\n",
                     b"1\r\n", b"1.0", b"1\x00", "\u0661".encode()]
        for data in malformed:
            assert parse_unexport(data) is None, data
            assert unexport_errno(data) == errno.EINVAL, data
        for data in [b"2", b"31\n", b"32", b"4294967296", b"99999999999999999999"]:
            assert unexport_errno(data) == errno.ENODEV, data
        assert exported_ids() == {0, 1}
        assert unexport_errno(b"1\n") is None and unexport_errno(b"0") is None
        assert unexport_errno(b"0") == errno.ENODEV
        assert exported_ids() == set()

    def test_lowest_free_id_and_enospc(self, shared_modules: VmGuestBoard,
                                       kernel_stays_healthy: KernelLog) -> None:
        for _ in range(MAX_DEVICES):
            sysfs_write(EXPORT, b"vkbd\n")
        assert exported_ids() == set(range(MAX_DEVICES))
        assert export_errno(b"vkbd\n") == errno.ENOSPC
        assert export_errno(b"vkbd\n") == errno.ENOSPC
        for vid in (17, 5):
            sysfs_write(UNEXPORT, str(vid).encode())
        sysfs_write(EXPORT, b"vkbd")
        assert exported_ids() == set(range(MAX_DEVICES)) - {17}, "export took not the lowest id"
        for vid in sorted(exported_ids()):
            sysfs_write(UNEXPORT, f"{vid}\n".encode())
        assert exported_ids() == set()
        full = kernel_stays_healthy.lines("vinput: all 32")
        assert len(full) <= 1, "ENOSPC was logged more than once"

    def test_auto_repeat_follows_the_last_key(self, keyboard: VirtualKeyboard) -> None:
        keyboard.press(A)
        held_a = keyboard.events(timeout=0.45)
        keyboard.press(S)
        held_s = keyboard.events(timeout=0.45)
        keyboard.release(S)
        after_s = keyboard.events(timeout=0.3)  # A is still down, but repeat stopped with S
        keyboard.release(A)
        after_a = keyboard.events(timeout=0.2)
        assert triples(held_a[:2]) == key_events(A, 1)
        repeats_a = held_a[2:]
        assert len(repeats_a) >= 4 and len(repeats_a) % 2 == 0
        assert all(triples(repeats_a[i:i + 2]) == key_events(A, 2)
                   for i in range(0, len(repeats_a), 2))
        # the press of S may follow one more repeat of A that came while we switched
        rest = triples(held_s)
        while rest[:2] == key_events(A, 2):
            rest = rest[2:]
        assert rest[:2] == key_events(S, 1)
        repeats_s = [rest[i:i + 2] for i in range(2, len(rest), 2)]
        assert len(repeats_s) >= 2 and all(pair == key_events(S, 2) for pair in repeats_s)
        tail = triples(after_s)
        while tail[:2] == key_events(S, 2):
            tail = tail[2:]
        assert tail == key_events(S, 0)
        assert triples(after_a) == key_events(A, 0)
        # never before the delay, never faster than the period (timestamps are the kernel's)
        first = repeats_a[0].timestamp() - held_a[0].timestamp()
        assert first >= 0.9 * REPEAT_DELAY_MS / 1000
        stamps = [e.timestamp() for e in repeats_a[::2]]
        assert min(b - a for a, b in pairwise(stamps)) >= 0.75 * REPEAT_PERIOD_MS / 1000

    def test_unexport_while_open(self, shared_modules: VmGuestBoard) -> None:
        old = VirtualKeyboard()
        try:
            old.send(b"+30")
            node, vid, device = old.node, old.id, old.device
            old.unexport()
            assert not node.exists()
            assert errno_of(lambda: old.send(b"-30")) == errno.ENODEV
            assert errno_of(old.last_command) == errno.ENODEV
            # evdev refuses reads of a device that is gone, queued events or not
            assert errno_of(lambda: list(device.read())) == errno.ENODEV
            with VirtualKeyboard() as new:  # the id is free again while the old file lives
                assert new.id == vid
                new.send(b"+31")
                new.send(b"-31")
                assert triples(new.events(count=4, timeout=1.0)) == (
                    key_events(S, 1) + key_events(S, 0))
                assert errno_of(lambda: old.send(b"+30")) == errno.ENODEV
        finally:
            old.close()

    # ---- fuzz ----

    @pytest.mark.once
    def test_fuzz_device_writes(self, keyboard: VirtualKeyboard) -> None:
        """Random and malformed writes: exactly the oracle's verdict, exactly its events."""
        rng = random.Random(seed_for("device fuzz"))
        down: set[int] = set()
        tally: Counter[str] = Counter()
        last = b""
        deadline = time.monotonic() + FUZZ_SECONDS
        for i in range(FUZZ_DEVICE_WRITES):
            assert time.monotonic() < deadline, f"fuzz too slow: {i} writes in {FUZZ_SECONDS}s"
            data = valid_command(rng) if rng.random() < 0.4 else malformed_command(rng)
            verdict = parse_command(data)
            err = errno_of(partial(keyboard.send, data))
            events = without_repeats(keyboard.pending())
            context = f"write #{i} {data!r}"
            if verdict is None:
                tally["refused"] += 1
                assert err == errno.EINVAL, context
                assert events == [], f"{context} was refused but made events {triples(events)}"
                continue
            tally["accepted"] += 1
            assert err is None, f"{context}: errno {err}"
            code, pressed = verdict
            last = command(code, pressed)
            expected: list[tuple[int, int, int]] = []
            if pressed != (code in down):
                expected = key_events(code, int(pressed))
                (down.add if pressed else down.discard)(code)
                tally["events"] += 1
            assert triples(events) == expected, context
            if i % 500 == 0:
                assert keyboard.last_command() == last, context
        for code in sorted(down):
            keyboard.release(code)
        assert keyboard.device.active_keys() == []
        print(f"device fuzz: {dict(tally)}")
        assert tally["refused"] > FUZZ_DEVICE_WRITES // 2 and tally["events"] > 100

    @pytest.mark.once
    def test_fuzz_export_and_unexport(self, keyboard: VirtualKeyboard,
                                      kernel_stays_healthy: KernelLog) -> None:
        """Random writes to export/unexport: the oracle's verdict, no stray devices or events."""
        rng = random.Random(seed_for("sysfs fuzz"))
        ids = {keyboard.id}
        tally: Counter[str] = Counter()
        deadline = time.monotonic() + FUZZ_SECONDS
        for i in range(FUZZ_SYSFS_WRITES):
            assert time.monotonic() < deadline, f"fuzz too slow: {i} writes in {FUZZ_SECONDS}s"
            if rng.random() < 0.5:
                target = "export"
                roll = rng.random()
                if roll < 0.04 and len(ids) < 6:
                    data = rng.choice([b"vkbd", b"vkbd\n"])
                elif roll < 0.5:
                    data = rng.choice(EXPORT_NAMES)
                else:
                    data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 24)))
                expected = export_verdict(data, len(ids))
                err = export_errno(data)
                if expected is None:
                    ids.add(min(set(range(MAX_DEVICES)) - ids))  # the lowest free id
            else:
                target = "unexport"
                roll = rng.random()
                if roll < 0.3 and len(ids) > 1:
                    vid = rng.choice(sorted(ids - {keyboard.id}))
                    data = str(vid).encode() + rng.choice([b"", b"\n"])
                elif roll < 0.6:
                    data = str(rng.randrange(0, 100)).encode()
                else:
                    data = malformed_command(rng) or b"x"
                if parse_unexport(data) == keyboard.id:
                    data = b"+" + data  # not the keyboard we watch: malformed instead
                named = parse_unexport(data)
                expected = errno.EINVAL if named is None else None if named in ids else errno.ENODEV
                err = unexport_errno(data)
                if named is not None and expected is None:
                    ids.discard(named)
            tally[f"{target} {errno.errorcode.get(err or 0, 'ok')}"] += 1
            context = f"{target} write #{i} {data!r}"
            assert err == expected, f"{context}: errno {err}, expected {expected}"
            assert exported_ids() == ids, context
            assert keyboard.pending() == [], f"{context} made events on the keyboard"
        for vid in ids - {keyboard.id}:
            sysfs_write(UNEXPORT, str(vid).encode())
        print(f"sysfs fuzz: {dict(sorted(tally.items()))}")
        assert tally["export ok"] > 10 and tally["unexport ok"] > 10
        assert sum(tally.values()) == FUZZ_SYSFS_WRITES
        # refused writes log nothing: every vinput line is an export or an unexport
        lines = [r.text for r in kernel_stays_healthy.lines() if "vinput" in r.text]
        known = (": exported vkbd", ": unexported", "input: vkbd as", "vinput: loaded",
                 "registered device type")
        stray = [t for t in lines if not any(k in t for k in known)]
        assert stray == []
        assert sum(": exported vkbd" in t for t in lines) == tally["export ok"] + 1

    # ---- concurrency ----

    def test_concurrent_writers_lose_and_invent_nothing(
            self, keyboard: VirtualKeyboard) -> None:
        ctx = multiprocessing.get_context("fork")
        credits = ctx.Semaphore(IN_FLIGHT)
        results: Queue[tuple[int, int]] = ctx.Queue()
        codes = [ecodes.KEY_1 + n for n in range(WRITERS)]
        writers = [ctx.Process(target=_writer,
                               args=(keyboard.node, code, WRITES_EACH, credits, results))
                   for code in codes]
        for proc in writers:
            proc.start()
        events: list[InputEvent] = []
        keys = 0
        deadline = time.monotonic() + 60
        while keys < WRITERS * WRITES_EACH and time.monotonic() < deadline:
            new = keyboard.events(count=1, timeout=0.5)  # whatever is there once one came
            events += new
            for event in new:
                if event.type == ecodes.EV_KEY and event.value in (0, 1):
                    keys += 1
                    credits.release()
        accepted = dict(results.get(timeout=10) for _ in writers)
        for proc in writers:
            proc.join(10)
        assert accepted == dict.fromkeys(codes, WRITES_EACH)
        assert not [e for e in events if (e.type, e.code) == (ecodes.EV_SYN, ecodes.SYN_DROPPED)]
        plain = triples(without_repeats(events))
        # each write's key and its SYN_REPORT stay together, whatever the interleaving
        assert all(syn == SYN for syn in plain[1::2]) and len(plain) == 2 * keys
        per_key = {code: [v for t, c, v in plain[0::2] if c == code] for code in codes}
        print(f"concurrent writers: {WRITERS} x {WRITES_EACH} writes, {keys} key events")
        for code in codes:
            assert per_key[code] == [1, 0] * (WRITES_EACH // 2), f"key {code}"

    def test_bytewise_reads_see_only_values_written(self, keyboard: VirtualKeyboard) -> None:
        """A value read a byte at a time is one value, whatever was written meanwhile.

        The reads go through one open file while another process writes: every
        value assembled must be the text of a command that was written.
        """
        ctx = multiprocessing.get_context("fork")
        started, stop = ctx.Event(), ctx.Event()
        results: Queue[int] = ctx.Queue()
        writer = ctx.Process(target=_cycling_writer,
                             args=(keyboard.node, started, stop, results))
        writer.start()
        try:
            assert started.wait(10), "the writer process did not start"
            seen = Counter(read_bytewise(keyboard.fd) for _ in range(TORN_VALUES))
        finally:
            stop.set()
            writes = results.get(timeout=10)
            writer.join(10)
        valid = {c + b"\n" for c in TORN_COMMANDS}
        print(f"bytewise reads: {TORN_VALUES} values during {writes} writes: {dict(seen)}")
        assert {v: n for v, n in seen.items() if v not in valid} == {}, "torn values read"
        assert len(seen) > 1, "the value never changed under the reader: no race was tried"


def test_rmmod_with_open_files(modules: VmGuestBoard) -> None:
    first, second = VirtualKeyboard(), VirtualKeyboard()
    try:
        assert delete_module("vinput") == errno.EAGAIN  # vkbd uses it
        modules.modules.unload("vkbd")  # takes its keyboards with it, open or not
        assert exported_ids() == set()
        for kb in (first, second):
            assert errno_of(partial(kb.send, b"+30")) == errno.ENODEV
            assert errno_of(kb.last_command) == errno.ENODEV
        assert delete_module("vinput") == errno.EAGAIN  # open /dev/vinputN files pin it
        assert export_errno(b"vkbd") == errno.ENODEV  # no such type any more
    finally:
        first.close()
        second.close()
    modules.modules.unload("vinput")
    assert not loaded("vinput") and not CLASS_DIR.exists()


def test_races_between_export_unexport_open_and_rmmod(modules: VmGuestBoard) -> None:
    """Threads export, unexport, open, write, read and rmmod at once; all ends clean."""
    rng_seed = seed_for("races")
    stop = threading.Event()
    tally: Counter[str] = Counter()
    lock = threading.Lock()
    problems: list[str] = []

    def count(what: str, err: int | None, allowed: set[int]) -> None:
        with lock:
            tally[f"{what} {errno.errorcode.get(err or 0, 'ok')}"] += 1
            if err is not None and err not in allowed:
                problems.append(f"{what}: {errno.errorcode.get(err, err)}")

    def exporter(seed: int) -> None:
        rng = random.Random(seed)
        while not stop.is_set():
            count("export", export_errno(b"vkbd"), {errno.ENODEV, errno.ENOSPC})
            vid = rng.randrange(8)
            count("unexport", unexport_errno(str(vid).encode()), {errno.ENODEV})

    def opener(seed: int) -> None:
        rng = random.Random(seed)
        held: list[int] = []
        while not stop.is_set():
            live = sorted(exported_ids())  # mostly a device that exists, or just did
            vid = rng.choice(live) if live and rng.random() < 0.8 else rng.randrange(8)
            try:
                fd = os.open(f"/dev/vinput{vid}", os.O_RDWR)
            except OSError as exc:
                count("open", exc.errno, {errno.ENOENT, errno.ENODEV})
                continue
            count("open", None, set())
            held.append(fd)
            for f in held:  # files opened earlier may be on dead devices by now
                # releasing a key that is up: accepted, but no event reaches anyone
                count("write", errno_of(partial(os.write, f, b"-30\n")), {errno.ENODEV})
                count("read", errno_of(partial(os.pread, f, 16, 0)), {errno.ENODEV})
            if len(held) > 3:
                os.close(held.pop(0))
        for fd in held:
            os.close(fd)

    def unloader() -> None:
        image = module_dir() / "vkbd.ko"
        while not stop.is_set():
            err = delete_module("vinput")
            if err is None:
                problems.append("vinput unloaded while vkbd was loaded")
                return
            count("delete_module vinput", err, {errno.EAGAIN, errno.EBUSY})
            count("delete_module vkbd", delete_module("vkbd"), set())
            time.sleep(0.02)
            count("init_module vkbd", init_module(image), set())
            time.sleep(0.05)

    threads = [threading.Thread(target=exporter, args=(rng_seed,)),
               threading.Thread(target=exporter, args=(rng_seed + 1,)),
               threading.Thread(target=opener, args=(rng_seed + 2,)),
               threading.Thread(target=opener, args=(rng_seed + 3,)),
               threading.Thread(target=unloader)]
    for thread in threads:
        thread.start()
    time.sleep(RACE_SECONDS)
    stop.set()
    for thread in threads:
        thread.join(30)
    print(f"races for {RACE_SECONDS}s: {dict(sorted(tally.items()))}")
    assert not any(thread.is_alive() for thread in threads), "a racing thread hung"
    assert problems == []
    assert tally["delete_module vkbd ok"] >= 3, "too few unloads to race with"
    assert tally["export ok"] > 0 and tally["open ok"] > 0 and tally["write ok"] > 0
    if not loaded("vkbd"):
        assert init_module(module_dir() / "vkbd.ko") is None
    modules.modules.unload("vkbd")
    modules.modules.unload("vinput")
    assert not loaded("vkbd") and not loaded("vinput")
    assert not CLASS_DIR.exists() and not list(Path("/dev").glob("vinput*"))
    with pytest.raises(VinputError):
        find_input_device("vkbd", "vinput/vinput0", timeout=0)
