"""``pilab vm``: up, status and down are its subcommands; anything else runs in the VM.

The parser only (and _cmd_vm's dispatch with the VM faked): nothing boots.
"""

from __future__ import annotations

import argparse
import sys

import pytest

from pilab.cli import EXIT_USAGE, _parser, main
from pilab.guest import NOT_FOUND
from pilab.vmhost.warmcli import DEFAULT_IDLE


def _parse(*words: str) -> argparse.Namespace:
    return _parser().parse_args(["vm", *words])


def _usage_exit(capsys: pytest.CaptureFixture[str], *words: str) -> str:
    """What argparse says when it refuses ``pilab vm WORDS`` (exit code 2)."""
    with pytest.raises(SystemExit) as exc:
        main(["vm", *words])
    assert exc.value.code == EXIT_USAGE
    return capsys.readouterr().err


def test_up_with_every_option() -> None:
    args = _parse("up", "--idle", "30m", "--owner", "4242", "--kernel", "6.12")
    assert (args.vm_command, args.idle, args.owner, args.kernel) == ("up", 1800.0, 4242, "6.12")


def test_up_defaults() -> None:
    args = _parse("up")
    assert (args.vm_command, args.idle, args.owner, args.kernel) == (
        "up", DEFAULT_IDLE, 0, "default")


def test_status_and_down() -> None:
    assert (_parse("status").vm_command, _parse("status").kernel) == ("status", "default")
    down = _parse("down", "--kernel", "newest")
    assert (down.vm_command, down.kernel) == ("down", "newest")


def test_kernel_before_the_subcommand_is_kept() -> None:
    """The subcommand's --kernel has no default that would overwrite pilab vm's."""
    args = _parse("--kernel", "6.12", "down")
    assert (args.vm_command, args.kernel) == ("down", "6.12")


@pytest.mark.parametrize(("words", "argv"), [
    (["--", "dmesg"], ["dmesg"]),
    (["--", "dmesg", "--level", "err"], ["dmesg", "--level", "err"]),
    (["dmesg"], ["dmesg"]),
    (["--", "up"], ["up"]),  # after --, a word is the command, never a subcommand
    (["--", "--", "x"], ["--", "x"]),  # only the first -- is pilab's
])
def test_a_command_to_run(words: list[str], argv: list[str]) -> None:
    args = _parse(*words)
    assert (args.vm_command, args.argv, args.model, args.kernel) == (None, argv, None, "default")


def test_a_command_on_an_emulated_pi() -> None:
    args = _parse("--model", "pi5", "--kernel", "6.12", "--", "pilab", "doctor", "--json")
    assert (args.vm_command, args.argv, args.model, args.kernel) == (
        None, ["pilab", "doctor", "--json"], "pi5", "6.12")


@pytest.mark.parametrize("words", [[], ["--"]])
def test_nothing_to_do_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                        words: list[str]) -> None:
    assert "say what to run (pilab vm -- dmesg), or up, status or down" in _usage_exit(
        capsys, *words)


@pytest.mark.parametrize(("words", "said"), [
    (["up", "--idle", "0"], "pilab vm up: error: argument --idle: '0' is not a duration"),
    (["up", "--idle", "soon"], "'soon' is not a duration"),
    (["down", "--idle", "3m"], "pilab vm down: error: unrecognized arguments: --idle 3m"),
    (["--model", "pi5", "up"], "--model is for pilab vm -- COMMAND, not for vm up"),
    (["up", "--model", "pi5"], "pilab vm up: error: unrecognized arguments: --model pi5"),
    (["status", "--kernel", "6"], "pilab vm status: error: argument --kernel"),
])
def test_wrong_subcommand_options_are_usage_errors(capsys: pytest.CaptureFixture[str],
                                                   words: list[str], said: str) -> None:
    assert said in _usage_exit(capsys, *words)


def test_help_names_both_forms_and_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["vm", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "pilab vm [-h] [--kernel K] [--model M] -- COMMAND" in out
    for word in ("up", "status", "down"):
        assert f"\n    {word} " in out
    with pytest.raises(SystemExit):
        main(["vm", "up", "--help"])
    assert "usage: pilab vm up [-h] [--idle TIME] [--owner PID] [--kernel K]" in (
        capsys.readouterr().out)


def test_dispatch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Subcommands go to warmcli, commands to a VM (both faked here)."""
    import pilab.vmhost.session
    import pilab.vmhost.warmcli

    calls: list[tuple[str, object, object]] = []
    monkeypatch.setattr(pilab.vmhost.warmcli, "warm_command",
                        lambda args: calls.append(("warm", args.vm_command, args.kernel)) or 0)
    monkeypatch.setattr(pilab.vmhost.session, "exec_in_vm",
                        lambda argv, model, kernel: calls.append(("exec", argv, kernel)) or 0)
    assert main(["vm", "--kernel", "6.12", "down"]) == 0
    assert main(["vm", "--", "sh", "-c", "true"]) == 0
    assert main(["vm", "--model", "pi5", "--", "sh"]) == 0
    assert calls == [
        ("warm", "down", "6.12"),
        ("exec", ["sh", "-c", "true"], "default"),
        ("exec", [sys.executable, "-m", "pilab", "_emulate", "pi5", "--", "sh"], "default"),
    ]
    assert main(["vm", "--", "no-such-command-here"]) == NOT_FOUND


def test_a_missing_command_is_one_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Found out on the host before a boot, it reads as the guest's own error does."""
    assert main(["vm", "--", "no-such-command-here"]) == NOT_FOUND
    err = capsys.readouterr().err
    assert err.startswith("pilab: error: no-such-command-here: command not found in the VM")
    assert "Traceback" not in err
