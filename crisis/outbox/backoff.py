"""How long to wait before retrying a notification, and when to give up: exponential backoff.

>>> b = Backoff(attempts=5, first_delay_s=30, max_delay_s=600)
>>> [b.delay_after(n).total_seconds() for n in (1, 2, 3, 6)]
[30.0, 60.0, 120.0, 600.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Backoff:
    attempts: int = 10  # after this many failed attempts the notification is marked failed
    first_delay_s: int = 30
    max_delay_s: int = 600

    def delay_after(self, attempt: int) -> timedelta:
        """The wait after failed attempt number `attempt` (1 for the first): doubling, capped."""
        return timedelta(seconds=min(self.max_delay_s, self.first_delay_s * 2 ** max(0, attempt - 1)))

    def gives_up_after(self, attempt: int) -> bool:
        return attempt >= self.attempts
