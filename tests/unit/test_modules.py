import errno
import os
from pathlib import Path

import pytest

from pilab.errors import ModuleError
from pilab.kernel.modules import LOAD_ERRORS, describe_load_error, format_params, insmod


def test_format_params() -> None:
    assert format_params({"led": 516, "buttons": [529, 530], "label": "vgpio"}) == [
        "led=516", "buttons=529,530", "label=vgpio"]


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOEXEC, "built for another kernel"),
        (errno.EKEYREJECTED, "Secure Boot"),
        (errno.EPERM, "lockdown"),
        (errno.EBUSY, "busy"),
        (errno.ENODEV, "does not exist"),
    ],
)
def test_common_refusals_in_plain_words(code: int, words: str) -> None:
    error = describe_load_error("intrpt", code)
    assert error.errno == code
    assert words in str(error) and errno.errorcode[code] in str(error)
    assert os.strerror(code) not in LOAD_ERRORS[code]


def test_unmapped_errno_still_explained() -> None:
    assert os.strerror(errno.ENOMEM) in str(describe_load_error("x", errno.ENOMEM))


def test_insmod_missing_file() -> None:
    with pytest.raises(ModuleError, match="pilab build"):
        insmod(Path("/nonexistent/intrpt.ko"))
