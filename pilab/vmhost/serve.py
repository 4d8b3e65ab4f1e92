"""Inside the warm VM: one long-lived process that runs pilab commands without starting Python.

``python -m pilab.vmhost.serve DIR``: DIR is shared with the host (a --rwdir). The
server imports pilab and the GPIO/input libraries once, writes ``DIR/ready``, then
polls for ``DIR/<request>/request.json`` (argv, env, cwd; written by the host with
a rename, so it is whole). For each it forks a child that runs the command with
stdout and stderr on ``<request>/output``: a pilab command runs in-process (no
interpreter start, no imports), anything else is exec'd (and so is a pilab command
the host marks ``fresh``: pilab's sources changed after the server imported them).
The exit code goes to ``<request>/exit``; a ``<request>/cancel`` file stops the child.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import sys
import time
from pathlib import Path

POLL = 0.05  # seconds between looks at the shared directory, right after a command
IDLE_POLL = 0.5  # ... backing off to this: polling 9p under TCG costs the host CPU
READY, REQUEST, OUTPUT, EXIT, CANCEL = "ready", "request.json", "output", "exit", "cancel"
# Not lgpio: it starts its edge-notification threads (Python's and its C library's)
# when imported and when a chip opens, and a forked child has none of them, so
# gpiozero's when_pressed never fired in a warm command. Each child imports it.
PRELOAD = ("pilab.cli", "pilab.runner", "pilab.check.guest", "pilab.boards.vgpio",
           "gpiozero", "evdev", "pilab.labs")
NOT_PRELOADED = ("lgpio",)


def preload() -> list[str]:
    """Import what the commands will need, once; the names that would not import."""
    from pilab.labs import LABS

    missing = []
    labs = [f"pilab.labs.{lab}.{part}" for lab in LABS for part in ("lab", "checks")]
    for name in [*PRELOAD, *labs]:
        try:
            importlib.import_module(name)
        except Exception:
            missing.append(name)
    return missing


def _is_pilab(argv: list[str]) -> bool:
    return len(argv) >= 3 and argv[1:3] == ["-m", "pilab"]


def _child(request: dict[str, object], output: Path) -> None:
    """In the forked child: become the command; never returns."""
    code = 127
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.setsid()
        os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})  # type: ignore[call-overload]
        os.chdir(str(request["cwd"]))
        argv = [str(a) for a in request["argv"]]  # type: ignore[attr-defined]
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if not _is_pilab(argv) or request.get("fresh"):  # fresh: pilab changed since preload
            os.execvp(argv[0], argv)
        from pilab.cli import main

        sys.argv = ["pilab", *argv[3:]]
        code = main(argv[3:])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException as exc:
        print(f"pilab warm VM: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
    os._exit(code)


def _run(request_dir: Path) -> None:
    request = json.loads((request_dir / REQUEST).read_text())
    pid = os.fork()
    if pid == 0:
        _child(request, request_dir / OUTPUT)
    cancelled = False
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if not cancelled and (request_dir / CANCEL).exists():
            cancelled = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
        time.sleep(POLL)
    code = os.waitstatus_to_exitcode(status)
    tmp = request_dir / f"{EXIT}.tmp"
    tmp.write_text(str(code))
    tmp.rename(request_dir / EXIT)


def serve(share: Path) -> None:
    """Answer requests in *share* until the VM is stopped."""
    started = time.monotonic()
    missing = preload()
    seen = {p.name for p in share.iterdir() if p.is_dir()}
    (share / READY).write_text(json.dumps({"pid": os.getpid(), "missing": missing,
                                           "preload_s": round(time.monotonic() - started, 2)}))
    print(f"pilab warm VM: ready (imports took {time.monotonic() - started:.1f}s)", flush=True)
    pause = POLL
    while True:
        for entry in sorted(share.iterdir()):
            if entry.name not in seen and (entry / REQUEST).exists():
                seen.add(entry.name)
                _run(entry)
                pause = POLL
        time.sleep(pause)
        pause = min(IDLE_POLL, pause * 1.2)


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
