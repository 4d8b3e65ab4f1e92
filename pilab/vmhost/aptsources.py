"""This machine's apt sources: the ``deb`` entries of both formats apt reads.

``.sources`` files are deb822 (read with python-debian's parser, the one
Debian's own tools use); ``sources.list`` and ``*.list`` files are apt's
one-line format, a few lines of our own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# What apt's Enabled field takes for "no" (apt-pkg's StringToBool).
FALSE = {"no", "false", "without", "off", "disable", "0"}


@dataclass(frozen=True)
class AptSource:
    """One ``deb`` entry of the apt sources: a mirror, its suites and components."""

    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]


def parse_deb822(text: str) -> list[AptSource]:
    """The enabled ``deb`` entries of a deb822 ``.sources`` file."""
    from debian.deb822 import Deb822  # 50 ms: imported when a .sources file is read

    found = []
    for stanza in Deb822.iter_paragraphs(text, use_apt_pkg=False):
        if "deb" not in stanza.get("Types", "").split():
            continue
        if stanza.get("Enabled", "yes").strip().lower() in FALSE:
            continue
        suites = tuple(stanza.get("Suites", "").split())
        components = tuple(stanza.get("Components", "").split())
        found += [AptSource(uri.rstrip("/"), suites, components)
                  for uri in stanza.get("URIs", "").split()]
    return found


def parse_one_line(text: str) -> list[AptSource]:
    """The ``deb`` lines of a one-line-style ``sources.list``."""
    found = []
    for line in text.splitlines():
        words = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
        if len(words) >= 3 and words[0] == "deb":
            found.append(AptSource(words[1].rstrip("/"), (words[2],), tuple(words[3:])))
    return found


def apt_sources(etc: Path = Path("/etc/apt")) -> list[AptSource]:
    """Every enabled ``deb`` entry of this machine's apt sources, in apt's order."""
    found = []
    if (etc / "sources.list").is_file():
        found += parse_one_line((etc / "sources.list").read_text())
    for path in sorted((etc / "sources.list.d").glob("*")):
        if path.suffix == ".sources":
            found += parse_deb822(path.read_text())
        elif path.suffix == ".list":
            found += parse_one_line(path.read_text())
    return found
