"""intrpt.ko's kernel-log lines (kmods/intrpt.c prints them with pr_info)."""

from pilab.labs.common.loglines import LogLine, loaded_line, unloaded_line

LOADED = loaded_line("intrpt")
PRESS = LogLine("intrpt", "button {button} -> LED {led}", {"button": r"\d+", "led": "on|off"})
UNLOADED = unloaded_line("intrpt")
