"""``pilab check`` and ``pilab grade``: build anyone's module and judge it by what the kernel did.

A submission's own build files never run: pilab writes the Kbuild. Checks
run in the VM (or on the Pi), one after another, each followed by the
kernel-health gate; a check that crashes or hangs the kernel fails alone,
and the VM is started again for the rest.
"""
