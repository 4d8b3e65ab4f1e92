"""``pilab grade --results DIR [--resume]``: each submission's result kept as soon as known.

One JSON file per submission, written atomically (a synced temporary file, then a
rename): a grade stopped any way, SIGKILL included, leaves every finished submission
whole in DIR. With ``--resume`` a submission is not graded again when its file holds a
grade made under the same key: the lab, the kernel release, the board, the model, the
repeat count, pilab's version and a sha256 over the submission's source files. A
changed file, another kernel or a result that was no grade (the VM failed) is graded
again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TextIO

from pilab import __version__
from pilab.check.formats import write_atomically
from pilab.check.host import CheckRun, Deadline, grade_many
from pilab.check.repeat import merge
from pilab.check.submission import BUILD_FILES, SOURCE_SUFFIXES
from pilab.errors import ConfigError, PilabError
from pilab.output import to_json

READ_CHUNK = 1 << 16


@dataclass(frozen=True)
class GradeKey:
    """What a grade was made of: a stored result under another key is stale."""

    lab: str
    kernel: str  # the release that ran, not the --kernel choice
    board: str
    model: str | None
    repeat: int
    pilab: str
    submission: str  # the directory, resolved
    sources: str  # sha256 of its source (and build) files: source_digest()


def source_digest(directory: Path) -> str:
    """sha256 over the files pilab reads from a submission directory: each .c/.h file and
    build file (listed as ignored), by name, size and content, in name order."""
    digest = hashlib.sha256()
    for path in sorted(directory.iterdir()):
        if not path.is_file() or (path.suffix not in SOURCE_SUFFIXES
                                  and path.name not in BUILD_FILES):
            continue
        digest.update(os.fsencode(path.name) + b"\0" + str(path.stat().st_size).encode() + b"\0")
        with path.open("rb") as f:
            while chunk := f.read(READ_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def key_for(lab: str, directory: Path, kernel: str, board: str, model: str | None,
            repeat: int) -> GradeKey:
    return GradeKey(lab, kernel, board, model, repeat, __version__,
                    str(directory.resolve()), source_digest(directory))


class Gradebook:
    """The results directory: a file per submission, named after its directory."""

    def __init__(self, directory: Path) -> None:
        if directory.exists() and not directory.is_dir():
            raise ConfigError(f"--results {directory}: not a directory")
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory

    def path(self, key: GradeKey) -> Path:
        """``<name>-<12 hex digits of the path's sha256>.json``: two submissions both called
        alice (in different folders) get a file each."""
        where = Path(key.submission)
        label = re.sub(r"[^A-Za-z0-9_.-]", "_", where.name)[:40] or "submission"
        tag = hashlib.sha256(key.submission.encode()).hexdigest()[:12]
        return self.directory / f"{label}-{tag}.json"

    def save(self, key: GradeKey, run: CheckRun) -> None:
        why = run.why_not_graded
        write_atomically(self.path(key), to_json({
            "key": asdict(key), "graded": not why, "not_graded": why or None,
            "run": run.to_dict()}))

    def graded(self, key: GradeKey) -> CheckRun | None:
        """The grade stored under *key*; None if there is none, or it is stale, not a
        grade, or unreadable (it is then graded again)."""
        try:
            stored = json.loads(self.path(key).read_text())
            if stored["key"] != asdict(key) or not stored["graded"]:
                return None
            run = CheckRun.from_dict(stored["run"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return None if run.why_not_graded else run


@dataclass
class GradeRequest:
    """What ``pilab grade`` was asked: the lab, one directory per submission, and how."""

    lab: str
    dirs: list[Path]
    board: str = "vm"
    model: str | None = None
    kernel: str = "default"  # the --kernel choice
    deadline: Deadline | None = None
    repeat: int = 1
    results: Path | None = None
    resume: bool = False


def grade(request: GradeRequest, out: TextIO = sys.stderr) -> list[CheckRun]:
    """Grade every submission (each *repeat* times), keeping each result as soon as it is
    known; with --resume, not those already graded. A submission pilab could not grade
    (the VM or its tools failed) says why: it is never given a zero."""
    book, keys = None, {}
    if request.results is not None:
        from pilab.vmhost.kernels import resolve

        book, release = Gradebook(request.results), resolve(request.kernel).release
        keys = {i: key_for(request.lab, d, release, request.board, request.model,
                           request.repeat) for i, d in enumerate(request.dirs)}
    done: dict[int, CheckRun] = {}
    if request.resume:
        assert book is not None, "--resume takes --results"
        for i, key in keys.items():
            stored = book.graded(key)
            if stored is not None:
                done[i] = stored
                print(f"pilab: {request.dirs[i]}: graded before, kept (--resume)", file=out)

    def keep(i: int, run: CheckRun) -> None:
        done[i] = run
        if book is not None:
            book.save(keys[i], run)

    todo = [i for i in range(len(request.dirs)) if i not in done]
    if todo:
        _grade_todo(request, todo, keep, out)
    return [done[i] for i in range(len(request.dirs))]


def _grade_todo(request: GradeRequest, todo: list[int],
                keep: Callable[[int, CheckRun], None], out: TextIO) -> None:
    """Grade the submissions *todo* (indexes into request.dirs); *keep* each as it ends."""
    latest: list[CheckRun] = []
    kept: set[int] = set()
    repeat = request.repeat

    def groups(runs: list[CheckRun]) -> list[tuple[int, list[CheckRun]]]:
        return [(i, runs[n * repeat:(n + 1) * repeat]) for n, i in enumerate(todo)]

    def progress(runs: list[CheckRun]) -> None:
        latest[:] = runs
        for i, group in groups(runs):
            if i not in kept and group and all(run.finished for run in group):
                kept.add(i)
                keep(i, merge(group))

    items: list[tuple[str, list[Path] | None]] = [(request.lab, [request.dirs[i]])
                                                  for i in todo]
    try:
        progress(grade_many(items, request.board, request.model, out, request.kernel,
                            request.deadline, repeat=repeat, progress=progress))
    except ConfigError:
        raise
    except PilabError as exc:  # the VM or a tool failed: what is not kept is not graded
        print(f"pilab: error: {exc}", file=out)
        runs = dict(groups(latest))
        for i in todo:
            if i not in kept:
                ran = merge(runs[i]) if runs.get(i) else CheckRun(
                    request.lab, [str(request.dirs[i])], request.kernel, request.board)
                keep(i, replace(ran, not_graded=f"pilab could not finish: {exc}"))
