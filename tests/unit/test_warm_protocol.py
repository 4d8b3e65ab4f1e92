"""The warm VM's supervisor, client and guest server, without a VM.

The supervisor runs as ``pilab vm up`` starts it, but its "VM" is the real guest
server (pilab/warmguest.py) started under ``sh`` and joined to the guest socket
directly instead of through QEMU's virtio-serial port. A command that kills that
server is a kernel going down mid-request. Everything else is the real code.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pilab.errors import VmError
from pilab.paths import CACHE_ENV
from pilab.vmhost import warmstate
from pilab.vmhost.leash import run_members
from pilab.vmhost.warmclient import (
    COLD_ENV,
    WarmVm,
    connect,
    start_supervisor,
    wait_ready,
    warm_vm_for,
)
from pilab.warmproto import Decoder, Kind, ProtocolError, fields, frame

RELEASE = "0.0.0-fake"
# The server is not the namespace's init (sh is), so a command may kill it.
FAKE_VM = ["sh", "-c", f"{sys.executable} -m pilab.warmguest --socket {{guest}}; exit 1"]
CRASH = ["sh", "-c", "kill -9 $PPID; sleep 30"]  # the child's parent is the server
UP_WAIT = 120.0


class Supervised:
    """A supervisor with a fake VM, in a cache of its own."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.vmlinuz = cache / f"vmlinuz-{RELEASE}"
        env = {**os.environ, CACHE_ENV: str(cache)}
        env.pop(COLD_ENV, None)
        self.proc, listening = start_supervisor(
            [RELEASE, str(self.vmlinuz), "600",
             str(os.getpid()),  # the supervisor ends with this test run, however it ends
             "--launch", *FAKE_VM], subprocess.PIPE, env)
        assert wait_ready(RELEASE, listening, lambda: self.proc.poll() is None, UP_WAIT), \
            self.log()

    def log(self) -> str:
        if self.proc.poll() is None:
            return "(the supervisor still runs)"
        assert self.proc.stdout is not None
        return self.proc.stdout.read().decode(errors="replace")

    def state(self) -> warmstate.WarmState:
        state = warmstate.read_state(RELEASE)
        assert state is not None
        return state

    def run(self, argv: list[str], watchdog: object = None) -> tuple[int, str]:
        out = io.BytesIO()
        vm = warm_vm_for(self.vmlinuz, [warmstate.runs_dir()])
        assert isinstance(vm, WarmVm)
        code = vm.run(argv, {"LC_ALL": "C"}, self.cache, out, watchdog, 60.0)  # type: ignore[arg-type]
        return code, out.getvalue().decode(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)


@pytest.fixture
def supervised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Supervised]:
    cache = tmp_path / "c"  # short: the sockets' paths must fit a sockaddr_un
    cache.mkdir()
    monkeypatch.setenv(CACHE_ENV, str(cache))
    monkeypatch.delenv(COLD_ENV, raising=False)
    sup = Supervised(cache)
    try:
        yield sup
    finally:
        sup.stop()


def test_frames_survive_any_split() -> None:
    data = frame(Kind.RUN, {"argv": ["echo", "é"]}) + frame(Kind.OUTPUT, b"\x00\xff") + \
        frame(Kind.EXIT, {"code": 3})
    for size in (1, 2, 5, 7, len(data)):
        decoder = Decoder()
        got = [f for i in range(0, len(data), size) for f in decoder.feed(data[i:i + size])]
        assert [k for k, _ in got] == [Kind.RUN, Kind.OUTPUT, Kind.EXIT]
        assert fields(got[0][1]) == {"argv": ["echo", "é"]}
        assert got[1][1] == b"\x00\xff"


@pytest.mark.parametrize("garbage", [b"\x63\x00\x00\x00\x00", b"\x01\xff\xff\xff\xff"])
def test_a_broken_peer_is_named(garbage: bytes) -> None:
    with pytest.raises(ProtocolError):
        Decoder().feed(garbage)


def test_output_and_exit_code_come_back(supervised: Supervised) -> None:
    code, out = supervised.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert code == 3
    assert "out\n" in out and "err\n" in out


def test_a_command_not_found_in_the_guest_is_named(supervised: Supervised) -> None:
    code, out = supervised.run(["no-such-command-here"])
    assert code == 127
    assert "no-such-command-here: command not found in the VM" in out
    assert "Traceback" not in out


def _said(capsys: pytest.CaptureFixture[str], words: str, thread: threading.Thread) -> None:
    """Until pilab has said *words* on stderr (while *thread* runs)."""
    said = ""
    while words not in said:
        assert thread.is_alive(), f"never said {words!r}: {said!r}"
        thread.join(0.05)
        said += capsys.readouterr().err


