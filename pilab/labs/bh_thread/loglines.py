"""bh_thread.ko's kernel-log lines (kmods/bh_thread.c prints them with pr_info)."""

from pilab.labs.common.loglines import LogLine, loaded_line, unloaded_line

LOADED = loaded_line("bh_thread")
TOP = LogLine("bh_thread", "top half: button {button}", {"button": r"\d+"})
START = LogLine("bh_thread", "bottom half start: button {button} in {comm} -> LED {led}",
                {"button": r"\d+", "led": "on|off"})
END = LogLine("bh_thread", "bottom half end")
UNLOADED = unloaded_line("bh_thread")
