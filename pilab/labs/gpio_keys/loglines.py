"""gpio_keys.ko's kernel-log lines (kmods/gpio_keys.c prints them with pr_info)."""

from pilab.labs.common.loglines import LogLine

LOADED = LogLine("gpio_keys", "button {button} (irq {irq}), code {code}",
                 dict.fromkeys(("button", "irq", "code"), r"\d+"))
