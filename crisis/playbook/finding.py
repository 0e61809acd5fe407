"""A problem a reviewer finds in a content file (a playbook, a template, a scenario), at its line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    message: str
    level: str = "error"  # error or warning

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.level}: {self.message}"
