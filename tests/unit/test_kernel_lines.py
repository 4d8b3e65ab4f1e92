"""A run's VM output: the guest's lines through, the kernel's console kept for a failure."""

from __future__ import annotations

import io

from pilab.vmhost.session import KERNEL_KEPT, KERNEL_QUOTED, KernelLinesAside


def test_kernel_lines_are_kept_aside_and_the_rest_passes_whole() -> None:
    out = io.BytesIO()
    aside = KernelLinesAside(out)
    aside.write(b"Poking KASLR using RDRAND RDTSC...\n")
    aside.write(b"[    0.000000] BIOS-e820: [mem 0x0-0x9fbff] usable\n== intrpt on vm: GPIO")
    aside.write(b" button interrupts\n  [PASS] load the module (0.1s)\n")
    aside.write(b"[   1.500000] Kernel panic - not syncing: Attempted to kill init!\n")
    assert out.getvalue() == (b"== intrpt on vm: GPIO button interrupts\n"
                              b"  [PASS] load the module (0.1s)\n")
    assert list(aside.kernel) == [
        "Poking KASLR using RDRAND RDTSC...",
        "[    0.000000] BIOS-e820: [mem 0x0-0x9fbff] usable",
        "[   1.500000] Kernel panic - not syncing: Attempted to kill init!"]


def test_only_the_last_kernel_lines_are_kept() -> None:
    aside = KernelLinesAside(io.BytesIO())
    for n in range(KERNEL_KEPT + 5):
        aside.write(f"[{n:5d}.000000] line {n}\n".encode())
    assert len(aside.kernel) == KERNEL_KEPT and aside.kernel[-1].endswith(f"line {KERNEL_KEPT + 4}")
    assert aside.excerpt() == list(aside.kernel)[-KERNEL_QUOTED:]


def test_the_excerpt_starts_at_the_panic_not_at_the_register_dump() -> None:
    aside = KernelLinesAside(io.BytesIO())
    aside.write(b"[    6.1] sysrq: Trigger a crash\n[    6.2] Kernel panic - not syncing: sysrq\n")
    for n in range(40):
        aside.write(f"[    6.9] R{n:02d}: 0000\n".encode())
    quoted = aside.excerpt()
    assert quoted[0] == "[    6.2] Kernel panic - not syncing: sysrq"
    assert len(quoted) == KERNEL_QUOTED


def test_a_last_line_without_a_newline_comes_out_at_the_end() -> None:
    out = io.BytesIO()
    aside = KernelLinesAside(out)
    aside.write(b"first\nno newline")
    assert out.getvalue() == b"first\n"
    aside.finish()
    assert out.getvalue() == b"first\nno newline\n"


def test_a_crash_is_seen_in_the_oom_killer_and_a_panic_but_not_in_a_boot() -> None:
    booted = KernelLinesAside(io.BytesIO())
    booted.write(b"[    0.1] Linux version 6.1\n[    2.0] reboot: Power down\n")
    assert not booted.crashed()
    for words in (b"Out of memory: Killed process 312 (python3)",
                  b"Kernel panic - not syncing: Fatal exception",
                  b"BUG: kernel NULL pointer dereference, address: 0000000000000000"):
        crashed = KernelLinesAside(io.BytesIO())
        crashed.write(b"[    0.1] Linux version 6.1\n[    9.9] " + words + b"\n")
        assert crashed.crashed(), words
        assert crashed.excerpt()[0].endswith(words.decode())


def test_an_early_exception_is_a_crash() -> None:
    """A kernel that faults before its console is up (a cut command line did) says only
    this, from early printk, and then idles: it is the report's first line."""
    aside = KernelLinesAside(io.BytesIO())
    aside.write(b"Poking KASLR using RDRAND RDTSC...\n")
    aside.write(b"PANIC: early exception 0x06 IP 10:ffffffff81a1e1db error 0 cr2 0xffff888\n")
    assert aside.crashed()
    assert aside.excerpt()[0].startswith("PANIC: early exception 0x06")
