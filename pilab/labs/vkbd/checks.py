"""The vkbd lab's checks, for anyone's vinput + vkbd (``pilab check vkbd``)."""

from pilab.labs.common.checks import behaviour_check

CHECKS = [
    behaviour_check("export a vkbd through /sys/class/vinput/export; each write '+N'/'-N' "
                    "reports EV_KEY N and a SYN_REPORT; refuse anything else with -EINVAL"),
]
