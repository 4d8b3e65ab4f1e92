"""Which tasks are inside a module's code, read from a /proc laid out as the kernel's."""

from __future__ import annotations

from pathlib import Path

from pilab.kernel.stuck import inside

RMMOD_STACK = """[<0>] tasklet_unlock_wait+0x8a/0xc0
[<0>] tasklet_kill+0x5d/0x80
[<0>] bottomhalf_exit+0x2c/0x40 [bottomhalf]
[<0>] __do_sys_delete_module+0x1a3/0x2b0
[<0>] do_syscall_64+0x58/0xc0
[<0>] entry_SYSCALL_64_after_hwframe+0x64/0xce
"""
IDLE_STACK = """[<0>] do_sys_poll+0x3c5/0x540
[<0>] __x64_sys_poll+0xa5/0x140
"""


def task(proc: Path, pid: int, tid: int, comm: str, stack: str) -> None:
    directory = proc / str(pid) / "task" / str(tid)
    directory.mkdir(parents=True)
    (directory / "comm").write_text(comm + "\n")
    (directory / "stack").write_text(stack)


def test_a_task_in_the_modules_exit_is_named_with_its_calls(tmp_path: Path) -> None:
    task(tmp_path, 300, 300, "python3", IDLE_STACK)
    task(tmp_path, 300, 312, "python3", RMMOD_STACK)
    assert inside(["bottomhalf"], tmp_path) == [
        "python3 (pid 312): tasklet_unlock_wait <- tasklet_kill <- bottomhalf_exit "
        "[bottomhalf] <- __do_sys_delete_module <- do_syscall_64 <- "
        "entry_SYSCALL_64_after_hwframe"]


def test_other_modules_and_idle_tasks_are_not_stuck_in_this_one(tmp_path: Path) -> None:
    task(tmp_path, 300, 312, "python3", RMMOD_STACK)
    task(tmp_path, 301, 301, "udevd", IDLE_STACK)
    assert inside(["intrpt"], tmp_path) == []
    assert inside(["bh-thread"], tmp_path) == []


def test_a_task_gone_or_a_kernel_without_stacks_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "400" / "task" / "400").mkdir(parents=True)  # no stack file: not shown
    task(tmp_path, 300, 312, "python3", RMMOD_STACK)
    assert len(inside(["bottomhalf"], tmp_path)) == 1
