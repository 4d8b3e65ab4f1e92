"""The warm VM's supervisor: a detached host process that keeps one VM booted.

``pilab vm up`` starts ``python -m pilab.vmhost.warm RELEASE VMLINUZ IDLE OWNER`` in
a session of its own. It takes the warm VM's lock, listens for clients on its
socket, and boots the VM through the leash (so QEMU cannot outlive it) with the
guest server (pilab/warmguest.py) on a virtio-serial port joined to its guest
socket. One event loop (pilab/warmproto.py is the protocol) then:

- queues each client's RUN and hands it to the guest once the guest is READY and
  the command before it has its EXIT, telling a client that waits why;
- relays the command's OUTPUT and EXIT, and a client's CANCEL;
- when the guest's connection drops or QEMU ends (a kernel crash), or a client
  asks for a RESTART (its watchdog saw a frozen kernel), answers the running
  command CRASHED with the console's words and boots again: queued requests wait
  for the new guest, so none is lost;
- stops for good on SIGTERM (``pilab vm down``), after *IDLE* seconds without a
  command, or when process *OWNER* ends; it leaves no QEMU, lock, state or socket.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import selectors
import signal
import socket
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pilab.vmhost.leash import Leashed, new_run_id, start
from pilab.vmhost.warmstate import (
    LISTENING_FD_ENV,
    WarmState,
    client_socket,
    code_stamp,
    console_path,
    guest_socket,
    lock_path,
    log_path,
    now,
    runs_dir,
    state_path,
)
from pilab.warmproto import GUEST_PORT, Decoder, Kind, ProtocolError, fields, frame

TICK = 1.0  # seconds between looks at idleness and the owner
OUTBOX_LIMIT = 32 << 20  # bytes a client has not taken; past this it is dropped as stuck
GUEST_GONE_WAIT = 5.0  # for QEMU to end once the guest's connection dropped
CONSOLE_QUOTED = 64 * 1024  # of the console since a crashed command started, at most
Launch = Callable[[Path], list[str]]  # the guest socket -> the command that boots a VM


class Client:
    """One client's connection: frames in, and the bytes it has yet to take.

    Sends never block: what the client has not taken waits in its outbox, so a
    slow or stopped client cannot stall the loop (and with it crash detection and
    every other client).
    """

    def __init__(self, conn: socket.socket) -> None:
        conn.setblocking(False)
        self.conn = conn
        self.decoder = Decoder()
        self.outbox = bytearray()
        self.open = True
        self.closing = False  # close once the outbox is empty


@dataclass
class Request:
    """One client's command, from its RUN to its EXIT or CRASHED."""

    client: Client
    spec: dict[str, Any] = field(default_factory=dict)
    console_from: int = 0
    gone: bool = False  # the client went away; the guest's answer is dropped


class Boot:
    """One boot of the VM: the process tree, its console, and the guest's connection."""

    def __init__(self, vm: Leashed) -> None:
        self.vm = vm
        self.ended = os.pidfd_open(vm.proc.pid)
        self.guest: socket.socket | None = None
        self.decoder = Decoder()
        self.ready = False

    def close(self) -> None:
        self.vm.stop()
        os.close(self.ended)
        if self.guest is not None:
            self.guest.close()


