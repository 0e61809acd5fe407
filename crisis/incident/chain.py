"""The timeline's hash chain: each event's hash covers its content and the hash before it."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def event_hash(prev_hash: str, ref: str, seq: int, at: datetime, actor: str, kind: str, data: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the event.

    >>> from datetime import timezone
    >>> event_hash(GENESIS, "INC-0001", 1, datetime(2012, 1, 4, 11, tzinfo=timezone.utc), "ana", "opened", {})[:12]
    '565d1a2c19d0'
    """
    payload = json.dumps([ref, seq, at.isoformat(timespec="microseconds"), actor, kind, data],
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()
