"""The vkbd lab's checks, for anyone's vinput + vkbd (``pilab check vkbd``).

The interface is the guide's design as docs/labs/vkbd.md states it: export
and unexport through /sys/class/vinput, one command ``[+|-]CODE`` per write,
a read gives the last command as ``%+ld\\n``. Ours only, not required: a read
before any write may give ``+0\\n`` (the guide's) instead of nothing. Every
verdict rests on errno, evdev events and sysfs, never on the kernel log.
"""

from __future__ import annotations

import errno
import os
import pickle
from functools import partial
from pathlib import Path

from evdev import ecodes

from pilab.check.context import CheckContext
from pilab.check.suite import Check
from pilab.kernel.modules import loaded
from pilab.labs.common.checks import CYCLES, behaviour_check
from pilab.labs.vkbd.lab import errno_of
from pilab.labs.vkbd.vinput import (
    CLASS_DIR,
    VirtualKeyboard,
    command,
    exported_ids,
    key_events,
    triples,
)
from pilab.steps import Step, StepFailed

A, S = ecodes.KEY_A, ecodes.KEY_S
# Not one command each: EINVAL, no event, the last command and the keys unchanged.
MALFORMED = [b"", b"+", b"-", b"\n", b"0", b"+0", b"-0", b"767", b"99999", b"030", b"-030",
             b" 30", b"30 ", b"30\n\n", b"30\r\n", b"++30", b"+-30", b"0x1e", b"3 0", b"abc",
             b"vkbd", b"1" * 17]
WRITTEN = [b"+30\n", b"-30", b"34", b"-34\n", b"766\n", b"-766"]  # then a held key: +31


def _load(ctx: CheckContext) -> None:
    board = ctx.live_board
    board.modules.load("vinput")
    board.modules.load(ctx.module)


def malformed_writes(ctx: CheckContext, step: Step) -> None:
    """Each malformed write: EINVAL, no event, the last command and held keys unchanged."""
    _load(ctx)
    with VirtualKeyboard() as keyboard:
        keyboard.send(b"+31")  # a held key, and a last command a refused write must keep
        keyboard.events(count=2, timeout=2.0)
        wrong: dict[str, object] = {}
        for data in MALFORMED:
            err = errno_of(partial(keyboard.send, data))
            events = triples(keyboard.pending())  # a write delivers its events before it returns
            last = keyboard.last_command()
            keys = keyboard.device.active_keys()
            problems = [f"errno {errno.errorcode.get(err, err) if err else 'none (accepted)'}"
                        ] if err != errno.EINVAL else []
            problems += [f"events {events}"] if events else []
            problems += [f"then a read gave {last!r}"] if last != b"+31\n" else []
            problems += [f"then keys down {keys}"] if keys != [S] else []
            if problems:
                wrong[repr(data)] = ", ".join(problems)
        step.note(writes=len(MALFORMED), wrong=wrong)
        step.expect(not wrong, f"{len(wrong)} of {len(MALFORMED)} malformed writes not refused "
                    f"cleanly (expected EINVAL, no event, nothing changed): "
                    + "; ".join(f"{k}: {v}" for k, v in list(wrong.items())[:4]))
        keyboard.send(b"-31")


