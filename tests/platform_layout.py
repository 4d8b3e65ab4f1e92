"""A grading platform's directory layout (/autograder/..., /grade/...), for real.

A command runs in a mount namespace of its own (``unshare --mount``), whose root is
pivoted to a tmpfs that binds this machine's top-level directories, plus the
directories (or files) a test places at the platform's paths. The entry point under
test sees the real paths; the host's / is not touched, and everything goes with the
namespace.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# $1: the new root; $2: how many SOURCE TARGET pairs follow; then the working
# directory and the command. $SKIP: the top-level directories the pairs replace.
ENTER = r"""
set -eu
root=$1; pairs=$2; shift 2
mount -t tmpfs pilab-layout "$root"
for top in /*; do
	name=${top#/}
	case " $SKIP " in *" $name "*) continue ;; esac
	if [ -L "$top" ]; then cp -P "$top" "$root/$name"
	elif [ -d "$top" ]; then mkdir "$root/$name"; mount --rbind "$top" "$root/$name"
	fi
done
while [ "$pairs" -gt 0 ]; do
	if [ -d "$1" ]; then mkdir -p "$root$2"
	elif [ ! -e "$root$2" ]; then mkdir -p "$(dirname "$root$2")"; touch "$root$2"
	fi
	mount --bind "$1" "$root$2"; shift 2; pairs=$((pairs - 1))
done
cwd=$1; shift
# pivot_root, not chroot: a chrooted process may not make user namespaces (bubblewrap).
cd "$root"; mkdir .old; pivot_root . .old; umount -l /.old; rmdir /.old
cd "$cwd"
exec "$@"
"""


def run_in_layout(places: dict[str, Path], argv: list[str], cwd: str = "/",
                  env: dict[str, str] | None = None,
                  timeout: float = 3600) -> subprocess.CompletedProcess[str]:
    """Run *argv* with each of *places*' directories bound at its path (a key)."""
    pairs = [word for target, source in places.items()
             for word in (str(source.resolve()), target)]
    skip = " ".join(sorted({target.strip("/").split("/")[0] for target in places}))
    with_root = Path("/tmp") / f"pilab-layout-{os.getpid()}"
    with_root.mkdir(exist_ok=True)
    try:
        return subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", ENTER, "sh",
             str(with_root), str(len(places)), *pairs, cwd, *argv],
            capture_output=True, text=True, check=False, timeout=timeout,
            env={**os.environ, **(env or {}), "SKIP": skip})
    finally:
        with_root.rmdir()
