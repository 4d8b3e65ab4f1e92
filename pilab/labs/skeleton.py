"""``pilab lab new``: a lab's starting point (README, Kbuild, skeleton) in a folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from pilab.errors import ConfigError
from pilab.paths import LABS_DIR, PACKAGE_DIR


def skeleton_dir(lab: str) -> Path:
    """The package's template folder of *lab*; a ConfigError naming the labs if it has none.

    (Found by its folder: the lab registry imports this package's modules, not the reverse.)
    """
    folder = LABS_DIR / lab / "skeleton"
    if not folder.is_dir():
        labs = sorted(p.parent.name for p in LABS_DIR.glob("*/skeleton") if p.is_dir())
        raise ConfigError(f"no lab {lab!r}; labs: {', '.join(labs)}")
    return folder


def skeleton_files(lab: str) -> list[Path]:
    """The template files of *lab*, README.md and Kbuild included."""
    return sorted(p for p in skeleton_dir(lab).iterdir() if p.is_file())


def handout(lab: str) -> str:
    """The lab's handout: its full path in a checkout, else its place in pilab's sources."""
    relative = f"docs/labs/{lab}.md"
    in_checkout = PACKAGE_DIR.parent / relative
    return str(in_checkout) if in_checkout.exists() else f"{relative} in pilab's sources"


def write_skeleton(lab: str, dest: Path) -> list[Path]:
    """Copy *lab*'s starting point into *dest*; refuse if any file exists there."""
    files = skeleton_files(lab)
    if dest.exists() and not dest.is_dir():
        raise ConfigError(f"{dest} exists and is not a folder")
    clashes = [dest / f.name for f in files if (dest / f.name).exists()]
    if clashes:
        verb = "exists" if len(clashes) == 1 else "exist"
        raise ConfigError(
            f"{', '.join(str(c) for c in clashes)} already {verb}: nothing was written",
            hint="choose a new folder, or move those files away first",
        )
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for source in files:
        target = dest / source.name
        target.write_bytes(source.read_bytes())
        written.append(target)
    return written


def cmd_lab(args: argparse.Namespace) -> int:
    """``pilab lab new LAB DIR``."""
    written = write_skeleton(args.lab, args.dir)
    for path in written:
        print(f"wrote {path}")
    print(f"\nthe handout: {handout(args.lab)}; check your module with: "
          f"pilab check {args.lab} {args.dir}")
    return 0
