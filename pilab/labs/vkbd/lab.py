"""Lab vkbd (guide chapter 16): a virtual keyboard typed through /dev/vinputN."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial
from pathlib import Path

from evdev import ecodes

from pilab.boards.base import Board
from pilab.labs.common.lab import Lab
from pilab.labs.vkbd.keymap import key_actions
from pilab.labs.vkbd.vinput import (
    CLASS_DIR,
    REPEAT_DELAY_MS,
    REPEAT_PERIOD_MS,
    VirtualKeyboard,
    decode_text,
    exported_ids,
    key_events,
    triples,
)
from pilab.steps import StepRecorder

TEXT = "Hello, World! 0123456789 `~!@#$%^&*()-_=+[{]}\\|;:'\",<.>/?\tpilab\n"
HOLD_SECONDS = 0.5  # past the 250 ms repeat delay: about 7 repeats
A, S = ecodes.KEY_A, ecodes.KEY_S
# a read before any write: nothing (ours), or the guide's "%+ld" of no key
NOTHING_WRITTEN = (b"", b"+0\n")


def root_only(mode: os.stat_result) -> bool:
    """Owned by root, no access for group or others (0600 or stricter)."""
    return mode.st_uid == 0 and not stat.S_IMODE(mode.st_mode) & 0o077


def errno_of(action: Callable[[], object]) -> int | None:
    """Run *action*; the errno of the OSError it raised, or None."""
    try:
        action()
    except OSError as exc:
        return exc.errno
    return None


class VkbdLab(Lab):
    """Export a vkbd, type on it through /dev/vinputN and read it back through evdev."""

    name = "vkbd"
    title = "a virtual keyboard typed through /dev/vinputN, read back through evdev"
    needs_kernel = True

    def run(self, board: Board, steps: StepRecorder) -> None:
        log = board.open_log()
        with ExitStack() as stack:
            with steps.step("load vinput and vkbd, export a keyboard, find it in evdev",
                            required=True) as step:
                board.modules.load("vinput")
                board.modules.load(self.module)
                keyboard = stack.enter_context(VirtualKeyboard())
                mode = os.stat(keyboard.node)
                dev = keyboard.device
                step.note(node=str(keyboard.node), evdev=dev.path, name=dev.name, phys=dev.phys,
                          bus=dev.info.bustype, mode=oct(stat.S_IMODE(mode.st_mode)))
                step.expect(dev.info.bustype == ecodes.BUS_VIRTUAL,
                            f"bus {dev.info.bustype:#x}, expected BUS_VIRTUAL")
                step.expect(root_only(mode),
                            f"{keyboard.node} is {oct(stat.S_IMODE(mode.st_mode))} uid "
                            f"{mode.st_uid}: a keystroke injector must be root-only (0600)")
                first = keyboard.last_command()
                step.expect(first in NOTHING_WRITTEN,
                            f"a read before any write gave {first!r}, not nothing (or +0)")
            self._exact_events(keyboard, steps)
            self._auto_repeat(keyboard, steps)
            with steps.step("typed text reads back as the same text") as step:
                events = keyboard.type_text(TEXT)
                events += keyboard.events(timeout=0.05)  # nothing more may come
                text = decode_text(events)
                step.note(typed=TEXT, read_back=text, events=len(events),
                          key_commands=len(key_actions(TEXT)))
                step.expect(len(events) == 2 * len(key_actions(TEXT)),
                            f"{len(events)} events for {len(key_actions(TEXT))} key commands, "
                            "expected a key event and a SYN_REPORT for each")
                step.expect(text == TEXT, f"typed {TEXT!r}, evdev gave {text!r}")
                step.expect(not dev.active_keys(), f"keys left down: {dev.active_keys()}")
            with steps.step("unexport: files opened before it get ENODEV") as step:
                keyboard.unexport()
                step.expect(not keyboard.node.exists(), f"{keyboard.node} still exists")
                write = errno_of(lambda: keyboard.send(b"+30"))
                read = errno_of(lambda: keyboard.last_command())
                step.note(write_errno=write, read_errno=read)
                step.expect(write == errno.ENODEV, f"write after unexport: errno {write}")
                step.expect(read == errno.ENODEV, f"read after unexport: errno {read}")
        with steps.step("unload vkbd and vinput; nothing left; kernel healthy") as step:
            board.modules.unload(self.module)
            step.expect(not exported_ids(), f"devices left after rmmod {self.module}: "
                        f"{sorted(exported_ids())}")
            board.modules.unload("vinput")
            step.expect(not CLASS_DIR.exists(), f"{CLASS_DIR} remains after rmmod vinput")
            left = sorted(str(p) for p in Path("/dev").glob("vinput*"))
            step.expect(not left, f"device nodes remain: {left}")
            log.check_health()

    def _exact_events(self, keyboard: VirtualKeyboard, steps: StepRecorder) -> None:
        with steps.step("presses and releases give exactly EV_KEY + SYN_REPORT") as step:
            sent = [b"+30\n", b"-30\n", b"31", b"-31", b"+30", b"+30", b"-30", b"-30"]
            expected = (key_events(A, 1) + key_events(A, 0) + key_events(S, 1)
                        + key_events(S, 0) + key_events(A, 1) + key_events(A, 0))
            for data in sent:  # the second +30 and -30 change nothing: no events
                step.expect(keyboard.send(data) == len(data), f"write {data!r} short")
            got = triples(keyboard.events(count=len(expected), timeout=2.0))
            got += triples(keyboard.events(timeout=0.1))  # nothing more may come
            step.note(sent=[d.decode() for d in sent], events=len(got))
            step.expect(got == expected, f"events {got}, expected {expected}")
            refused = {bad: errno_of(partial(keyboard.send, bad))
                       for bad in (b"+0", b"030", b"767", b"30 ", b"vkbd")}
            step.note(refused={k.decode(): v for k, v in refused.items()})
            step.expect(all(e == errno.EINVAL for e in refused.values()),
                        f"malformed commands not all refused with EINVAL: {refused}")
            extra = triples(keyboard.events(timeout=0.1))
            step.expect(not extra, f"refused commands made events: {extra}")
            last = keyboard.last_command()
            step.expect(last == b"-30\n", f"read gave {last!r}, the last command was -30")

    def _auto_repeat(self, keyboard: VirtualKeyboard, steps: StepRecorder) -> None:
        with steps.step("a held key auto-repeats (EV_KEY value 2) until released") as step:
            dev = keyboard.device
            delay, period = dev.repeat  # EVIOCGREP: capabilities() does not show EV_REP
            step.note(delay_ms=delay, period_ms=period)
            step.expect((delay, period) == (REPEAT_DELAY_MS, REPEAT_PERIOD_MS),
                        f"repeat {delay}/{period} ms, expected {REPEAT_DELAY_MS}/"
                        f"{REPEAT_PERIOD_MS}")
            keyboard.press(A)
            held = keyboard.events(timeout=HOLD_SECONDS)
            keyboard.release(A)
            after = keyboard.events(timeout=0.1)
            step.expect(triples(held[:2]) == key_events(A, 1), f"press gave {triples(held[:2])}")
            repeats = held[2:]
            pairs = [triples(repeats[i:i + 2]) for i in range(0, len(repeats), 2)]
            step.expect(len(pairs) >= 2, f"{len(pairs)} repeats in {HOLD_SECONDS}s of holding")
            step.expect(all(p == key_events(A, 2) for p in pairs),
                        f"repeats are not all {key_events(A, 2)}: {pairs[:4]}")
            after_triples = triples(after)
            # a last repeat may slip in between reading and releasing
            while after_triples[:2] == key_events(A, 2):
                after_triples = after_triples[2:]
            step.expect(after_triples == key_events(A, 0),
                        f"after release: {after_triples}, expected the release and no repeat")
            first = repeats[0].timestamp() - held[0].timestamp() if repeats else 0.0
            step.note(repeats=len(pairs), first_repeat_ms=round(first * 1000))
            step.expect(first >= 0.8 * REPEAT_DELAY_MS / 1000,
                        f"first repeat {first * 1000:.0f} ms after the press, before the delay")
