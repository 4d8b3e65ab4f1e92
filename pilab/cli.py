"""The pilab command line."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilab import __version__
from pilab.autograder import PLATFORMS
from pilab.boards import BOARDS, board_name, refuse_model_on_a_pi
from pilab.check.formats import FORMAT_HELP, FORMATS
from pilab.errors import ConfigError, PilabError
from pilab.guest import NOT_FOUND, cannot_run, command_missing, in_guest
from pilab.labs import LABS, entry, expand, lab_named
from pilab.output import render_json, render_table, to_json, write_junit
from pilab.pimodels import PI_MODELS
from pilab.signals import exit_code, signal_of, stop_on_signals
from pilab.steps import PASSED, LabResult

if TYPE_CHECKING:
    from pilab.boards import Board
    from pilab.check.host import CheckRun, Deadline

# Exit codes: every lab passed; a lab failed; the command line was wrong;
# pilab could not run (a missing dependency, a failed build or boot).
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANNOT_RUN = 0, 1, 2, 3
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE  # what a shell reports for a pipe whose reader left
MODEL_HELP = "vm: the Pi to emulate (its device tree and GPIO numbering); mock: its pinout"
STARTED = time.time()  # pilab's start, as --deadline counts
VM_USAGE = ("%(prog)s [-h] [--kernel K] [--model M] -- COMMAND [ARG ...]\n"
            "       %(prog)s {up,status,down} [-h] [--kernel K] ...")
VM_NEEDS = "say what to run (pilab vm -- dmesg), or up, status or down"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pilab", description=__doc__)
    parser.add_argument("--version", action="version", version=f"pilab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    kernel, any_board, kernel_board, model = _shared_options()
    deadline = argparse.ArgumentParser(add_help=False)
    deadline.add_argument("--deadline", type=_seconds, metavar="SECONDS",
                          help="start no check that could end later than SECONDS after pilab "
                          "started; those are reported as not run, with why")

    doctor = sub.add_parser("doctor", help="what is present, what is missing, and how to get it")
    doctor.add_argument("--root", type=Path,
                        help="look at a copied /proc and /sys tree instead (for testing)")
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON")
    list_ = sub.add_parser("list", help="the labs")
    list_.add_argument("--json", action="store_true", help="print the labs as JSON")
    build = sub.add_parser("build", parents=[kernel],
                           help="build the modules for a kernel (default: the vm's)")
    build.add_argument("--release", help="kernel release (default: vm kernel, or running on a Pi)")
    build.add_argument("--w1", action="store_true", help="build with W=1 (extra warnings)")

    run = sub.add_parser("run", parents=[any_board, model, kernel],
                         help="run labs and report PASS/FAIL per step")
    run.add_argument("labs", nargs="+", metavar="LAB", help="lab names, or 'all'")
    run.add_argument("--json", action="store_true", help="print results as JSON")
    run.add_argument("--junit-xml", type=Path, metavar="FILE",
                     help="also write the results as JUnit XML (a lab is a testsuite)")
    run.add_argument("--report", type=Path, metavar="DIR", help="also write an HTML report with "
                     "each press's timeline, a VCD of the GPIO lines and a Perfetto trace")
    run.add_argument("--manual", action="store_true",
                     help="you press the real buttons when asked (GPIO labs)")

    guest = sub.add_parser("_guest", help=argparse.SUPPRESS)
    guest.add_argument("labs", nargs="+")
    guest.add_argument("--model")
    guest.add_argument("--json-out", required=True, type=Path)
    guest.add_argument("--manual", action="store_true")

    emulate = sub.add_parser("_emulate", help=argparse.SUPPRESS)
    emulate.add_argument("model")
    emulate.add_argument("argv", nargs=argparse.REMAINDER)

    check = sub.add_parser("check", parents=[kernel_board, model, kernel, deadline],
                           help="build anyone's module for a lab and check it")
    check.add_argument("lab", metavar="LAB")
    check.add_argument("sources", nargs="*", type=Path, metavar="SOURCE",
                       help=".c/.h files or a directory (default: pilab's own module)")
    check.add_argument("--format", choices=FORMATS, default="text", help=FORMAT_HELP)
    check.add_argument("--json", dest="format", action="store_const", const="json",
                       help="print one JSON object (--format json)")
    check.add_argument("--output", type=Path, metavar="FILE",
                       help="write the --format there, not on stdout, again after every "
                       "check (gradescope and prairielearn: their results.json where that "
                       "directory exists)")
    check.add_argument("--weights", type=Path, metavar="FILE", help="a TOML file of "
                       '"check name" = points (default: a point per check)')
    check.add_argument("--junit-xml", type=Path, metavar="FILE", help="also write JUnit XML")
    check.add_argument("--report", type=Path, metavar="DIR", help="also write the HTML report "
                       "(timelines, VCD, Perfetto trace) of the lab run the checks made")

    grade = sub.add_parser("grade", parents=[kernel_board, model, kernel, deadline],
                           help="check many submissions of a lab: a table of scores")
    grade.add_argument("lab", metavar="LAB")
    grade.add_argument("dirs", nargs="+", type=Path, metavar="DIR", help="one per submission")
    grade.add_argument("--csv", type=Path, metavar="FILE", help="also write the table as CSV")
    grade.add_argument("--json", action="store_true",
                       help="print a JSON list, pilab check's object per submission")
    grade.add_argument("--junit-xml", type=Path, metavar="FILE", help="also write JUnit XML")
    grade.add_argument("--results", type=Path, metavar="DIR",
                       help="write each submission's result there (a JSON file each) as soon "
                       "as it is known: a grade stopped midway loses no finished submission")
    grade.add_argument("--resume", action="store_true",
                       help="with --results: skip the submissions already graded there with "
                       "the same sources, lab, kernel, board, model, --repeat and pilab")
    grade.add_argument("--repeat", type=_count, default=1, metavar="N",
                       help="grade each submission N times, each on a fresh load; a check "
                       "whose verdict differs between them is 'unstable' and scores nothing")

    check_guest = sub.add_parser("_check", help=argparse.SUPPRESS)
    check_guest.add_argument("jobs", type=Path)
    check_guest.add_argument("--json-out", required=True, type=Path)

    wiring = sub.add_parser("wiring", help="show a lab's jumper wiring, or test it")
    wiring_sub = wiring.add_subparsers(dest="wiring_command", required=True)
    show = wiring_sub.add_parser("show", help="the 40-pin header as ASCII, and an SVG")
    show.add_argument("lab")
    show.add_argument("--svg", type=Path, help="where to write the SVG (default LAB-wiring.svg)")
    check = wiring_sub.add_parser("check", parents=[any_board, model, kernel],
                                  help="continuity test of every jumper")
    check.add_argument("lab")
    check.add_argument("--json", action="store_true", help="print the result as JSON")

    lab = sub.add_parser("lab", help="start your own module for a lab")
    lab_new = lab.add_subparsers(dest="lab_command", required=True).add_parser(
        "new", help="write the lab's README, Kbuild and a skeleton with TODOs into DIR")
    lab_new.add_argument("lab", choices=LABS)
    lab_new.add_argument("dir", type=Path)

    vkbd = sub.add_parser("vkbd", help="the virtual keyboard (needs a real kernel)")
    vkbd_sub = vkbd.add_subparsers(dest="vkbd_command", required=True)
    type_ = vkbd_sub.add_parser("type", parents=[kernel_board, kernel],
                                help="type TEXT on a vkbd and show what evdev saw")
    type_.add_argument("text", metavar="TEXT", help="printable ASCII; \\n and \\t as escapes")

    bench = sub.add_parser("bench", parents=[kernel_board, kernel],
                           help="benchmarks (figures, not a test)")
    bench.add_argument("what", choices=("vkbd", "vm", "grade"),
                       help="vkbd: /dev/vinputN against UInput; vm: boot and run times; "
                       "grade: a check and a grade at full speed and in half a CPU and "
                       "768 MB (root: cgroups)")
    bench.add_argument("-n", "--events", type=int, default=None, help="vkbd: key events "
                       "each way (default 20000); grade: submissions (default 10)")

    autograder = sub.add_parser("autograder", parents=[kernel],
                                help="write what a teacher uploads to a grading platform")
    autograder.add_argument("platform", choices=PLATFORMS, metavar="PLATFORM",
                            help=f"one of: {', '.join(PLATFORMS)}")
    autograder.add_argument("lab", choices=LABS, metavar="LAB")
    autograder.add_argument("-o", "--output", type=Path, required=True, metavar="DIR",
                            help="an empty (or new) directory")
    autograder.add_argument("--timeout", type=_seconds, default=600.0, metavar="SECONDS",
                            help="the platform's timeout for one submission (default 600): "
                            "checks are not started when they could end later")
    autograder.add_argument("--weights", type=Path, metavar="FILE",
                            help="points per check, as pilab check --weights")
    autograder.add_argument("--subdir", default=".", metavar="PATH", help="classroom: where "
                            "in the student's repository the sources are (default: its root)")
    autograder.add_argument("--image", default="pilab-grader", help="prairielearn: the image "
                            "name info.json gives (you build and push it)")

    from pilab.vmhost import warmcli

    vm = sub.add_parser("vm", parents=[kernel], usage=VM_USAGE, help="run a command as root in "
                        "the vm board's VM; vm up|status|down: the warm VM",
                        description="Run COMMAND as root in the vm board's VM (the warm VM "
                        "when one is up), or start, show or stop the warm VM.")
    vm.add_argument("--model", choices=sorted(PI_MODELS),
                    help="emulate this Pi in the guest (vgpio loaded as its GPIO block)")
    vm.register("action", "vm_words", _VmWords)
    vm.set_defaults(argv=[])
    warmcli.add_parsers(vm.add_subparsers(action="vm_words", dest="vm_command",
                                          title="the warm VM (docs/speed.md)",
                                          prog="pilab vm",
                                          metavar="{up,status,down}"))
    return parser


class _VmWords(argparse._SubParsersAction):  # type: ignore[type-arg]
    """What follows ``pilab vm``'s options: up, status or down (its subcommands), else
    the command to run in the VM, after ``--``.

    It takes the rest as REMAINDER, not as subcommands' PARSER: Python 3.12 and
    later drop a ``--`` before a PARSER positional, and then ``pilab vm -- up`` would
    start the warm VM instead of running ``up`` in the VM.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nargs = argparse.REMAINDER

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        words = list(values or [])
        if words[:1] and words[0] in self._name_parser_map:
            if namespace.model:
                raise argparse.ArgumentError(None, f"--model is for pilab vm -- COMMAND, "
                                             f"not for vm {words[0]}")
            # Parsed whole by the subcommand's parser: its own usage names what is wrong.
            sub = self._name_parser_map[words[0]].parse_args(words[1:])
            setattr(namespace, self.dest, words[0])
            for key, value in vars(sub).items():
                setattr(namespace, key, value)
            return
        command = words[1:] if words[:1] == ["--"] else words
        if not command:
            raise argparse.ArgumentError(None, VM_NEEDS)
        setattr(namespace, self.dest, None)
        namespace.argv = command


