"""Inside the warm VM: one long-lived process that runs pilab commands without starting Python.

``python -m pilab.warmguest`` opens the virtio-serial port the supervisor's QEMU
gives it (pilab/warmproto.py), imports pilab and the GPIO/input libraries once,
says READY, then answers one RUN at a time. Each command runs in a forked child
with stdout and stderr on a pipe whose bytes go back as OUTPUT frames: a pilab
command runs in-process (no interpreter start, no imports), anything else is
exec'd (and so is a pilab command the host marks ``fresh``: pilab's sources
changed after the server imported them). CANCEL stops the child's process group;
its exit code goes back as EXIT. ``--socket PATH`` connects to a Unix socket
instead of the port: the supervisor's tests run the real server without a VM.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import selectors
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from pilab.guest import NOT_FOUND, cannot_run
from pilab.warmproto import GUEST_PORT, Channel, Closed, Kind, fields

PORTS = Path("/sys/class/virtio-ports")
PORT_WAIT = 30.0  # for the port's device node, should udev be slow to make it
# Not lgpio: it starts its edge-notification threads (Python's and its C library's)
# when imported and when a chip opens, and a forked child has none of them, so
# gpiozero's when_pressed never fired in a warm command. Each child imports it.
PRELOAD = ("pilab.cli", "pilab.runner", "pilab.check.guest", "pilab.boards.vgpio",
           "gpiozero", "evdev")
NOT_PRELOADED = ("lgpio",)


def preload() -> list[str]:
    """Import what the commands will need, once; the names that would not import."""
    from pilab.labs import LABS, entry

    missing = []
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:
            missing.append(name)
    for lab in LABS:
        try:
            _ = entry(lab).checks  # its package (steps, model) and its checks
        except Exception:
            missing.append(f"pilab.labs.{lab}")
    return missing


def open_port(name: str = GUEST_PORT, ports: Path = PORTS) -> int:
    """The virtio-serial port called *name*, opened for reading and writing."""
    end = time.monotonic() + PORT_WAIT
    while True:
        for entry in sorted(ports.glob("*")):
            with contextlib.suppress(OSError):
                if (entry / "name").read_text().strip() == name:
                    node = Path("/dev") / entry.name
                    if node.exists():
                        return os.open(node, os.O_RDWR)
        if time.monotonic() > end:
            raise SystemExit(f"pilab warm VM: no virtio port named {name} under {ports}")
        time.sleep(0.1)


def _is_pilab(argv: list[str]) -> bool:
    return len(argv) >= 3 and argv[1:3] == ["-m", "pilab"]


def _child(request: dict[str, Any], output: int, port: int) -> None:
    """In the forked child: become the command; never returns."""
    code = 1
    try:
        os.close(port)  # a command writes its output, never frames
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.setsid()
        os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})
        os.chdir(str(request["cwd"]))
        argv = [str(a) for a in request["argv"]]
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if not _is_pilab(argv) or request.get("fresh"):  # fresh: pilab changed since preload
            try:
                os.execvp(argv[0], argv)
            except FileNotFoundError:
                print(cannot_run(argv[0], "command not found", os.environ.get("PATH", "")),
                      file=sys.stderr)
                code = NOT_FOUND
                raise SystemExit(code) from None
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


def run_command(request: dict[str, Any], channel: Channel) -> int:
    """Run one request, its output streamed back as it comes; its exit code."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reader)
        _child(request, writer, channel.fd)
    os.close(writer)
    os.set_blocking(reader, False)
    ended = os.pidfd_open(pid)
    events = selectors.DefaultSelector()
    events.register(reader, selectors.EVENT_READ)
    events.register(ended, selectors.EVENT_READ)
    events.register(channel.fd, selectors.EVENT_READ)
    try:
        while True:
            # A CANCEL read along with its RUN waits in the channel, unseen by select().
            while (got := channel.buffered()) is not None:
                _control(got, pid)
            for key, _ in events.select():
                if key.fd == reader:
                    _forward(reader, channel, events)
                elif key.fd == channel.fd:
                    _control(channel.recv(timeout=0), pid)
                else:
                    _, status = os.waitpid(pid, 0)
                    # What the command wrote before it ended; a daemon it left holding
                    # the pipe does not keep its exit code from the host.
                    _forward(reader, channel, None)
                    return os.waitstatus_to_exitcode(status)
    finally:
        events.close()
        os.close(ended)
        os.close(reader)


def _control(got: tuple[Kind, bytes] | None, pid: int) -> None:
    """A message from the host while a command runs: CANCEL stops it."""
    if got is not None and got[0] == Kind.CANCEL:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:  # not yet its own group leader (setsid): the child alone
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


def _forward(reader: int, channel: Channel, events: selectors.BaseSelector | None) -> None:
    """Send what the pipe holds now as OUTPUT; at its end, stop watching it."""
    while True:
        try:
            data = os.read(reader, 65536)
        except BlockingIOError:
            return
        if not data:
            if events is not None and reader in events.get_map():
                events.unregister(reader)
            return
        channel.send(Kind.OUTPUT, data)


def serve(channel: Channel) -> None:
    """Say READY, then answer RUN requests until the host goes away."""
    started = time.monotonic()
    missing = preload()
    took = round(time.monotonic() - started, 2)
    print(f"pilab warm VM: ready (imports took {took:.1f}s)", flush=True)
    channel.send(Kind.READY, {"pid": os.getpid(), "missing": missing, "preload_s": took})
    while True:
        try:
            got = channel.recv()
        except Closed:
            return
        if got is None or got[0] != Kind.RUN:
            continue  # a CANCEL for a command that has already ended
        code = run_command(fields(got[1]), channel)
        channel.send(Kind.EXIT, {"code": code})


def main(argv: list[str]) -> None:
    if argv[:1] == ["--socket"]:
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(argv[1])
        fd = sock.detach()
    else:
        fd = open_port()
    serve(Channel(fd))


if __name__ == "__main__":
    main(sys.argv[1:])
