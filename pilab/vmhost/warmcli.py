"""``pilab vm up | status | down``: start, show and stop the warm VM."""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from pilab.errors import ConfigError, VmError
from pilab.progress import progress, say
from pilab.vmhost.leash import run_members
from pilab.vmhost.warmclient import wait_ready
from pilab.vmhost.warmstate import (
    DEFAULT_IDLE,
    ago,
    lock_held,
    log_path,
    qemu_rss_kib,
    read_state,
    state_path,
)

WARM_COMMANDS = ("up", "status", "down")
UP_WAIT = 900.0
DOWN_WAIT = 30.0
UNITS = {"s": 1, "m": 60, "h": 3600, "": 60}


def idle_seconds(text: str) -> float:
    """``30m``, ``2h``, ``90s`` (a bare number is minutes)."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([smh]?)", text.strip())
    if not match or float(match[1]) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 30m, 2h or 90s")
    return float(match[1]) * UNITS[match[2]]


def _parser() -> argparse.ArgumentParser:
    from pilab.vmhost.kernels import DEFAULT, KERNEL_HELP, kernel_choice

    parser = argparse.ArgumentParser(prog="pilab vm")
    parser.add_argument("action", choices=WARM_COMMANDS)
    parser.add_argument("--idle", type=idle_seconds, default=DEFAULT_IDLE,
                        help="up: stop after this long without a command (default 30m)")
    parser.add_argument("--owner", type=int, default=0, metavar="PID",
                        help="up: also stop when process PID ends (a script or a test "
                        "session that must leave nothing running)")
    parser.add_argument("--kernel", type=kernel_choice, default=DEFAULT, help=KERNEL_HELP)
    return parser


def warm_command(argv: list[str], kernel: str) -> int:
    """Run ``pilab vm up|status|down`` (argv without the leading ``pilab vm``)."""
    if "--kernel" not in " ".join(argv) and kernel != "default":
        argv = [*argv, "--kernel", kernel]
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        raise ConfigError("pilab vm up [--idle 30m] | status | down [--kernel K]") from exc
    return {"up": up, "status": status, "down": down}[args.action](args)


def _release(kernel: str) -> str:
    from pilab.vmhost.kernels import release_of

    return release_of(kernel)


def up(args: argparse.Namespace) -> int:
    from pilab.vmhost.session import prepare
    from pilab.vmhost.warmstate import release_of_image

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
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "pilab.vmhost.warm", release, str(vmlinuz), str(args.idle),
             str(args.owner)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    with progress(f"booting the warm VM ({release})"):
        ready = wait_ready(release, lambda: supervisor.poll() is None, UP_WAIT)
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
    release = _release(args.kernel)
    state = read_state(release)
    if state is None:
        print(f"warm VM ({release}): not running")
        return 0
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
    release = _release(args.kernel)
    state = read_state(release)
    if state is None:
        state_path(release).unlink(missing_ok=True)
        print(f"warm VM ({release}): not running")
        return 0
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
