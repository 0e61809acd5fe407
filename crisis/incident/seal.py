"""How new timeline events are sealed: the audit key that turns their hash into an HMAC, and the mark of
events written while a fixed clock (`CRISIS_NOW`, `tick --now`) was allowed. Both come from the environment.

A keyed event records the id of its key in its data (`_seal`), so a chain may mix a history written before the
key with keyed events, and a verifier without the key knows which events it cannot check.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from crisis.errors import ContentError

KEY_ENV, KEY_FILE_ENV = "CRISIS_AUDIT_KEY", "CRISIS_AUDIT_KEY_FILE"
FIXED_CLOCK_ENV = "CRISIS_ALLOW_FIXED_CLOCK"  # yes: tests and rehearsals only; every event written is marked
SEAL, CLOCK, BY = "_seal", "_clock", "_by"  # keys added to a sealed, fixed-clock or acted-for event's data (covered by its hash)
MIN_KEY_BYTES = 16
TRUE = ("yes", "true", "1", "on")


@dataclass(frozen=True)
class AuditKey:
    """The secret that keys new events, and the retired secrets that keyed older ones (checked, never used to
    seal); `id` names a secret on each event without revealing it."""

    secret: bytes
    retired: tuple[bytes, ...] = ()

    @property
    def id(self) -> str:
        return _key_id(self.secret)

    def secret_for(self, seal: str | None) -> bytes | None:
        """The secret (current or retired) whose id is `seal`, or None: an event sealed by a key not at hand."""
        age = self.age(seal)
        return None if age is None else (self.secret, *self.retired)[age]

    def age(self, seal: str | None) -> int | None:
        """How many rotations ago the key `seal` names was replaced: 0 for the current key, None for a key not at hand."""
        return self._ages.get(seal) if seal is not None else None

    @cached_property
    def _ages(self) -> dict[str, int]:
        ages: dict[str, int] = {}
        for age, secret in enumerate((self.secret, *self.retired)):
            ages.setdefault(_key_id(secret), age)  # a key listed twice is as young as its first place
        return ages

    def __repr__(self) -> str:  # never print the secret
        return f"AuditKey({self.id}, {len(self.retired)} retired)"


class SealOrder:
    """A chain's seals read in order: `late(seal)` says whether the key that sealed this entry was retired before a key
    that sealed an earlier one (written with an old audit key after the rotation)."""

    def __init__(self, key: AuditKey | None) -> None:
        self.key, self.newest = key, None

    def late(self, seal: str | None) -> bool:
        age = self.key.age(seal) if self.key is not None else None
        if age is None:
            return False
        if self.newest is not None and age > self.newest:
            return True
        self.newest = age
        return False


def _key_id(secret: bytes) -> str:
    return "hmac-sha256:" + hashlib.sha256(b"crisis audit key\0" + secret).hexdigest()[:12]


def audit_key(env: Mapping[str, str] = os.environ) -> AuditKey | None:
    """The key in CRISIS_AUDIT_KEY, or in the file CRISIS_AUDIT_KEY_FILE names; None without either. A key file holds
    the current key on its first line and, on the lines below, the keys it replaced (rotation: they still check the
    events they sealed; `#` starts a comment). Raises ContentError for an unreadable file or a key shorter than
    16 bytes, naming its line."""
    value, where = env.get(KEY_ENV, ""), KEY_ENV
    if not value and env.get(KEY_FILE_ENV):
        where = f"{KEY_FILE_ENV} ({env[KEY_FILE_ENV]})"
        try:
            value = Path(env[KEY_FILE_ENV]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ContentError(f"{where}: the audit key cannot be read ({exc.__class__.__name__})",
                               hint="check the path and that this user may read it") from None
    lines = [(number, line.strip()) for number, line in enumerate(value.splitlines(), 1)]
    keys = [(number, line) for number, line in lines if line and not line.startswith("#")]
    if not keys:
        return None
    for number, key in keys:
        if len(key.encode("utf-8")) < MIN_KEY_BYTES:
            line = f":{number}" if where != KEY_ENV else ""
            raise ContentError(f"{where}{line}: the audit key is shorter than {MIN_KEY_BYTES} bytes",
                               hint="make one with: python3 -c 'import secrets; print(secrets.token_hex(32))'")
    secrets = [key.encode("utf-8") for _, key in keys]
    return AuditKey(secrets[0], tuple(secrets[1:]))


def fixed_clock_allowed(env: Mapping[str, str] = os.environ) -> bool:
    """Whether this process may run on a fixed clock (CRISIS_ALLOW_FIXED_CLOCK=yes: the test suite, rehearsals)."""
    return env.get(FIXED_CLOCK_ENV, "").strip().lower() in TRUE


def seal_data(data: dict, key: AuditKey | None, *, fixed_clock: bool, by: str | None = None) -> dict:
    """`data` with the marks its event carries: the key's id, the fixed clock it was written under, and who acted
    for the event's actor (a role that may act for others, with a bound identity)."""
    marked = dict(data)
    if by is not None:
        marked[BY] = by
    if key is not None:
        marked[SEAL] = key.id
    if fixed_clock:
        marked[CLOCK] = "fixed"
    return marked
