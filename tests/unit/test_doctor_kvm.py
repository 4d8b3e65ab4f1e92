"""pilab doctor says whether VMs get KVM, and what a check costs without it."""

from __future__ import annotations

import pytest

from pilab.doctor import _kvm
from pilab.vmhost.vng import KVM_ENV


def test_without_kvm_the_cost_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KVM_ENV, "0")
    said = _kvm()
    assert said.startswith(f"TCG, QEMU's emulation ({KVM_ENV}=0)")
    assert "VM boot about" in said and "cold pilab check intrpt about" in said


def test_with_kvm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KVM_ENV, "1")
    assert _kvm().startswith("KVM")