class Supervisor:
    """One warm VM: boots, relays, reboots after a crash, stops when idle or told."""

    def __init__(self, release: str, vmlinuz: Path, idle: float, owner: int = 0,
                 launch: Launch | None = None) -> None:
        self.vmlinuz = vmlinuz
        self.owner = owner  # a process whose end stops the VM (0: none)
        self.launch = launch or self._vng
        self.stopping = False
        self.state = WarmState(pid=os.getpid(), release=release, vmlinuz=str(vmlinuz),
                               run_id="", started=now(), booted=now(), idle=idle, used=now())
        self.queue: deque[Request] = deque()
        self.current: Request | None = None
        self.waiters: list[Client] = []  # WAIT_READY clients
        self.clients: set[Client] = set()
        self.events = selectors.DefaultSelector()
        self.boot: Boot | None = None
        self.console: IO[bytes] | None = None

    # -- the VM ------------------------------------------------------------------

    def _vng(self, guest: Path) -> list[str]:
        from pilab.vmhost.vng import guest_command, vng_command

        # Commas are doubled in a QEMU option's value.
        chardev = f"socket,id=pilabwarm,path={str(guest).replace(',', ',,')}"
        qemu = ["-device", "virtio-serial,id=pilabwarm0", "-chardev", chardev, "-device",
                f"virtserialport,bus=pilabwarm0.0,name={GUEST_PORT},chardev=pilabwarm"]
        command = guest_command([sys.executable, "-m", "pilab.warmguest"])
        return _without_softlockup_panic(
            vng_command(self.vmlinuz, command, [runs_dir()], kernel_console=True,
                        qemu_opts=qemu))

    def _start_boot(self) -> None:
        from pilab.vmhost.vng import compile_package, host_path

        compile_package()
        self.state.code = code_stamp()
        self.state.run_id = new_run_id()
        assert self.console is not None
        vm = start(self.launch(guest_socket(self.state.release)), run_id=self.state.run_id,
                   cwd=runs_dir(), env=dict(os.environ, PATH=host_path()),
                   stdout=subprocess.PIPE)
        assert vm.proc.stdout is not None
        os.set_blocking(vm.proc.stdout.fileno(), False)
        self.boot = Boot(vm)
        self.events.register(vm.proc.stdout, _READ, "console")
        self.events.register(self.boot.ended, _READ, "vm-ended")
        self.state.boots += 1
        self.state.booted, self.state.ready = now(), False
        self.state.save()

    def _end_boot(self, code: int) -> None:
        """The VM went down (or is being stopped): the running command learns it."""
        boot = self.boot
        assert boot is not None
        self.boot = None
        for obj in (boot.vm.proc.stdout, boot.ended, boot.guest):
            if obj is not None:
                with contextlib.suppress(KeyError, ValueError):
                    self.events.unregister(obj)
        boot.close()
        self._drain_console(boot)
        self.state.ready = False
        self.state.save()
        request, self.current = self.current, None
        if request is not None:
            self.state.crashes += 1
            self.state.save()
            if not request.gone:
                self._send(request.client, Kind.CRASHED,
                           {"code": code, "console": self._console_since(request.console_from)})
                self._finish(request.client)
        for waiting in self.queue:
            self._send(waiting.client, Kind.WAITING,
                       {"reason": "the warm VM went down: booting it again"})

    def _drain_console(self, boot: Boot) -> None:
        out = boot.vm.proc.stdout
        if out is None:
            return
        with contextlib.suppress(OSError, ValueError):
            while data := os.read(out.fileno(), 65536):
                self._log_console(data)

    def _log_console(self, data: bytes) -> None:
        assert self.console is not None
        self.console.write(data)
        self.console.flush()

    def _console_since(self, offset: int) -> str:
        path = console_path(self.state.release)
        try:
            with open(path, "rb") as f:
                f.seek(max(offset, path.stat().st_size - CONSOLE_QUOTED))
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    # -- clients -------------------------------------------------------------------

    def _send(self, client: Client, kind: Kind, payload: bytes | dict[str, Any]) -> bool:
        """Queue a frame for *client* and send what it takes now; False if it is gone."""
        if not client.open:
            return False
        if len(client.outbox) > OUTBOX_LIMIT:
            self._client_gone(client)
            return False
        client.outbox += frame(kind, payload)
        return self._flush(client)

    def _flush(self, client: Client) -> bool:
        if not client.open:
            return False
        try:
            while client.outbox:
                del client.outbox[:client.conn.send(client.outbox)]
        except BlockingIOError:
            pass
        except OSError:
            self._client_gone(client)
            return False
        if client.closing and not client.outbox:
            self._drop(client)
        else:
            mask = _READ | (_WRITE if client.outbox else 0)
            self.events.modify(client.conn, mask, client)
        return True

    def _finish(self, client: Client) -> None:
        """Close *client* once it has taken everything sent to it."""
        client.closing = True
        self._flush(client)

    def _drop(self, client: Client) -> None:
        if not client.open:
            return
        client.open = False
        with contextlib.suppress(KeyError, ValueError):
            self.events.unregister(client.conn)
        self.clients.discard(client)
        client.conn.close()

    def _from_client(self, client: Client) -> None:
        try:
            data = client.conn.recv(65536)
            frames = client.decoder.feed(data) if data else []
        except BlockingIOError:
            return
        except (OSError, ProtocolError):
            data, frames = b"", []
        if not data:
            self._client_gone(client)
            return
        for kind, payload in frames:
            if kind == Kind.RUN:
                self._enqueue(Request(client, fields(payload)))
            elif kind == Kind.WAIT_READY:
                self.waiters.append(client)
                self._answer_waiters()
            elif kind == Kind.CANCEL and self._runs(client):
                self._to_guest(Kind.CANCEL, {})
            elif kind == Kind.RESTART and self._runs(client) and self.boot is not None:
                self._end_boot(-signal.SIGKILL)

    def _runs(self, client: Client) -> bool:
        return self.current is not None and self.current.client is client

    def _client_gone(self, client: Client) -> None:
        if self._runs(client):
            assert self.current is not None
            self.current.gone = True
            self._to_guest(Kind.CANCEL, {})
        self.queue = deque(r for r in self.queue if r.client is not client)
        if client in self.waiters:
            self.waiters.remove(client)
        self._drop(client)

    def _enqueue(self, request: Request) -> None:
        if self.current is not None or self.queue:
            reason = "the warm VM is busy with another command: waiting for it to finish"
        elif self.boot is None or not self.boot.ready:
            reason = "the warm VM is booting (after a crash?): waiting for it"
        else:
            reason = ""
        if reason:
            self._send(request.client, Kind.WAITING, {"reason": reason})
        self.queue.append(request)

    def _answer_waiters(self) -> None:
        if self.boot is not None and self.boot.ready:
            waiters, self.waiters = self.waiters, []
            for client in waiters:
                self._send(client, Kind.READY, {})

    def _dispatch(self) -> None:
        """The next queued command to the guest, if it is ready and free."""
        while self.queue and self.current is None and self.boot is not None \
                and self.boot.ready:
            request = self.queue.popleft()
            started = {"release": self.state.release, "booted": self.state.booted,
                       "pid": self.state.pid}
            if not self._send(request.client, Kind.STARTED, started):
                continue
            path = console_path(self.state.release)
            request.console_from = path.stat().st_size if path.exists() else 0
            self.current = request
            self._used()
            self._to_guest(Kind.RUN, request.spec)

    def _used(self) -> None:
        self.state.used = now()
        self.state.save()

    # -- the guest -----------------------------------------------------------------

    def _to_guest(self, kind: Kind, payload: dict[str, Any]) -> None:
        if self.boot is not None and self.boot.guest is not None:
            with contextlib.suppress(OSError):
                self.boot.guest.sendall(frame(kind, payload))

    def _from_guest(self) -> None:
        boot = self.boot
        assert boot is not None and boot.guest is not None
        try:
            data = boot.guest.recv(1 << 20)
            frames = boot.decoder.feed(data) if data else []
        except (OSError, ProtocolError):
            data, frames = b"", []
        if not data:  # the guest's end closed: the kernel went down, or the server died
            try:  # QEMU closes it as it ends: its exit code and last console lines
                code = boot.vm.proc.wait(timeout=GUEST_GONE_WAIT)
            except subprocess.TimeoutExpired:
                code = -signal.SIGKILL
            self._end_boot(code)
            return
        for kind, payload in frames:
            if kind == Kind.READY:
                boot.ready = True
                self.state.ready = True
                self.state.save()
                self._answer_waiters()
            elif kind in (Kind.OUTPUT, Kind.EXIT) and self.current is not None:
                request = self.current
                if not request.gone:
                    self._send(request.client, kind, payload)
                if kind == Kind.EXIT:
                    self.current = None
                    self._used()
                    if not request.gone:
                        self._finish(request.client)
        self._dispatch()

    # -- the loop ------------------------------------------------------------------

    def _idle_over(self) -> bool:
        busy = self.current is not None or bool(self.queue)
        return not busy and now() - self.state.used > self.state.idle

    def _owner_gone(self) -> bool:
        return bool(self.owner) and not Path(f"/proc/{self.owner}").exists()

    def _loop(self, wake: socket.socket) -> None:
        while not self.stopping:
            if self.boot is None:
                self._start_boot()
            for key, mask in self.events.select(TICK):
                self._event(key, mask, wake)
                if self.stopping:
                    return
            if self._idle_over() or self._owner_gone():
                self.stopping = True

    def _event(self, key: selectors.SelectorKey, mask: int, wake: socket.socket) -> None:
        what = key.data
        if isinstance(what, Client):
            if mask & _WRITE:
                self._flush(what)
            if mask & _READ and what.open:
                self._from_client(what)
                self._dispatch()
        elif what == "wake":
            with contextlib.suppress(BlockingIOError):
                wake.recv(64)
        elif what == "clients":
            client = Client(_accepted(key))
            self.clients.add(client)
            self.events.register(client.conn, _READ, client)
        elif what == "guests" and self.boot is not None:
            conn = _accepted(key)
            if self.boot.guest is None:
                self.boot.guest = conn
                self.events.register(conn, _READ, "guest")
            else:
                conn.close()  # one guest per boot
        elif what == "guest" and self.boot is not None:
            self._from_guest()
        elif what == "console" and self.boot is not None:
            with contextlib.suppress(BlockingIOError):
                data = os.read(key.fd, 65536)
                if data:
                    self._log_console(data)
                else:
                    self.events.unregister(key.fileobj)
        elif what == "vm-ended" and self.boot is not None:
            self._end_boot(self.boot.vm.proc.wait())
            self._dispatch()

    def run(self) -> int:
        release = self.state.release
        path = lock_path(release)
        path.parent.mkdir(parents=True, exist_ok=True)
        runs_dir().mkdir(parents=True, exist_ok=True)
        with open(path, "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                print(f"a warm VM for {release} is already running", flush=True)
                return 1
            wake, wake_in = socket.socketpair()
            try:
                clients = _listen(client_socket(release))
                guests = _listen(guest_socket(release))
                _tell_listening()
                for sock in (wake, wake_in):
                    sock.setblocking(False)
                self._signals(wake_in)
                self.events.register(wake, _READ, "wake")
                self.events.register(clients, _READ, "clients")
                self.events.register(guests, _READ, "guests")
                with open(console_path(release), "ab") as self.console:
                    self._loop(wake)
                return 0
            finally:
                if self.boot is not None:
                    self._end_boot(-signal.SIGTERM)
                for client in list(self.clients):
                    self._drop(client)
                self.events.close()
                for done in (state_path(release), console_path(release), client_socket(release),
                             guest_socket(release), log_path(release), path):
                    done.unlink(missing_ok=True)

    def _signals(self, wake_in: socket.socket) -> None:
        def stop(signum: int, frame: object) -> None:
            self.stopping = True

        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, stop)
        signal.set_wakeup_fd(wake_in.fileno())


