"""bottomhalf.ko's kernel-log lines (kmods/bottomhalf.c prints them with pr_info)."""

from pilab.labs.common.loglines import LogLine, loaded_line, unloaded_line

LOADED = loaded_line("bottomhalf")
TOP = LogLine("bottomhalf", "top half: button {button} -> LED {led}",
              {"button": r"\d+", "led": "on|off"})
START = LogLine("bottomhalf", "bottom half start (softirq {softirq})", {"softirq": "[01]"})
END = LogLine("bottomhalf", "bottom half end")
UNLOADED = unloaded_line("bottomhalf")
