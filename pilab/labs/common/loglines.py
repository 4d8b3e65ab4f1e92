"""A module's kernel-log lines, defined once: the model writes them, the checks match them."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

ANY = r"\S+"  # what a field matches unless told


@dataclass(frozen=True)
class LogLine:
    """One line a lab module logs, as ``<module>: <template>``.

    *fields* gives the regex of each ``{field}`` in *template*; a field not
    listed matches ``\\S+``.
    """

    module: str
    template: str
    fields: dict[str, str] = field(default_factory=dict)

    def text(self, **values: object) -> str:
        """The line as the module prints it (the model's printk)."""
        return f"{self.module}: " + self.template.format(**values)

    def body(self, **values: object) -> str:
        """The line without its ``<module>: `` prefix."""
        return self.template.format(**values)

    def pattern(self, **fixed: object) -> str:
        """A regex for the whole line; *fixed* fields must have the given value."""
        out = [re.escape(f"{self.module}: ")]
        for literal, name, _, _ in string.Formatter().parse(self.template):
            out.append(re.escape(literal))
            if name is None:
                continue
            if name in fixed:
                out.append(re.escape(str(fixed[name])))
            else:
                out.append(f"(?P<{name}>{self.fields.get(name, ANY)})")
        return "^" + "".join(out) + "$"

    def regex(self, **fixed: object) -> re.Pattern[str]:
        return re.compile(self.pattern(**fixed))

    def match(self, text: str) -> re.Match[str] | None:
        return self.regex().match(text)


def loaded_line(module: str) -> LogLine:
    """The load line every button module prints: its pins and IRQ numbers."""
    return LogLine(module, "led {led}, buttons {button1} {button2}, irqs {irq1} {irq2}",
                   dict.fromkeys(("led", "button1", "button2", "irq1", "irq2"), r"\d+"))


def unloaded_line(module: str) -> LogLine:
    return LogLine(module, "unloaded")