_READ, _WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE


def _accepted(key: selectors.SelectorKey) -> socket.socket:
    listener = key.fileobj
    assert isinstance(listener, socket.socket)
    return listener.accept()[0]


def _listen(path: Path) -> socket.socket:
    path.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.listen(16)
    sock.setblocking(False)
    return sock


def _tell_listening() -> None:
    """One byte down the starter's pipe, if it gave one: the sockets take clients now."""
    fd = os.environ.pop(LISTENING_FD_ENV, None)
    if fd is not None:
        with contextlib.suppress(OSError):
            os.write(int(fd), b"1")
            os.close(int(fd))


def _without_softlockup_panic(cmd: list[str]) -> list[str]:
    """The warm VM keeps panic_on_oops but not softlockup_panic.

    Under TCG a vCPU can stall long enough to trip the soft-lockup detector (seen
    when a lab enabled trace events: text_poke waiting 49 s on the other vCPU); a
    cold ``pilab run`` does not panic on that, so neither does the warm VM. A kernel
    that really froze is still caught: ``pilab check``'s watchdog has the
    supervisor stop the VM and boot it again.
    """
    out: list[str] = []
    for word in cmd:
        if word == "softlockup_panic=1" and out[-1:] == ["--append"]:
            out.pop()
            continue
        out.append(word)
    return out


def main(argv: list[str]) -> int:
    release, vmlinuz, idle, owner = argv[:4]
    launch = None
    if argv[4:5] == ["--launch"]:  # tests: a fake VM command; {guest} is the guest socket
        words = argv[5:]
        launch = lambda guest: [w.replace("{guest}", str(guest)) for w in words]  # noqa: E731
    return Supervisor(release, Path(vmlinuz), float(idle), int(owner), launch).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

