"""The shape every timeline event shares: built by keyword like a dataclass, frozen, equal by kind and fields,
stored as a JSON dict and read back by `parse_event` (a kind this version does not know as `Unrecognised`).
The kinds themselves are in `crisis.incident.events`, which registers them in `KINDS` as it is imported.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

KINDS: dict[str, type[TimelineEvent]] = {}


# A lighter base than a frozen dataclass per kind: construction, immutability, equality, hash and repr are the base's,
# written once. Python 3.11 compiles each method a dataclass generates apart, and every command imports these kinds
# (`crisis show` too); `dataclasses.fields`, `replace` and `asdict` work on them as on any dataclass.
event = dataclass(init=False, eq=False, repr=False)


@event
class TimelineEvent:
    """What one timeline event recorded. Subclasses name their `kind`; fields ending in `_at` are instants.
    Built by keyword (or position) like a dataclass, immutable like a frozen one (`FrozenInstanceError`), equal to
    an event of the same kind with equal fields. Raises TypeError for an unknown or missing argument."""

    kind: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            KINDS[cls.kind] = cls

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = dataclasses.fields(self)
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__}() takes {len(fields)} positional arguments but {len(args)} were given")
        for f, value in zip(fields, args):
            if f.name in kwargs:
                raise TypeError(f"{type(self).__name__}() got multiple values for argument {f.name!r}")
            kwargs[f.name] = value
        for f in fields:
            if f.name in kwargs:
                value = kwargs.pop(f.name)
            elif f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()
            elif f.default is not dataclasses.MISSING:
                value = f.default
            else:
                raise TypeError(f"{type(self).__name__}() missing required argument {f.name!r}")
            object.__setattr__(self, f.name, value)
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {next(iter(kwargs))!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr)
        return f"{self.__class__.__qualname__}({fields})"

    def data(self) -> dict[str, Any]:
        """The JSON dict stored (and hashed) for this event."""
        return {_key(f.name): _dump(getattr(self, f.name)) for f in dataclasses.fields(self)}


def parse_event(kind: str, data: dict[str, Any]) -> TimelineEvent:
    """The typed event for a stored `kind` and `data`; `Unrecognised` for a kind this version does not know."""
    cls = KINDS.get(kind)
    if cls is None:
        return Unrecognised(name=kind, payload=dict(data))
    values = {}
    for f in dataclasses.fields(cls):
        if _key(f.name) in data:
            raw = data[_key(f.name)]
            values[f.name] = _instant(raw) if f.name.endswith("_at") else raw
    return cls(**values)


_STORED = {"from_": "from", "kind_of": "kind"}  # field names that would clash with Python or with `kind`


def _key(name: str) -> str:
    return _STORED.get(name, name)


def _dump(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_dump(v) for v in value]
    return value


def _instant(raw: Any) -> Any:
    return datetime.fromisoformat(raw) if isinstance(raw, str) else raw


@event
class Unrecognised(TimelineEvent):
    """An event of a kind this version does not know (written by a newer one): shown by its kind."""

    name: str = ""
    payload: dict[str, Any] = dataclasses.field(default_factory=dict)

    def data(self) -> dict[str, Any]:
        return dict(self.payload)
