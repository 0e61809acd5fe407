"""HSEEP ratings and the weighted score out of 100. Pure arithmetic on what was measured: when
each objective was met (or whether it held); reading the timeline to measure it comes with the
simulator."""

from __future__ import annotations

from datetime import timedelta

from crisis.drill.scenario import RATINGS, Objective


def rate_timed(objective: Objective, elapsed: timedelta | None) -> str:
    """P within `within`, S within `grades.S`, M within `grades.M`, U later or never (`elapsed` None).

    >>> from datetime import timedelta as td
    >>> from crisis.playbook.model import Localized
    >>> o = Objective("x", Localized("x", "x"), "acknowledged", {}, 10, td(minutes=15), {"S": td(minutes=30), "M": td(hours=1)})
    >>> [rate_timed(o, td(minutes=m)) for m in (10, 15, 16, 45, 61)]
    ['P', 'P', 'S', 'M', 'U']
    """
    if objective.within is None:
        raise ValueError(f"objective {objective.id} is not timed")
    if elapsed is None:
        return "U"
    for rating, bound in (("P", objective.within), ("S", objective.grades.get("S")), ("M", objective.grades.get("M"))):
        if bound is not None and elapsed <= bound:
            return rating
    return "U"


def rate_held(held: bool) -> str:
    """An untimed expectation (four eyes, nothing deleted…): P when it held over the whole drill, else U."""
    return "P" if held else "U"


def score(objectives: tuple[Objective, ...], ratings: dict[str, str | None]) -> float:
    """The weighted score out of 100, one decimal. Objectives not rated (None) leave their weight out.
    Raises ValueError for an objective with no rating given, or a rating that is not P, S, M or U."""
    total = earned = 0.0
    for objective in objectives:
        if objective.id not in ratings:
            raise ValueError(f"objective {objective.id} has no rating")
        rating = ratings[objective.id]
        if rating is None:
            continue
        if rating not in RATINGS:
            raise ValueError(f"{rating!r} is not a rating; expected one of: {', '.join(RATINGS)}")
        total += objective.weight
        earned += objective.weight * RATINGS[rating]
    return round(100 * earned / total, 1) if total else 0.0
