"""When a check past its bound counts as hung: a call into the module that does not
return, or far too long; a check only slowed by a busy machine goes on."""

from __future__ import annotations

from pilab.check.guest import HANG_GRACE, STALL_SECONDS, hung_reason

RMMOD = "python3 (pid 312): tasklet_kill <- bottomhalf_exit [bottomhalf] <- delete_module"
LONGEST = 300.0  # a 150 s check's bound on a slow machine


def test_a_check_only_slowed_by_the_machine_goes_on() -> None:
    """Past its 150 s bound, no call under way, nothing inside the module."""
    assert hung_reason(None, [], quiet=2.0, elapsed=170.0, longest=LONGEST) is None


def test_an_unload_waiting_on_a_long_bottom_half_is_given_its_time() -> None:
    """An exit waiting 16 s for two 8 s bottom halves: under way, not stuck."""
    call = ("unloading bottomhalf", 16.0)
    assert hung_reason(call, [RMMOD], quiet=16.0, elapsed=170.0, longest=LONGEST) is None


def test_an_unload_that_does_not_return_is_hung_and_named_with_its_stack() -> None:
    why = hung_reason(("unloading bottomhalf", STALL_SECONDS), [RMMOD], quiet=STALL_SECONDS,
                      elapsed=170.0, longest=LONGEST)
    assert why == f"hung: unloading bottomhalf did not return in {STALL_SECONDS:.0f}s: {RMMOD}"


def test_a_load_spinning_where_no_stack_shows_is_hung_all_the_same() -> None:
    """A task running (a loop in init) shows no stack: the call under way is enough."""
    why = hung_reason(("loading spin", STALL_SECONDS + 5), [], quiet=STALL_SECONDS + 5,
                      elapsed=170.0, longest=LONGEST)
    assert why == f"hung: loading spin did not return in {STALL_SECONDS + 5:.0f}s"


def test_another_call_into_the_module_that_does_not_return_is_hung() -> None:
    """No load or unload under way, but a task inside the module (a read that never
    wakes) and none returned for STALL_SECONDS."""
    reader = "python3 (pid 320): vinput_read [vinput] <- vfs_read <- ksys_read"
    why = hung_reason(None, [reader], quiet=STALL_SECONDS, elapsed=170.0, longest=LONGEST)
    assert why == f"hung: a call into the module never returned (after 170s): {reader}"
    assert hung_reason(None, [reader], quiet=STALL_SECONDS - 1, elapsed=170.0,
                       longest=LONGEST) is None


def test_a_check_past_its_slow_machine_bound_is_hung_whatever_it_waits_on() -> None:
    why = hung_reason(None, [], quiet=0.0, elapsed=LONGEST + HANG_GRACE, longest=LONGEST)
    assert why == f"hung: no result within {LONGEST + HANG_GRACE:.0f}s"
