"""Hints for build failures that come from known kernel API changes."""

from __future__ import annotations

import re

# (what the compiler says, what changed) — what students meet with the guide's code.
API_BREAKS: tuple[tuple[str, str], ...] = (
    (r"gpio_request_array|gpio_free_array",
     "gpio_request_array() and gpio_free_array() were removed in Linux 6.10: request each "
     "line with gpio_request() (and free it with gpio_free()) in a loop"),
    (r"struct gpio\b|storage size of .* isn.t known",
     "struct gpio was removed in Linux 6.17: keep the line numbers and labels in your own "
     "array or struct"),
    (r"\bdel_timer(_sync)?\b",
     "del_timer() and del_timer_sync() became timer_delete() and timer_delete_sync() "
     "(Linux 6.15, the old names removed in 6.17); on unload use timer_shutdown_sync()"),
    (r"class_create",
     "class_create() lost its THIS_MODULE argument in Linux 6.4: class_create(\"name\")"),
    (r"gpio_request|gpio_to_irq|gpio_direction_output|gpio_set_value|gpio_free",
     "the number-based GPIO calls need CONFIG_GPIOLIB_LEGACY since Linux 6.17 and "
     "#include <linux/gpio.h>"),
    (r"from_timer",
     "from_timer() became timer_container_of() in Linux 6.16"),
)


def build_hint(output: str) -> str:
    """The hint for the first known API break the compiler's output shows, or ''."""
    errors = "\n".join(line for line in output.splitlines()
                       if "error" in line or "undefined" in line)
    for pattern, hint in API_BREAKS:
        if re.search(pattern, errors):
            return hint
    return ""
