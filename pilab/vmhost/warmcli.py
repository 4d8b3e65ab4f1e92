"""``pilab vm up | status | down``: start, show and stop the warm VM.

Their parsers are subcommands of ``pilab vm`` (add_parsers); what runs them is
imported when one runs, so that building pilab's parser stays cheap.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pilab.errors import ConfigError, VmError
from pilab.progress import progress, say

if TYPE_CHECKING:
    from pilab.vmhost.warmstate import WarmState

WARM_COMMANDS = ("up", "status", "down")
DEFAULT_IDLE = 30 * 60.0  # seconds without a command before the warm VM stops
UP_WAIT = 900.0
DOWN_WAIT = 30.0
UNITS = {"s": 1, "m": 60, "h": 3600, "": 60}


def idle_seconds(text: str) -> float:
    """``30m``, ``2h``, ``90s`` (a bare number is minutes)."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([smh]?)", text.strip())
    if not match or float(match[1]) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 30m, 2h or 90s")
    return float(match[1]) * UNITS[match[2]]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``up``, ``status`` and ``down`` as subcommands of ``pilab vm``.

    Their --kernel has no default of its own: ``pilab vm --kernel K down`` keeps K.
    """
    from pilab.vmhost.kernels import add_kernel_option

    up_ = sub.add_parser("up", help="boot the warm VM: run, check, grade and vm -- CMD use it")
    up_.add_argument("--idle", type=idle_seconds, default=DEFAULT_IDLE, metavar="TIME",
                     help="stop after this long without a command: 30m, 2h, 90s "
                     "(default 30m; a bare number is minutes)")
    up_.add_argument("--owner", type=int, default=0, metavar="PID",
                     help="also stop when process PID ends (a script or a test "
                     "session that must leave nothing running)")
    status_ = sub.add_parser("status", help="is the warm VM running; its uptime, idle time, "
                             "memory")
    down_ = sub.add_parser("down", help="stop the warm VM")
    for parser in (up_, status_, down_):
        add_kernel_option(parser, default=argparse.SUPPRESS)


def warm_command(args: argparse.Namespace) -> int:
    """Run ``pilab vm up|status|down``, as parsed (``args.vm_command``)."""
    return {"up": up, "status": status, "down": down}[args.vm_command](args)


def _running(kernel: str, forget: bool = False) -> tuple[str, WarmState] | None:
    """The release *kernel* means and its warm VM; None, said so, when none runs.

    *forget*: also remove a state file that cannot be read.
    """
    from pilab.vmhost.kernels import release_of
    from pilab.vmhost.warmstate import read_state, state_path

    release = release_of(kernel)
    state = read_state(release)
    if state is None:
        if forget:
            state_path(release).unlink(missing_ok=True)
        print(f"warm VM ({release}): not running")
        return None
    return release, state


def up(args: argparse.Namespace) -> int:
    from pilab.vmhost.session import prepare
    from pilab.vmhost.warmclient import start_supervisor, wait_ready
    from pilab.vmhost.warmstate import ago, log_path, read_state, release_of_image

    if args.owner and not Path(f"/proc/{args.owner}").exists():
        raise ConfigError(f"--owner {args.owner}: no process has that pid")
    vmlinuz = prepare(args.kernel)
    release = release_of_image(vmlinuz)
    running = read_state(release)
    if running is not None:
        raise VmError(f"a warm VM for {release} is already running (supervisor pid "
                      f"{running.pid}, up {ago(time.time() - running.started)})",
                      hint="pilab vm status shows it; pilab vm down stops it")
    log = log_path(release)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        supervisor, listening = start_supervisor(
            [release, str(vmlinuz), str(args.idle), str(args.owner)], out)
    with progress(f"booting the warm VM ({release})"):
        ready = wait_ready(release, listening, lambda: supervisor.poll() is None, UP_WAIT)
    if not ready:
        code = supervisor.poll()
        if code is not None:
            raise VmError(f"the warm VM's supervisor ended (code {code}): "
                          f"{log.read_text(errors='replace').strip()[-400:]}")
        os.kill(supervisor.pid, signal.SIGTERM)
        raise VmError("the warm VM did not come up in time", hint=f"see {log}")
    say(f"warm VM up: pilab run, check and grade on {release} use it until "
        f"pilab vm down or {ago(args.idle)} idle")
    return 0


def status(args: argparse.Namespace) -> int:
    from pilab.vmhost.warmstate import ago, qemu_rss_kib

    running = _running(args.kernel)
    if running is None:
        return 0
    release, state = running
    t = time.time()
    rss = qemu_rss_kib(state.run_id)
    used = max(state.used, state.started)
    print(f"warm VM ({release}): {'running' if state.ready else 'booting'}")
    print(f"  kernel:     {state.vmlinuz}")
    print(f"  supervisor: pid {state.pid}, up {ago(t - state.started)}, "
          f"{state.boots} boot(s), {state.crashes} crash(es)")
    print(f"  this boot:  up {ago(t - state.booted)} (run {state.run_id})")
    print(f"  idle:       {ago(t - used)} (stops after {ago(state.idle)})")
    print(f"  memory:     guest {state.memory}, QEMU RSS "
          f"{f'{rss / 1024:.0f} MiB' if rss else 'unknown'}")
    return 0


def down(args: argparse.Namespace) -> int:
    from pilab.vmhost.leash import run_members
    from pilab.vmhost.warmstate import lock_held

    running = _running(args.kernel, forget=True)
    if running is None:
        return 0
    release, state = running
    os.kill(state.pid, signal.SIGTERM)
    end = time.monotonic() + DOWN_WAIT
    while lock_held(release) and time.monotonic() < end:
        time.sleep(0.2)
    if lock_held(release):
        os.kill(state.pid, signal.SIGKILL)  # its VM dies with it (the leash)
        time.sleep(1)
    left = run_members(state.run_id)
    if left:
        raise VmError(f"the warm VM's processes are still running: {left}")
    print(f"warm VM ({release}): stopped")
    return 0
