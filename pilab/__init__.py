"""pilab: Raspberry Pi GPIO and input-device labs, checked against the kernel."""

__version__ = "0.1.0"
