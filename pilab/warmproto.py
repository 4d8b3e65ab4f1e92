"""The warm VM's protocol: its messages, defined once, and how they travel.

Three parties talk. A *client* (a pilab command on the host) talks to the
*supervisor* (the host process that owns the VM) over a Unix socket; the
supervisor talks to the *guest server* over a virtio-serial port that QEMU joins
to a second Unix socket. A request lives on its client's connection, never in a
shared directory, so there is nothing for a reboot to lose: the supervisor holds
it until a guest says READY, and a connection that drops is a kernel that went
down (guest) or a command nobody waits for any more (client).

Every message is a frame: one byte of :class:`Kind`, four bytes of length
(big-endian), then the payload, JSON for everything but OUTPUT's raw bytes.
Stdlib only: the guest server imports it before anything else.
"""

from __future__ import annotations

import enum
import json
import os
import select
import struct
import time
from typing import Any

HEADER = struct.Struct(">BI")
MAX_PAYLOAD = 1 << 24  # a frame past this is a broken peer, not a message
GUEST_PORT = "pilab.warm"  # the virtio-serial port's name in the guest


class Kind(enum.IntEnum):
    """What a frame is, and who sends it to whom."""

    RUN = 1  # client -> supervisor -> guest: {argv, env, cwd, fresh}
    CANCEL = 2  # client -> supervisor -> guest: stop the command (Ctrl-C)
    RESTART = 3  # client -> supervisor: the kernel froze; stop the VM, boot again
    WAIT_READY = 4  # client -> supervisor: answer READY once a guest is ready
    READY = 5  # guest -> supervisor: {pid, missing, preload_s}; supervisor -> client: {}
    WAITING = 6  # supervisor -> client: {reason}: queued behind a command or a boot
    STARTED = 7  # supervisor -> client: {release, booted, pid}: the guest has the command
    OUTPUT = 8  # guest -> supervisor -> client: the command's stdout and stderr, raw
    EXIT = 9  # guest -> supervisor -> client: {code}
    CRASHED = 10  # supervisor -> client: {code, console}: the VM went down under it


class ProtocolError(Exception):
    """The peer sent something that is not a frame of this protocol."""


class Closed(Exception):
    """The peer closed the connection (for the guest's: the kernel went down)."""


def frame(kind: Kind, payload: bytes | dict[str, Any] | None = None) -> bytes:
    """One message, ready to write."""
    if payload is None:
        payload = {}
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return HEADER.pack(kind, len(data)) + data


def fields(payload: bytes) -> dict[str, Any]:
    """A JSON payload's fields."""
    try:
        found = json.loads(payload or b"{}")
    except ValueError as exc:
        raise ProtocolError(f"a payload that is not JSON: {payload[:60]!r}") from exc
    if not isinstance(found, dict):
        raise ProtocolError(f"a payload that is not a JSON object: {payload[:60]!r}")
    return found


class Decoder:
    """Bytes in, whole frames out; keeps a partial frame until the rest arrives."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[tuple[Kind, bytes]]:
        self._buffer += data
        frames = []
        while len(self._buffer) >= HEADER.size:
            kind, size = HEADER.unpack_from(self._buffer)
            if size > MAX_PAYLOAD or kind not in Kind._value2member_map_:
                raise ProtocolError(f"not a frame: kind {kind}, {size} bytes")
            end = HEADER.size + size
            if len(self._buffer) < end:
                break
            frames.append((Kind(kind), self._buffer[HEADER.size:end]))
            self._buffer = self._buffer[end:]
        return frames


class Channel:
    """Blocking frames over one file descriptor (a socket, or the guest's virtio port)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._decoder = Decoder()
        self._pending: list[tuple[Kind, bytes]] = []

    def send(self, kind: Kind, payload: bytes | dict[str, Any] | None = None) -> None:
        view = memoryview(frame(kind, payload))
        while view:
            try:
                view = view[os.write(self.fd, view):]
            except BlockingIOError:
                select.select([], [self.fd], [])
            except (BrokenPipeError, ConnectionResetError) as exc:
                raise Closed(str(exc)) from exc

    def buffered(self) -> tuple[Kind, bytes] | None:
        """A frame already read (with the one before it), or None: select() cannot see it."""
        return self._pending.pop(0) if self._pending else None

    def recv(self, timeout: float | None = None) -> tuple[Kind, bytes] | None:
        """The next frame; None if *timeout* seconds pass first; Closed at the end."""
        end = None if timeout is None else time.monotonic() + timeout
        while not self._pending:
            left = None if end is None else max(0.0, end - time.monotonic())
            if not select.select([self.fd], [], [], left)[0]:
                return None
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                continue
            except ConnectionResetError as exc:
                raise Closed(str(exc)) from exc
            if not data:
                raise Closed("the peer closed the connection")
            self._pending = self._decoder.feed(data)
        return self._pending.pop(0)