def _shared_options() -> tuple[argparse.ArgumentParser, ...]:
    """Parent parsers for the options commands share: --kernel; --board (any board, or
    the ones with a kernel); --model."""
    from pilab.vmhost.kernels import add_kernel_option

    kernel, any_board, kernel_board, model = (argparse.ArgumentParser(add_help=False)
                                              for _ in range(4))
    add_kernel_option(kernel)
    board_help = "default: pi on a Pi, vm elsewhere"
    any_board.add_argument("--board", choices=BOARDS, help=board_help)
    kernel_board.add_argument("--board", choices=("vm", "pi"), help=board_help)
    model.add_argument("--model", choices=sorted(PI_MODELS), help=MODEL_HELP)
    return kernel, any_board, kernel_board, model


def _seconds(value: str) -> float:
    """argparse type for --deadline: a positive number of seconds."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r}: say a number of seconds, e.g. 600")
    return seconds


def _count(value: str) -> int:
    """argparse type for --repeat: a whole number, 1 or more."""
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: say how many times, e.g. 3")
    return int(value)


def _deadline(args: argparse.Namespace) -> Deadline | None:
    from pilab.check.host import Deadline

    return Deadline(STARTED + args.deadline, args.deadline) if args.deadline else None


def _command(argv: list[str]) -> list[str]:
    """The words after ``--``."""
    return argv[1:] if argv[:1] == ["--"] else argv


def _cmd_list(args: argparse.Namespace) -> int:
    labs = [(name, lab_named(name)) for name in LABS]
    if args.json:
        print(to_json([{"name": name, "title": lab.title, "needs_kernel": lab.needs_kernel}
                       for name, lab in labs]))
    else:
        for name, lab in labs:
            print(f"{name:12} {lab.title}")
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    board = board_name(args.board)
    labs = expand(args.labs, board)
    refuse_model_on_a_pi(board, args.model)
    out = sys.stderr if args.json else sys.stdout
    if board == "vm" and not in_guest():
        from pilab.vmhost.session import run_labs_in_vm

        results = run_labs_in_vm(labs, args.model, args.manual, kernel=args.kernel)
    else:
        from pilab.runner import run_labs

        results = run_labs(labs, board, args.model, out=out, manual=args.manual)
    print(render_json(results) if args.json else "\n" + render_table(results))
    if args.junit_xml:
        write_junit(results, args.junit_xml)
    if args.report:
        from pilab.report.files import write_report

        print(f"report: {write_report(results, args.report)}", file=out)
    return EXIT_OK if all(r.status == PASSED for r in results) else EXIT_FAILED


def _cmd_guest(args: argparse.Namespace) -> int:
    """Inside the VM: run the labs, writing the results file after every lab."""
    from pilab.runner import run_labs

    def save(results: list[LabResult]) -> None:
        args.json_out.write_text(render_json(results))

    save([])
    run_labs(args.labs, "vm", args.model, manual=args.manual, each=save)
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    """Build and check one submission; ``Total: N/M`` is the last line (--format text).

    Exit 0: full marks; 1: marks lost; 3: a check could not run (the VM gave nothing, the
    --deadline came), as ``pilab grade`` says of a submission it could not grade.
    """
    from pilab.check import formats, report
    from pilab.check.host import check_lab, check_names
    from pilab.check.suite import score

    board = _check_board(args)
    names = check_names(args.lab)
    weights = formats.load_weights(args.weights, names) if args.weights else None
    output = args.output or formats.default_output(args.format)
    if output is not None and not output.parent.is_dir():
        raise ConfigError(f"--output {output}: {output.parent} is not a directory")

    def save(runs: list[CheckRun]) -> None:  # after every check: a kill leaves what was done
        if output is not None:
            formats.write_atomically(output, formats.render(runs[0], args.format, weights))

    run = check_lab(args.lab, args.sources or None, board, args.model, kernel=args.kernel,
                    deadline=_deadline(args), progress=save)
    if output is not None:
        formats.write_atomically(output, formats.render(run, args.format, weights))
        print(report.render_text(run))  # for the person reading the job's log
    else:
        print(formats.render(run, args.format, weights))
    if run.boots:
        from pilab.progress import say
        from pilab.vmhost.warmclient import warm_tip

        tip = warm_tip(run.kernel, args.kernel)
        if tip:
            say(tip)
    if args.junit_xml:
        args.junit_xml.write_text(report.junit_xml([run]) + "\n")
    if args.report:
        from pilab.report.files import write_report

        runs = [LabResult.from_dict(r.lab) for r in run.results if r.lab]
        print(f"report: {write_report(runs, args.report)}", file=sys.stderr)
    if args.format == "classroom":  # the command grader awards points by exit 0 alone
        return EXIT_OK if formats.full_marks(run, weights) else EXIT_FAILED
    if run.why_not_graded:
        return EXIT_CANNOT_RUN
    passed, total = score(run.results)
    return EXIT_OK if passed == total else EXIT_FAILED


def _cmd_grade(args: argparse.Namespace) -> int:
    """Check every submission in as few VM boots as crashes allow; a table of scores.

    Exit 0: all at full marks; 1: some lost marks; 3: some could not be graded.
    """
    from pilab.check import report
    from pilab.check.gradebook import GradeRequest, grade
    from pilab.check.suite import score

    for directory in args.dirs:
        if not directory.is_dir():
            raise ConfigError(f"{directory} is not a directory (one directory per submission)")
    if args.resume and args.results is None:
        raise ConfigError("--resume takes --results DIR: the results to resume from")
    entry(args.lab)  # an unknown lab is named before --results is made
    board = _check_board(args)
    runs = grade(GradeRequest(args.lab, args.dirs, board, args.model, args.kernel,
                              _deadline(args), args.repeat, args.results, args.resume))
    names = [d.name or str(d) for d in args.dirs]
    print(to_json([report.as_dict(run) for run in runs]) if args.json
          else report.grade_table(runs, names))
    if args.csv:
        args.csv.write_text(report.grade_csv(runs, names))
    if args.junit_xml:
        args.junit_xml.write_text(report.junit_xml(runs) + "\n")
    if any(run.why_not_graded for run in runs):
        return EXIT_CANNOT_RUN
    return EXIT_OK if all(score(r.results)[0] == score(r.results)[1] for r in runs) \
        else EXIT_FAILED


def _check_board(args: argparse.Namespace) -> str:
    board: str = board_name(args.board)
    refuse_model_on_a_pi(board, args.model)
    if board == "pi":
        raise ConfigError("pilab check runs on the vm board for now: the pi board runs "
                          "untrusted modules on the Pi itself", hint="use --board vm")
    return board


def _cmd_check_guest(args: argparse.Namespace) -> int:
    """Inside the VM: run the jobs the host wrote, saving progress after every check."""
    from pilab.check.guest import run_jobs_file

    with open("/proc/sys/kernel/printk", "w") as f:  # warnings and worse reach the console
        f.write("5")
    # An oops must end the VM (the host then fails the running check and boots again):
    # panic_on_oops=1 on the command line was not in force in the guest, and a module
    # that oopsed in init left its check to time out as "hung".
    with open("/proc/sys/kernel/panic_on_oops", "w") as f:
        f.write("1")
    run_jobs_file(args.jobs, args.json_out)
    return EXIT_OK


def _cmd_emulate(args: argparse.Namespace) -> int:
    """Inside the VM: load vgpio as *model*'s GPIO block, run a command, unload."""
    import subprocess

    from pilab.boards.kernel import KmodLoader
    from pilab.boards.vgpio import VgpioHeader
    from pilab.pimodels import pi_model

    loader = KmodLoader()
    VgpioHeader(pi_model(args.model), loader).load()
    argv = _command(args.argv)
    try:
        return subprocess.run(argv, check=False).returncode
    except (FileNotFoundError, PermissionError) as exc:
        print(cannot_run(argv[0], exc.strerror or str(exc), os.environ.get("PATH", "")),
              file=sys.stderr)
        return NOT_FOUND
    finally:
        loader.unload_all()


