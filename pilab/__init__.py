"""pilab: Raspberry Pi GPIO and input-device labs, checked against the kernel."""

import os
import tempfile

__version__ = "0.1.0"

# lgpio creates its notification pipes in LG_WD, by default the current
# directory: read-only inside the VM, and littering a checkout on a Pi.
os.environ.setdefault("LG_WD", tempfile.gettempdir())
