"""A notifier that keeps what it is given instead of sending it: for drills in simulation and for tests.

It is a real notifier (the outbox delivers to it exactly as to SMTP or a webhook), so a simulated
drill pages its scripted team through the same code as a real incident, and nothing leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crisis.outbox.notifiers import DeliveryError, Outgoing


@dataclass
class RecordingNotifier:
    """Records every message sent on `channel`; `refuse` makes the next sends fail, as a peer that is down."""

    channel: str
    sent: list[Outgoing] = field(default_factory=list)
    refuse: int = 0

    def send(self, message: Outgoing) -> None:
        if self.refuse:
            self.refuse -= 1
            raise DeliveryError(f"{self.channel}: refused (recording notifier told to refuse)")
        self.sent.append(message)


def recording_notifiers(channels: tuple[str, ...] = ("console", "smtp", "webhook")) -> dict[str, RecordingNotifier]:
    """One recording notifier per channel, by channel: nothing a drill pages or publishes leaves the process."""
    return {channel: RecordingNotifier(channel) for channel in channels}
