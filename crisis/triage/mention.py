"""What a mention is ingested into: the brand it is about and whether it is part of a drill."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """Where ingested mentions land: incidents of this brand, real or drill. A drill's mentions open and
    join only drill incidents, and real mentions never join a drill's."""

    brand: str | None = None
    is_drill: bool = False