def _cmd_build(args: argparse.Namespace) -> int:
    from pilab.kernel.build import build

    extra = ("W=1",) if args.w1 else ()
    if args.release or board_name(None) == "pi":
        built = build(args.release, extra=extra)
    else:
        from pilab.vmhost.kernels import resolve

        built = build(extra=extra, kernel=resolve(args.kernel))
    print("\n".join(str(p) for p in built))
    return EXIT_OK


def _cmd_wiring(args: argparse.Namespace) -> int:
    from pilab.wiring import load_wiring
    from pilab.wiring.header import ascii_header, svg_header

    wiring = load_wiring(lab_named(args.lab).wiring_name or args.lab)
    if args.wiring_command == "show":
        print(ascii_header(wiring))
        svg = args.svg or Path(f"{args.lab}-wiring.svg")
        svg.write_text(svg_header(wiring))
        print(f"\nwrote {svg}")
        return EXIT_OK
    name = board_name(args.board)
    refuse_model_on_a_pi(name, args.model)
    code = reexec_in_vm(args.board, args.model, args.kernel)
    if code is not None:
        return code
    from pilab.boards import make_board
    from pilab.labs import model_of_module
    from pilab.wiring.continuity import check_wiring

    board = make_board(name, args.model, model_of_module)
    try:
        board.setup(wiring)
        faults = check_wiring(board, wiring)
    finally:
        board.teardown()
    if args.json:
        print(to_json({"lab": args.lab, "board": board.name, "emulated_by": board.emulated_by,
                       "ok": not faults, "faults": faults}))
    else:
        for fault in faults:
            print(f"NO CONTINUITY: {fault}")
        print("wiring OK" if not faults else f"{len(faults)} jumper(s) missing or misplaced")
    return EXIT_OK if not faults else EXIT_FAILED


