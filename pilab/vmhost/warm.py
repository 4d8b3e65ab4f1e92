"""The warm VM's supervisor: a detached host process that keeps one VM booted.

``pilab vm up`` starts ``python -m pilab.vmhost.warm RELEASE VMLINUZ IDLE`` in a
session of its own. It takes the warm VM's lock, boots the VM through the leash
(so QEMU cannot outlive it) running the guest server (pilab/vmhost/serve.py), and
watches it: when QEMU ends on its own (a kernel crash) the command it was running
is told (``<request>/crashed``) and the VM boots again; SIGUSR1 (a client's
watchdog) stops it and boots again; SIGTERM (``pilab vm down``), or *IDLE* seconds
without a command, stop it for good. It leaves no QEMU, lock, state or share behind.
"""

from __future__ import annotations

import fcntl
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from pilab.guest import GUEST_ENV
from pilab.paths import CACHE_ENV, cache_dir
from pilab.vmhost.launch import compile_package, vng_command
from pilab.vmhost.leash import Leashed, new_run_id, start
from pilab.vmhost.warmstate import (
    WarmState,
    code_stamp,
    console_path,
    last_used,
    lock_path,
    log_path,
    now,
    runs_dir,
    share_dir,
    state_path,
    touch_used,
)

TICK = 0.2
CRASHED, EXIT = "crashed", "exit"


class Supervisor:
    """One warm VM: boots, watches, reboots after a crash, stops when idle or told."""

    def __init__(self, release: str, vmlinuz: Path, idle: float, owner: int = 0) -> None:
        self.share = share_dir(release)
        self.vmlinuz = vmlinuz
        self.owner = owner  # a process whose end stops the VM (0: none)
        self.stopping = False
        self.restart = False
        self.state = WarmState(pid=os.getpid(), release=release, vmlinuz=str(vmlinuz),
                               run_id="", started=now(), booted=now(), idle=idle)

    def _signals(self) -> None:
        def stop(signum: int, frame: object) -> None:
            self.stopping = True

        def restart(signum: int, frame: object) -> None:
            self.restart = True

        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, stop)
        signal.signal(signal.SIGUSR1, restart)

    def in_flight(self) -> list[Path]:
        """Requests the guest has not answered."""
        return [d for d in self.share.iterdir()
                if d.is_dir() and not (d / EXIT).exists() and not (d / CRASHED).exists()]

    def _boot(self, console: IO[bytes]) -> Leashed:
        (self.share / "ready").unlink(missing_ok=True)
        compile_package()
        self.state.code = code_stamp()
        env = {GUEST_ENV: "1", "PYTHONDONTWRITEBYTECODE": "1", CACHE_ENV: str(cache_dir())}
        command = shlex.join(["env", *(f"{k}={v}" for k, v in env.items()), sys.executable,
                              "-m", "pilab.vmhost.serve", str(self.share)])
        cmd = _without_softlockup_panic(
            vng_command(self.vmlinuz, command, [runs_dir()], kernel_console=True))
        path = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"
        self.state.run_id = new_run_id()
        vm = start(cmd, run_id=self.state.run_id, cwd=self.share,
                   env=dict(os.environ, PATH=path), stdout=subprocess.PIPE)
        threading.Thread(target=_relay, args=(vm.proc, console), daemon=True).start()
        self.state.boots += 1
        self.state.booted, self.state.ready = now(), False
        self.state.save()
        return vm

    def _idle_over(self) -> bool:
        quiet = now() - max(last_used(self.state.release), self.state.started)
        return quiet > self.state.idle and not self.in_flight()

    def _owner_gone(self) -> bool:
        return bool(self.owner) and not Path(f"/proc/{self.owner}").exists()

    def _watch(self, vm: Leashed) -> None:
        """Until the VM ends or must end; a command it was running learns why."""
        while True:
            code = vm.proc.poll()
            if code is not None:
                self._fail_in_flight(code)
                return
            if not self.state.ready and (self.share / "ready").exists():
                self.state.ready = True
                self.state.save()
            if self.restart:
                self.restart = False
                vm.stop()
                self._fail_in_flight(-signal.SIGKILL)
                return
            if self._idle_over() or self._owner_gone():
                self.stopping = True
            if self.stopping:
                return
            time.sleep(TICK)

    def _fail_in_flight(self, code: int) -> None:
        failed = self.in_flight()
        if failed:
            self.state.crashes += 1
        for request in failed:
            (request / CRASHED).write_text(str(code))

    def run(self) -> int:
        self._signals()
        path = lock_path(self.state.release)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                print(f"a warm VM for {self.state.release} is already running", flush=True)
                return 1
            try:
                shutil.rmtree(self.share, ignore_errors=True)
                self.share.mkdir(parents=True)
                touch_used(self.state.release)
                with open(console_path(self.state.release), "ab") as console:
                    while not self.stopping:
                        vm = self._boot(console)
                        try:
                            self._watch(vm)
                        finally:
                            vm.stop()
                return 0
            finally:
                state_path(self.state.release).unlink(missing_ok=True)
                shutil.rmtree(self.share, ignore_errors=True)
                console_path(self.state.release).unlink(missing_ok=True)
                path.unlink(missing_ok=True)
                log_path(self.state.release).unlink(missing_ok=True)


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


def _relay(proc: subprocess.Popen[bytes], console: IO[bytes]) -> None:
    assert proc.stdout is not None
    for line in iter(proc.stdout.readline, b""):
        console.write(line)
        console.flush()


if __name__ == "__main__":
    release_arg, vmlinuz_arg, idle_arg, owner_arg = sys.argv[1:5]
    sys.exit(Supervisor(release_arg, Path(vmlinuz_arg), float(idle_arg), int(owner_arg)).run())
