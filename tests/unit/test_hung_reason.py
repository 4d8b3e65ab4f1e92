"""When a check past its bound counts as hung: stuck in the module, or far too long."""

from __future__ import annotations

from pilab.check.guest import HANG_GRACE, STALL_SECONDS, hung_reason

RMMOD = "python3 (pid 312): tasklet_kill <- bottomhalf_exit [bottomhalf] <- delete_module"


def test_a_check_only_slowed_by_the_machine_goes_on() -> None:
    """Past its 150 s bound, nothing inside the module: a busy machine, not a hang."""
    assert hung_reason([], quiet=2.0, elapsed=170.0, longest=300.0) is None


def test_a_module_call_that_just_began_is_given_its_time() -> None:
    """An exit waiting 10 s for its bottom half is inside the module, but an unload or
    load returned a moment ago: still moving."""
    assert hung_reason([RMMOD], quiet=STALL_SECONDS - 1, elapsed=170.0, longest=300.0) is None


def test_a_call_into_the_module_that_does_not_return_is_hung_and_named() -> None:
    why = hung_reason([RMMOD], quiet=STALL_SECONDS, elapsed=170.0, longest=300.0)
    assert why is not None and why.startswith("hung: a call into the module never returned")
    assert "bottomhalf_exit [bottomhalf]" in why and "after 170s" in why


def test_a_check_past_its_slow_machine_bound_is_hung_whatever_it_waits_on() -> None:
    why = hung_reason([], quiet=0.0, elapsed=300.0 + HANG_GRACE, longest=300.0)
    assert why == f"hung: no result within {300 + HANG_GRACE:.0f}s"
