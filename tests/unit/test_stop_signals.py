"""pilab stopped by a signal: cleanup runs, one line says so, the exit code is 128 + N.

A mock-board lab in manual mode waits for a button press: a real pilab process,
no VM, to signal while a lab is under way.

The child starts with the stop signals at their defaults, as from a terminal: a
test run started in the background of a script (``nohup pytest &``) ignores
SIGINT, and a process started with SIGINT ignored rightly keeps ignoring it, as
Python and every Unix program do.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from pilab.errors import ConfigError
from pilab.signals import DEFERRED
from pilab.vmhost.launch import DEFAULT_TIMEOUT, TIMEOUT_ENV, vm_timeout


def _as_from_a_terminal() -> None:
    """In the child before exec: the stop signals at their defaults and unblocked,
    whatever the test run inherited."""
    for sig in DEFERRED:
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, DEFERRED)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT],
                         ids=lambda s: s.name)
def test_a_stop_signal_mid_lab_exits_128_plus_its_number(sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pilab", "run", "intrpt", "--board", "mock", "--manual"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_as_from_a_terminal)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if ">>> press button" in line:
                break
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 128 + sig
    assert err.strip().splitlines()[-1] == (
        f"pilab: stopped by {sig.name}: everything loaded was unloaded")
    assert "[FAIL] button 1 turns the LED on" in out  # the cut-short step is no pass


def test_the_vm_bound_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    assert vm_timeout() == DEFAULT_TIMEOUT
    monkeypatch.setenv(TIMEOUT_ENV, "42.5")
    assert vm_timeout() == 42.5


@pytest.mark.parametrize("raw", ["0", "-3", "soon", "inf", "nan"])
def test_a_vm_bound_that_is_no_duration_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                          raw: str) -> None:
    monkeypatch.setenv(TIMEOUT_ENV, raw)
    with pytest.raises(ConfigError, match=TIMEOUT_ENV):
        vm_timeout()
