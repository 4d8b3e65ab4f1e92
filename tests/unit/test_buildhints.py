"""Build hints: a known API break in the compiler's errors names its fix."""

from __future__ import annotations

import pytest

from pilab.errors import BuildError
from pilab.kernel.build import _check
from pilab.kernel.buildhints import hints_for

CASES = [
    ("error: implicit declaration of function 'gpio_request_array'", "6.10"),
    ("error: array type has incomplete element type 'struct gpio'", "6.17"),
    ("error: implicit declaration of function 'del_timer_sync'", "timer_delete"),
    ("error: too many arguments to function 'class_create'", "6.4"),
    ("error: implicit declaration of function 'gpio_request'", "CONFIG_GPIOLIB_LEGACY"),
    ("error: 'no_llseek' undeclared here (not in a function)", "6.12"),
    ("error: implicit declaration of function 'from_timer'", "timer_container_of"),
]


@pytest.mark.parametrize(("output", "mentions"), CASES)
def test_a_known_break_gets_its_hint(output: str, mentions: str) -> None:
    hints = hints_for(f"x.c:1:2: {output}\n")
    assert any(mentions in hint for hint in hints), hints


def test_warnings_alone_give_no_hint() -> None:
    assert hints_for("x.c:3:4: warning: 'del_timer' is deprecated\n") == []


def test_an_unknown_error_gives_no_hint() -> None:
    assert hints_for("x.c:1:2: error: expected ';' before '}' token\n") == []


def test_build_error_carries_the_hint() -> None:
    out = "intrpt.c:9:9: error: implicit declaration of function 'gpio_request_array'\n"
    with pytest.raises(BuildError) as caught:
        _check("9.9.9-test", 2, out)
    assert "gpio_request_array" in str(caught.value)
    assert "hint: " in str(caught.value) and "6.10" in str(caught.value.hint)


def test_missing_pahole_is_named() -> None:
    out = "  BTF [M] x.ko\n/bin/sh: 1: pahole: not found\nmake[2]: *** [x.ko] Error 127\n"
    assert any("apt-get install pahole" in hint for hint in hints_for(out))
