import pytest

from pilab.errors import KernelUnhealthy
from pilab.kernel.klog import ModelLog, parse_record, problems


def test_parse_record() -> None:
    rec = parse_record("6,1234,5678901,-;intrpt: button 1 -> LED on\n")
    assert rec is not None
    assert (rec.seq, rec.usec, rec.level) == (1234, 5678901, 6)
    assert rec.text == "intrpt: button 1 -> LED on"
    assert rec.seconds == pytest.approx(5.678901)


def test_parse_continuation_and_escapes() -> None:
    rec = parse_record("4,7,10,c;a\\x20b\n SUBSYSTEM=gpio\n DEVICE=+gpio:x\n")
    assert rec is not None and rec.text == "a b" and rec.level == 4


@pytest.mark.parametrize("raw", ["", "garbage", "x,y,z;t", "6,1;too few"])
def test_parse_rejects_malformed(raw: str) -> None:
    assert parse_record(raw) is None


@pytest.mark.parametrize(
    "text",
    [
        "WARNING: CPU: 0 PID: 1 at kernel/irq/manage.c:1893 free_irq+0x1/0x2",
        "BUG: kernel NULL pointer dereference, address: 0000000000000000",
        "Oops: 0002 [#1] PREEMPT SMP NOPTI",
        "general protection fault, probably for non-canonical address",
        "refcount_t: underflow; use-after-free.",
        "list_add corruption. prev->next should be next",
        "list_del corruption, ffff888003 ->next is LIST_POISON1",
    ],
)
def test_health_gate_catches(text: str) -> None:
    assert problems([parse_record(f"4,1,1,-;{text}")]) == [text]  # type: ignore[list-item]


def test_health_gate_passes_ordinary_lines() -> None:
    log = ModelLog()
    log.printk("intrpt: led 4, buttons 17 18, irqs 30 31")
    log.printk("vgpio: vgpio: 54 lines at base 512, 3 wires")
    log.check_health()
    log.printk("WARNING: at somewhere")
    with pytest.raises(KernelUnhealthy, match="WARNING"):
        log.check_health()


def test_wait_for_counts_matches() -> None:
    log = ModelLog()
    for _ in range(3):
        log.printk("intrpt: button 1 -> LED on")
    assert len(log.wait_for("button 1", count=3, timeout=0)) == 3
    assert len(log.wait_for("button 2", timeout=0.05)) == 0
