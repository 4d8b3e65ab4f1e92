"""Keep the guest's udev from loading drivers the labs never use.

virtme-ng's init starts udevd, triggers a coldplug of every device and waits for
udev to settle: it needs udev for the /dev/virtio-ports links its command's I/O
goes through, so udev stays. But the coldplug also loads, one by one over 9p, the
drivers of every emulated PC device (SATA, CD-ROM, watchdogs, SMBus, KVM, AES...):
under TCG on a busy host that was most of a boot (docs/speed.md). libkmod, which
udev loads drivers with, honours ``modprobe.blacklist=`` on the kernel command line,
so naming them keeps udev from loading them. The labs load what they need
themselves (vgpio, vinput, evdev, uinput: none of them is here), by path or by
modprobe, which the blacklist does not stop for a module asked for by name.
"""

from __future__ import annotations

UNUSED_DRIVERS = (
    # q35's disks and CD-ROM
    "ahci", "libahci", "sr_mod", "cdrom", "sg", "ata_piix", "ata_generic", "pata_acpi",
    # watchdogs, chipset, SMBus, speaker, mouse
    "i6300esb", "iTCO_wdt", "iTCO_vendor_support", "lpc_ich", "i2c_i801", "i2c_smbus",
    "pcspkr", "psmouse", "serio_raw", "joydev", "button", "tiny_power_button",
    "qemu_fw_cfg", "floppy", "parport_pc", "bochs", "drm", "virtio_rng", "rng_core",
    # the CPU's modalias: virtualisation, crypto, power and temperature drivers
    "kvm", "kvm_amd", "kvm_intel", "aesni_intel", "ghash_clmulni_intel", "crc32_pclmul",
    "crct10dif_pclmul", "polyval_clmulni", "sha1_ssse3", "sha256_ssse3", "sha512_ssse3",
    "cryptd", "powernow_k8", "amd64_edac", "edac_core", "k10temp", "ccp",
    "intel_rapl_msr", "intel_rapl_common", "intel_powerclamp", "coretemp",
)


def lean_kernel_args() -> list[str]:
    """Kernel command-line words that keep udev's coldplug to what pilab needs."""
    return [f"modprobe.blacklist={','.join(UNUSED_DRIVERS)}"]