@contextmanager
def _kernel_board(chosen: str | None) -> Iterator[Board]:
    """A board with a real kernel, set up; torn down (modules unloaded) whatever happens."""
    from pilab.boards import make_kernel_board
    from pilab.wiring import load_wiring

    board = make_kernel_board(board_name(chosen))
    try:
        board.setup(load_wiring("vkbd"))
        yield board
    finally:
        board.teardown()


def _cmd_autograder(args: argparse.Namespace) -> int:
    from pilab.autograder import Bundle, write_bundle
    from pilab.check.formats import load_weights
    from pilab.check.host import check_names

    if args.weights:
        load_weights(args.weights, check_names(args.lab))  # a bad file is said now
    bundle = Bundle(args.platform, args.lab, args.timeout, kernel=args.kernel,
                    weights=args.weights, subdir=args.subdir, image=args.image)
    for path in write_bundle(bundle, args.output):
        print(path)
    return EXIT_OK


def _cmd_lab(args: argparse.Namespace) -> int:
    from pilab.labs.skeleton import cmd_lab

    return cmd_lab(args)


def _cmd_vkbd(args: argparse.Namespace) -> int:
    from pilab.labs.vkbd.keymap import strokes
    from pilab.labs.vkbd.vinput import decode_text, loaded_keyboard

    text = args.text.replace("\\n", "\n").replace("\\t", "\t")
    strokes(text)  # an untypable character is named before any VM boots
    code = reexec_in_vm(args.board, kernel=args.kernel)
    if code is not None:
        return code
    with _kernel_board(args.board) as board, loaded_keyboard(board) as keyboard:
        events = keyboard.type_text(text)
        events += keyboard.events(timeout=0.05)
        back = decode_text(events)
        print(f"typed on {keyboard.node}: {text!r}")
        print(f"read back from {os.fsdecode(keyboard.device.path)}: {back!r} "
              f"({len(events)} events)")
    same = back == text
    print("the same text came back" if same else "MISMATCH: evdev gave other text")
    return EXIT_OK if same else EXIT_FAILED


