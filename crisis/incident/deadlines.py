"""Deadlines: armed on entering a state, met or cancelled on leaving it, breached by tick."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from crisis.incident.models import Deadline, Incident
from crisis.playbook.durations import add_period
from crisis.playbook.model import Limitation, Playbook

FINAL_STATES = ("closed", "dismissed")


def duration_for(playbook: Playbook, deadline: Deadline, severity: str) -> timedelta | None:
    """How long this deadline lasts at this severity, per the playbook; None if it sets none."""
    if deadline.kind == "step":
        step = playbook.find_step(deadline.step_id or "")
        return step.due.get(severity) if step else None
    return playbook.sla.get(deadline.kind, {}).get(severity)


def arm_on_entry(incident: Incident, playbook: Playbook, state: str, now: datetime) -> list[Deadline]:
    """Arm the deadlines of `state` at the incident's severity; returns the new ones."""
    if state == "detected":
        candidates = [Deadline(kind="acknowledge"), Deadline(kind="first_response")]
    elif state.startswith("responding."):
        candidates = [Deadline(kind="step", step_id=state.split(".", 1)[1])]
    else:
        candidates = []
    armed = []
    for deadline in candidates:
        delta = duration_for(playbook, deadline, incident.severity)
        if delta is not None:
            deadline.armed_at, deadline.due_at, deadline.status = now, now + delta, "armed"
            incident.deadlines.append(deadline)
            armed.append(deadline)
    return armed


def settle_on_exit(incident: Incident, playbook: Playbook, old: str, new: str, now: datetime) -> dict[str, list[str]]:
    """Close the armed deadlines that leaving `old` for `new` ends; returns names by outcome."""
    left_step = playbook.find_step(old.split(".", 1)[1]) if old.startswith("responding.") else None
    outcome: dict[str, list[str]] = {}
    for deadline in armed(incident):
        if (deadline.kind == "acknowledge" and old == "detected") or (deadline.kind == "step" and left_step and deadline.step_id == left_step.id) \
                or (deadline.kind == "first_response" and left_step and left_step.reply):
            status = "met"
        elif new in FINAL_STATES or (deadline.kind == "first_response" and new == "resolved"):
            status = "cancelled"
        else:
            continue
        deadline.status, deadline.closed_at = status, now
        outcome.setdefault(status, []).append(deadline.name)
    return outcome


def reschedule(incident: Incident, playbook: Playbook, severity: str) -> list[str]:
    """After a severity change, recompute each armed deadline from when it was armed."""
    moved = []
    for deadline in armed(incident):
        delta = duration_for(playbook, deadline, severity)
        if delta is not None and deadline.armed_at + delta != deadline.due_at:
            deadline.due_at = deadline.armed_at + delta
            moved.append(f"{deadline.name} due {deadline.due_at.isoformat(timespec='minutes')}")
    return moved


def arm_limitation(incident: Incident, playbook: Playbook, published_on: str, now: datetime, *, tz: str = "UTC") -> Deadline | None:
    """Arm the warning of the playbook's first limitation (replacing an earlier one); see `arm_limitations`."""
    rule = playbook.limitation
    armed_now = arm_limitations(incident, playbook, rule.from_fact, published_on, now, tz=tz) if rule else []
    return armed_now[0] if armed_now else None


def arm_limitations(incident: Incident, playbook: Playbook, fact_id: str, day: str, now: datetime, *, tz: str = "UTC") -> list[Deadline]:
    """Arm the warning of every limitation counted from `fact_id`, answered `day` (replacing earlier ones). The
    period runs from that day's midnight in the workspace's time zone `tz`, in calendar months where the playbook
    says so (28 February + 3 months = 28 May), and the warning falls `warn_before` earlier."""
    rules = [rule for rule in playbook.limitations if rule.from_fact == fact_id]
    ids = {rule.id for rule in rules}
    for deadline in armed(incident):
        if deadline.kind == "limitation" and (deadline.step_id or "limitation") in ids:
            deadline.status, deadline.closed_at = "cancelled", now
    start = datetime.combine(date.fromisoformat(day), time(0, 0), tzinfo=ZoneInfo(tz))
    fresh = []
    for rule in rules:
        due_at = (add_period(start, rule.period) - rule.warn_before).astimezone(timezone.utc)
        deadline = Deadline(kind="limitation", step_id=rule.id, armed_at=now, due_at=due_at, status="armed")
        incident.deadlines.append(deadline)
        fresh.append(deadline)
    return fresh


def limitation_of(playbook: Playbook, deadline: Deadline) -> Limitation | None:
    """The limitation a `limitation` deadline was armed for (the first one for a deadline armed before they had ids)."""
    return next((rule for rule in playbook.limitations if rule.id == (deadline.step_id or "limitation")), playbook.limitation)


def armed(incident: Incident) -> list[Deadline]:
    return [d for d in incident.deadlines if d.status == "armed"]