def _behind_a_gated_command(supervised: Supervised, capsys: pytest.CaptureFixture[str],
                            then: str) -> tuple[tuple[int, str], tuple[int, str]]:
    """Run ``cat GATE; THEN`` and, once the guest has it, ``echo queued`` (which must
    say it waits); then open the gate. Both commands' (code, output)."""
    gate = supervised.cache / "gate"
    os.mkfifo(gate)
    results: dict[str, tuple[int, str]] = {}
    first = threading.Thread(target=lambda: results.update(
        first=supervised.run(["sh", "-c", f"cat {gate}; {then}"])))
    queued = threading.Thread(target=lambda: results.update(
        queued=supervised.run(["echo", "queued"])))
    first.start()
    try:
        _said(capsys, "using the warm VM", first)  # the guest has it, blocked on the fifo
        queued.start()
        _said(capsys, "busy with another command", queued)
    finally:
        with open(gate, "w") as f:
            f.write("go\n")
        first.join(60)
        if queued.ident is not None:
            queued.join(60)
    return results["first"], results["queued"]


def test_a_second_command_waits_and_says_so(supervised: Supervised,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    first, queued = _behind_a_gated_command(supervised, capsys, "echo first")
    assert (first, queued) == ((0, "go\nfirst\n"), (0, "queued\n"))


def test_a_request_right_after_a_crash_is_answered(supervised: Supervised) -> None:
    """The old race: a request made within a millisecond of a crash waited forever."""
    before = supervised.state()
    code, _ = supervised.run(CRASH)
    assert code != 0
    code, out = supervised.run(["echo", "answered"])  # at once: the VM is still rebooting
    assert (code, out) == (0, "answered\n")
    after = supervised.state()
    assert (after.crashes, after.boots) == (before.crashes + 1, before.boots + 1)
    assert after.run_id != before.run_id
    assert run_members(before.run_id) == {}  # the crashed boot left nothing


def test_a_request_queued_behind_a_crash_is_answered(supervised: Supervised,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    crash, queued = _behind_a_gated_command(supervised, capsys, "kill -9 $PPID; sleep 30")
    assert crash[0] != 0
    assert queued == (0, "queued\n")


def test_a_client_that_goes_away_cancels_its_command(supervised: Supervised) -> None:
    channel = connect(RELEASE)
    channel.send(Kind.RUN, {"argv": ["sleep", "600"], "env": {}, "cwd": "/", "fresh": False})
    while (got := channel.recv(timeout=30)) is not None and got[0] != Kind.STARTED:
        pass
    os.close(channel.fd)
    assert supervised.run(["echo", "next"]) == (0, "next\n")  # not after 600 s


def test_a_client_that_stops_reading_stalls_nobody(supervised: Supervised) -> None:
    """Output a client has not taken waits in the supervisor, not in a blocking send.

    The stuck client asks for far more output than a socket buffers and reads
    nothing until another client's command has come back; then it gets all of it.
    """
    size = 4 << 20
    stuck = connect(RELEASE)
    stuck.send(Kind.RUN, {"argv": ["head", "-c", str(size), "/dev/zero"], "env": {},
                          "cwd": "/", "fresh": False})
    answered: list[tuple[int, str]] = []
    other = threading.Thread(target=lambda: answered.append(
        supervised.run(["echo", "meanwhile"])))
    other.start()
    other.join(UP_WAIT)  # a hang detector only: a blocked supervisor took minutes
    assert answered == [(0, "meanwhile\n")]
    got, code = 0, None
    while code is None and (message := stuck.recv(timeout=UP_WAIT)) is not None:
        kind, payload = message
        if kind == Kind.OUTPUT:
            got += len(payload)
        elif kind == Kind.EXIT:
            code = fields(payload)["code"]
    os.close(stuck.fd)
    assert (got, code) == (size, 0)


def test_a_watchdog_restart_boots_again(supervised: Supervised) -> None:
    before = supervised.state()
    code, _ = supervised.run(["sleep", "600"], watchdog=lambda: "the kernel froze")
    assert code == -signal.SIGKILL
    assert supervised.run(["echo", "back"]) == (0, "back\n")
    assert supervised.state().boots == before.boots + 1


def test_down_leaves_nothing(supervised: Supervised) -> None:
    run_id = supervised.state().run_id
    supervised.stop()
    assert supervised.proc.returncode == 0, supervised.log()
    assert run_members(run_id) == {}
    assert sorted(p.name for p in (supervised.cache / "warm").iterdir()) == []
    with pytest.raises(VmError, match="does not answer"):
        connect(RELEASE)


def test_a_second_supervisor_is_refused_and_its_starter_hears_it(supervised: Supervised) -> None:
    """The first one's socket is there and answers READY: only the second's own pipe can
    tell its starter that it ended instead (looking for the socket file said ready)."""
    second, listening = start_supervisor(
        [RELEASE, str(supervised.vmlinuz), "600", str(os.getpid()), "--launch", *FAKE_VM],
        subprocess.PIPE)
    try:
        assert not wait_ready(RELEASE, listening, lambda: True, UP_WAIT)
        out, _ = second.communicate(timeout=60)
        assert second.returncode == 1 and b"already running" in out, out
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()
    assert supervised.run(["echo", "still here"]) == (0, "still here\n")
