import errno
import os

import pytest

from pilab.errors import ModuleError
from pilab.modules import LOAD_ERRORS, _errno_from, format_params, insmod


def test_format_params() -> None:
    assert format_params({"led": 516, "buttons": [529, 530], "label": "vgpio"}) == [
        "led=516", "buttons=529,530", "label=vgpio"]


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("insmod: ERROR: could not insert module intrpt.ko: Invalid module format", errno.ENOEXEC),
        ("insmod: ERROR: could not insert module x.ko: Key was rejected by service",
         errno.EKEYREJECTED),
        ("insmod: ERROR: could not insert module x.ko: Device or resource busy", errno.EBUSY),
        ("insmod: ERROR: could not insert module x.ko: No such device", errno.ENODEV),
        ("insmod: ERROR: could not insert module x.ko: Operation not permitted", errno.EPERM),
        ("something else entirely", None),
    ],
)
def test_errno_from_message(message: str, code: int | None) -> None:
    assert _errno_from(message) == code


def test_common_refusals_have_plain_words() -> None:
    for code in (errno.ENOEXEC, errno.EKEYREJECTED, errno.EPERM, errno.EBUSY, errno.ENODEV):
        assert code in LOAD_ERRORS and os.strerror(code) not in LOAD_ERRORS[code]
    assert "another kernel" in LOAD_ERRORS[errno.ENOEXEC]
    assert "Secure Boot" in LOAD_ERRORS[errno.EKEYREJECTED]


def test_insmod_missing_file(tmp_path: object) -> None:
    with pytest.raises(ModuleError, match="pilab build"):
        insmod(__import__("pathlib").Path("/nonexistent/intrpt.ko"))