def _cmd_bench(args: argparse.Namespace) -> int:
    if args.what == "vm":
        from pilab.vmhost.bench import bench_vm

        return bench_vm(args.kernel)
    if args.what == "grade":
        from pilab.check.bench import bench_grade

        if args.events is not None and args.events < 1:
            raise ConfigError("-n must be at least 1")
        return bench_grade(args.events or 10, args.kernel)
    args.events = 20000 if args.events is None else args.events
    if args.events < 2:
        raise ConfigError("-n must be at least 2")
    code = reexec_in_vm(args.board, kernel=args.kernel)
    if code is not None:
        return code
    from pilab.labs.vkbd.bench import bench_uinput, bench_vinput, report
    from pilab.labs.vkbd.vinput import loaded_keyboard

    print(f"vkbd bench: {args.events} key events each way (a benchmark, not a test)")
    with _kernel_board(args.board) as board:
        with loaded_keyboard(board) as keyboard:
            results = [bench_vinput(keyboard, args.events)]
        try:
            results.append(bench_uinput(args.events))
        except PilabError as exc:
            print(f"UInput not measured: {exc}")
    print(report(results))
    return EXIT_OK


def _cmd_vm(args: argparse.Namespace) -> int:
    from pilab.vmhost.session import exec_in_vm

    if args.vm_command:
        from pilab.vmhost.warmcli import warm_command

        return warm_command(args)
    argv = args.argv
    if not argv:  # where argparse does not call _VmWords for nothing at all
        raise ConfigError(f"pilab vm: {VM_NEEDS}")
    missing = command_missing(argv[0])
    if missing:  # the guest shares this machine's files: no boot to say so
        print(missing, file=sys.stderr)
        return NOT_FOUND
    if args.model:
        argv = [sys.executable, "-m", "pilab", "_emulate", args.model, "--", *argv]
    return exec_in_vm(argv, model=args.model, kernel=args.kernel)


