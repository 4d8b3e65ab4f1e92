"""The kernels the suite tests on every run, and how each is skipped when it cannot be had.

default  the distribution's kernel (Debian 12: 6.1)
series   the newest other series the same archive offers (Debian 12: 6.12). On a
         Debian 13 host the default is 6.12 already and the archive has no
         other series: that leg is skipped, saying so.
newest   Debian unstable's newest kernel, built in a debootstrap chroot; skipped
         with the reason where the chroot cannot be made (not root, no
         debootstrap, no Debian mirror in the apt sources).
"""

from __future__ import annotations

import pytest

from pilab.errors import PilabError
from pilab.vmhost.chroot import ChrootUnavailable
from pilab.vmhost.kernels import DEFAULT, NEWEST, VmKernel, other_series, resolve

SERIES = "series"
KERNELS = [DEFAULT, SERIES, NEWEST]


def choice_of(leg: str) -> str:
    """The --kernel value for a matrix leg; skips the series leg where there is none."""
    if leg != SERIES:
        return leg
    try:
        found = other_series()
    except PilabError as exc:
        pytest.fail(f"cannot list the archive's kernel series: {exc}")
    if not found:
        pytest.skip("the archive offers no kernel series besides the default one "
                    "(Debian 13's default is already 6.12)")
    return found[-1]


def kernel_or_skip(leg: str) -> VmKernel:
    """The kernel of *leg*, fetched and ready; the newest one skips when no chroot can be made."""
    try:
        return resolve(choice_of(leg))
    except ChrootUnavailable as exc:
        pytest.skip(f"no Debian unstable chroot here, so no newest kernel: {exc}")
