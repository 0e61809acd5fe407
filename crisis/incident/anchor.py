"""Anchors: the heads of every timeline (ref, event count, head hash) and the count of incidents at one instant,
HMAC-signed under the audit key, kept outside the database. Checking the database against the last anchor shows
an anchored incident deleted, a timeline truncated below its anchored count, or an anchored event rewritten."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from crisis.errors import ContentError
from crisis.incident.seal import AuditKey
from crisis.incident.service import list_incidents
from crisis.incident.timeline import find_event

FORMAT = "crisis-anchor/1"


def build_anchor(session: Session, now: datetime, *, key: AuditKey | None,
                 logs: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The anchor of the database as it stands: every chain's head and the count of incidents, with the heads of
    other hash-chained `logs` ({"roster": {"count": …, "head_hash": …}}), signed with `key`."""
    chains = [{"ref": i.ref, "event_count": i.event_count, "head_hash": i.head_hash} for i in list_incidents(session)]
    anchor: dict[str, Any] = {"format": FORMAT, "at": now.isoformat(), "incidents": len(chains), "chains": chains,
                              "key_id": key.id if key else None}
    if logs:
        anchor["logs"] = logs
    anchor["signature"] = _sign(anchor, key.secret) if key else None
    return anchor


def dump_anchor(anchor: dict[str, Any]) -> str:
    """One JSON line (the anchor files are JSON Lines: earlier anchors stay)."""
    return json.dumps(anchor, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def parse_anchor(text: str, where: str) -> dict[str, Any]:
    """The last anchor of a JSON Lines text; `where` names the file. Raises ContentError naming file:line."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise ContentError(f"{where}: holds no anchor", hint="write one with `crisis audit anchor --to FILE`")
    number, line = lines[-1]
    try:
        anchor = json.loads(line)
        ok = anchor.get("format") == FORMAT and isinstance(anchor["incidents"], int) and all(
            isinstance(c["ref"], str) and isinstance(c["event_count"], int) and isinstance(c["head_hash"], str) for c in anchor["chains"]) \
            and all(isinstance(h["count"], int) and isinstance(h["head_hash"], str) for h in anchor.get("logs", {}).values())
    except (ValueError, KeyError, TypeError, AttributeError):
        ok = False
    if not ok:
        raise ContentError(f"{where}:{number}:1: not an anchor written by `crisis audit anchor` ({FORMAT})",
                           hint="point --anchor at the file `crisis audit anchor --to` appends to")
    return anchor


def signature_problem(anchor: dict[str, Any], key: AuditKey | None) -> tuple[str, bool] | None:
    """Why the anchor's signature cannot be trusted, and whether that shows an edit (rather than a key not at
    hand); None when it verifies, or when the anchor was written without a key."""
    if anchor.get("signature") is None:
        return None if anchor.get("key_id") is None else ("the anchor names a key but carries no signature: it was edited", True)
    if key is None:
        return f"the anchor is signed with {anchor.get('key_id')} and no audit key is set to check it", False
    secret = key.secret_for(anchor.get("key_id"))
    if secret is None:
        return f"the anchor is signed with {anchor.get('key_id')}, neither the audit key set ({key.id}) nor one it retired", False
    if not hmac.compare_digest(str(anchor["signature"]), _sign(anchor, secret)):
        return "the anchor's signature does not verify: the anchor was edited", True
    return None


def check_anchor(session: Session, anchor: dict[str, Any]) -> list[str]:
    """What the database lost or rewrote since `anchor`: each anchored incident deleted, truncated or rewritten."""
    found, when = [], anchor["at"]
    present = {i.ref: i for i in list_incidents(session)}
    for chain in anchor["chains"]:
        ref, count, head = chain["ref"], chain["event_count"], chain["head_hash"]
        incident = present.get(ref)
        if incident is None:
            found.append(f"{ref} was anchored at {when} with {count} event(s) and is gone: the incident was deleted")
        elif incident.event_count < count:
            found.append(f"{ref} has {incident.event_count} event(s), below the {count} anchored at {when}: its timeline was truncated")
        elif count:
            event = find_event(session, incident, count)
            if event is None or event.hash != head:
                found.append(f"{ref} event #{count} is not the one anchored at {when} (head {head[:16]}…): the timeline was rewritten")
    if len(present) < anchor["incidents"]:
        found.append(f"the database holds {len(present)} incident(s), fewer than the {anchor['incidents']} anchored at {when}")
    return found


def _sign(anchor: dict[str, Any], secret: bytes) -> str:
    body = {k: v for k, v in anchor.items() if k != "signature"}
    return hmac.new(secret, dump_anchor(body).encode("utf-8"), hashlib.sha256).hexdigest()
