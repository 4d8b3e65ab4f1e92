"""Tasks inside a module's code: what a check that overran its bound is waiting on.

A check past its bound may only be slow (a busy machine) or may be waiting on a call
into the module that will never return (an exit that waits forever, a read that never
wakes). The kernel tells them apart: a task of the second kind has the module's code
on its kernel stack (/proc/PID/task/TID/stack, which names a module's functions
``name+0x1c/0x30 [module]``).
"""

from __future__ import annotations

from pathlib import Path

PROC = Path("/proc")


def inside(modules: list[str], proc: Path = PROC) -> list[str]:
    """Each task whose kernel stack runs through *modules*' code, as
    ``"rmmod (pid 312): tasklet_kill <- bottomhalf_exit [bottomhalf] <- ..."``."""
    marks = {f"[{name.replace('-', '_')}]" for name in modules}
    found = []
    for stack_file in sorted(proc.glob("[0-9]*/task/[0-9]*/stack")):
        try:
            frames = [line.split("] ", 1)[-1].strip()
                      for line in stack_file.read_text().splitlines()]
            comm = (stack_file.parent / "comm").read_text().strip()
        except OSError:  # the task ended, or this kernel shows no stacks
            continue
        if any(frame.rsplit(" ", 1)[-1] in marks for frame in frames):
            calls = " <- ".join(frame.split("+", 1)[0] + (f" {frame.rsplit(' ', 1)[-1]}"
                                                          if frame.endswith("]") else "")
                                for frame in frames[:6])
            found.append(f"{comm} (pid {stack_file.parent.name}): {calls}")
    return found
