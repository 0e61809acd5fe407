"""The timeline's hash chain: each event's hash covers its content and the hash before it; with an audit key,
an HMAC-SHA256 instead, so that only the key's holder can recompute a chain."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def event_hash(prev_hash: str, ref: str, seq: int, at: datetime, actor: str, kind: str, data: dict[str, Any], *,
               key: bytes | None = None) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the event (HMAC-SHA256 under `key`).

    >>> from datetime import timezone
    >>> event_hash(GENESIS, "INC-0001", 1, datetime(2012, 1, 4, 11, tzinfo=timezone.utc), "ana", "opened", {})[:12]
    '565d1a2c19d0'
    >>> event_hash(GENESIS, "INC-0001", 1, datetime(2012, 1, 4, 11, tzinfo=timezone.utc), "ana", "opened", {}, key=b"k" * 16)[:12]
    '977268fa85d1'
    """
    payload = json.dumps([ref, seq, at.isoformat(timespec="microseconds"), actor, kind, data],
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    message = (prev_hash + payload).encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Break:
    """Where an incident's timeline stops verifying, and what that suggests."""

    ref: str
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"{self.ref} event #{self.seq}: {self.problem}"
