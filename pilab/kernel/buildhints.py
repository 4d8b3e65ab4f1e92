"""Known kernel API breaks, as hints for a failed module build.

Each row: a pattern in the compiler's output, and what changed in which
release. Learnt from building the guide's examples and kmods/ on every
kernel pilab tests (6.1, 6.12 and Debian unstable's newest).
"""

from __future__ import annotations

import re

HINTS: tuple[tuple[str, str], ...] = (
    (r"gpio_(request|free)_array",
     "gpio_request_array()/gpio_free_array() were removed in Linux 6.10: request each "
     "line with gpio_request() and free it with gpio_free() (kmods/lab_pins.h does)"),
    (r"struct gpio\b|'struct gpio'",
     "struct gpio {gpio, flags, label} was removed in Linux 6.17: keep the numbers and "
     "labels in your own array"),
    (r"\bdel_timer(_sync)?\b",
     "del_timer()/del_timer_sync() were removed in Linux 6.17: use timer_delete() / "
     "timer_delete_sync() (there since 6.2)"),
    (r"\bfrom_timer\b",
     "from_timer() was renamed timer_container_of() in Linux 6.16"),
    (r"class_create",
     "class_create() takes only the name since Linux 6.4: drop the THIS_MODULE argument"),
    (r"implicit declaration of function '(gpio_request|gpio_free|gpio_to_desc|"
     r"gpio_direction_\w+|gpio_set_value|gpio_get_value|gpio_to_irq)'",
     "the legacy GPIO number API (<linux/gpio.h>) is behind CONFIG_GPIOLIB_LEGACY since "
     "Linux 6.17: the kernel's config must enable it, or move to gpiod_* descriptors"),
    (r"\bno_llseek\b", "no_llseek was removed in Linux 6.12: drop '.llseek = no_llseek'"),
    (r"\bstrlcpy\b", "strlcpy() was removed in Linux 6.8: use strscpy()"),
    (r"pahole: not found",
     "these headers build BTF for modules with pahole: apt-get install pahole "
     "(scripts/install does)"),
    (r"objtool.*(fopen failed|GLIBC_)",
     "objtool of newer headers needs /proc and a recent glibc: build in a chroot of their "
     "own suite, as --kernel newest does"),
)


def hints_for(output: str) -> list[str]:
    """The hints whose pattern occurs in *output* (compiler errors), in table order."""
    errors = "\n".join(line for line in output.splitlines()
                       if "error" in line.lower() or "not found" in line)
    return [hint for pattern, hint in HINTS if re.search(pattern, errors)]