def _reads(node: Path, text_len: int) -> dict[str, bytes]:
    """What reads of *node* give, done in a child process.

    At each offset 0..text_len+1 (64 bytes asked), 2 bytes at offset 0, and
    one byte per read() up to end of file. A module that copies more than
    asked overruns the reader's buffer: only the child suffers that.
    """
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: read, report through the pipe, exit
        code = 1
        try:
            os.close(rfd)
            got = _child_reads(node, text_len)
            os.write(wfd, pickle.dumps(got))
            code = 0
        finally:
            os._exit(code)
    os.close(wfd)
    with os.fdopen(rfd, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or not data:
        raise StepFailed(f"the process reading {node} died (exit status {code})")
    result: dict[str, bytes] = pickle.loads(data)
    return result


def _child_reads(node: Path, text_len: int, limit: int = 64) -> dict[str, bytes]:
    fd = os.open(node, os.O_RDONLY)
    got = {f"at offset {offset}": os.pread(fd, 64, offset) for offset in range(text_len + 2)}
    got["2 bytes at offset 0"] = os.pread(fd, 2, 0)
    bytewise = b""
    for _ in range(limit):
        byte = os.read(fd, 1)
        if not byte:
            break
        bytewise += byte
    else:
        bytewise += b"... (no end of file)"
    got["one byte per read up to end of file"] = bytewise
    os.close(fd)
    return got


def exact_reads(ctx: CheckContext, step: Step) -> None:
    """A read is the last command ``%+ld\\n``, from the offset on, then end of file."""
    _load(ctx)
    with VirtualKeyboard() as keyboard:
        wrong: list[str] = []
        for data in WRITTEN:
            keyboard.send(data)
            code = int(data.strip(b"\n").lstrip(b"+-"))
            text = command(code, not data.startswith(b"-"))
            expected = {f"at offset {offset}": text[offset:] for offset in range(len(text) + 2)}
            expected["2 bytes at offset 0"] = text[:2]
            expected["one byte per read up to end of file"] = text
            got = _reads(keyboard.node, len(text))
            wrong += [f"after writing {data!r}, a read {how} gave {got.get(how)!r}, expected "
                      f"{want!r}" for how, want in expected.items() if got.get(how) != want]
        keyboard.events(timeout=0.05)
        step.note(problems=wrong)
        step.expect(not wrong, "; ".join(wrong[:3]) + (f" (and {len(wrong) - 3} more)"
                                                         if len(wrong) > 3 else ""))


def unexport_open(ctx: CheckContext, step: Step) -> None:
    """Unexport while a file is open: the node goes, the file gets ENODEV, all else works."""
    board = ctx.live_board
    _load(ctx)
    old = VirtualKeyboard()
    try:
        old.send(b"+30")
        node, vid, device = old.node, old.id, old.device
        old.unexport()
        step.expect(not node.exists(), f"{node} still exists after unexport")
        step.expect(vid not in exported_ids(), f"{CLASS_DIR}/vinput{vid} still exists")
        write = errno_of(lambda: old.send(b"-30"))
        read = errno_of(old.last_command)
        step.note(write_errno=write, read_errno=read)
        step.expect(write == errno.ENODEV, f"a write on the file opened before unexport: "
                    f"errno {errno.errorcode.get(write, write) if write else 'none'}, "
                    "expected ENODEV")
        step.expect(read == errno.ENODEV, f"a read on the file opened before unexport: "
                    f"errno {errno.errorcode.get(read, read) if read else 'none'}, "
                    "expected ENODEV")
        gone = errno_of(lambda: list(device.read()))
        step.expect(gone == errno.ENODEV, "its evdev device is still there after unexport")
        with VirtualKeyboard() as new:  # the device may be made again with the old file open
            new.send(b"+31")
            new.send(b"-31")
            got = triples(new.events(count=4, timeout=2.0))
            step.expect(got == key_events(S, 1) + key_events(S, 0),
                        f"a keyboard exported after the unexport gave {got}")
    finally:
        old.close()
    board.modules.unload(ctx.module)
    board.modules.unload("vinput")


def cycles(ctx: CheckContext, step: Step) -> None:
    """Load, export, type a key, unexport, unload: CYCLES times, nothing left behind."""
    board = ctx.live_board
    for cycle in range(1, CYCLES + 1):
        _load(ctx)
        with VirtualKeyboard() as keyboard:
            keyboard.send(b"+30")
            keyboard.send(b"-30")
            got = triples(keyboard.events(count=4, timeout=2.0))
            step.expect(got == key_events(A, 1) + key_events(A, 0),
                        f"cycle {cycle}: +30/-30 gave {got}")
        board.modules.unload(ctx.module)
        board.modules.unload("vinput")
        left = [name for name in ("vinput", ctx.module) if loaded(name)]
        step.expect(not left, f"cycle {cycle}: still loaded: {left}")
        step.expect(not CLASS_DIR.exists(), f"cycle {cycle}: {CLASS_DIR} remains after unload")
        nodes = sorted(str(p) for p in Path("/dev").glob("vinput*"))
        step.expect(not nodes, f"cycle {cycle}: device nodes remain: {nodes}")
    step.note(cycles=CYCLES)


CHECKS = [
    behaviour_check("export a vkbd through /sys/class/vinput/export; each write '+N'/'-N' "
                    "reports EV_KEY N and a SYN_REPORT; set EV_REP (the input core then "
                    "repeats at 250/33 ms); keep the node root-only (0600, the devtmpfs "
                    "default); refuse anything else with -EINVAL"),
    Check("malformed writes are refused", malformed_writes,
          "parse '[+|-]CODE' yourself (kstrtoul takes '030' and refuses '-30'), CODE 1..766, "
          "one optional newline; on anything else return -EINVAL before touching last_entry "
          "or reporting a key", 60.0),
    Check("reads are exact", exact_reads,
          "format the last command as \"%+ld\\n\" and copy only that text, from *ppos on, "
          "at most count bytes, then 0 (end of file): simple_read_from_buffer() does it", 60.0),
    Check("unexport works with the node held open", unexport_open,
          "an open file may outlive its device: hold a reference per open file "
          "(get_device/put_device), free in the release callback, and answer -ENODEV once "
          "the device is unexported", 60.0),
    Check(f"{CYCLES} load/unload cycles", cycles,
          "rmmod vkbd must unexport its keyboards and vinput_unregister its type; rmmod vinput "
          "must remove the class and free the char device region", 240.0),
]