def reexec_in_vm(board: str | None, model: str | None = None,
                 kernel: str = "default") -> int | None:
    """On the host, run this same pilab command inside the vm board's VM.

    Returns its exit code, or None when the command should run right here
    (another board, or already inside the guest).
    """
    if board_name(board) != "vm" or in_guest():
        return None
    from pilab.vmhost.session import exec_in_vm

    return exec_in_vm([sys.executable, "-m", "pilab", *sys.argv[1:]], model=model, kernel=kernel)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    stop_on_signals()  # SIGTERM and SIGHUP unwind like Ctrl-C: see pilab/signals.py
    try:
        if args.command == "doctor":
            from pilab.doctor import doctor

            code = doctor(args.root, as_json=args.json)
        else:
            handler = {"list": _cmd_list, "run": _cmd_run, "_guest": _cmd_guest,
                       "_emulate": _cmd_emulate, "build": _cmd_build, "vm": _cmd_vm,
                       "check": _cmd_check, "grade": _cmd_grade, "_check": _cmd_check_guest,
                       "wiring": _cmd_wiring, "vkbd": _cmd_vkbd, "bench": _cmd_bench,
                       "lab": _cmd_lab, "autograder": _cmd_autograder}
            code = handler[args.command](args)
        sys.stdout.flush()  # a reader that left is found here, not in Python's exit
        return code
    except ConfigError as exc:
        print(f"pilab: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except PilabError as exc:
        print(f"pilab: error: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except BrokenPipeError:  # `pilab ... | head`: the reader has all it wanted
        # Python flushes stdout again at exit: point it at /dev/null so that cannot fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt as exc:  # Ctrl-C, or Stopped by SIGTERM or SIGHUP
        stopped = "; ".join(getattr(exc, "__notes__", [])) or "everything loaded was unloaded"
        with suppress(OSError):  # after SIGHUP the terminal may be gone
            print(f"pilab: stopped by {signal_of(exc).name}: {stopped}", file=sys.stderr)
        return exit_code(exc)
