"""The evidence pack: a zip of named files, a manifest of their SHA-256, and its verification.

Verifying needs nothing but this module and the chain's hash function: it runs on any machine
with crisis installed, without the database.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import datetime
from pathlib import Path

from crisis.errors import ContentError, CrisisError, TamperedError, UsageError
from crisis.incident.chain import GENESIS, event_hash
from crisis.incident.seal import KEY_ENV, SEAL, AuditKey, SealOrder

MANIFEST = "MANIFEST.json"
TIMELINE = "timeline.json"


def sha256(data: bytes) -> str:
    """The hex SHA-256 of `data`, as `sha256sum` prints it."""
    return hashlib.sha256(data).hexdigest()


def write_pack(path: Path, files: dict[str, bytes], *, at: datetime) -> int:
    """Write `files` and their manifest into the zip at `path`, dated `at` (the clock's, not the file system's);
    the number of files written. Raises UsageError, never overwriting a pack already there."""
    timeline = json.loads(files[TIMELINE])
    manifest = {"ref": timeline["ref"], "chain_head": timeline["head_hash"], "events": len(timeline["events"]),
                "algorithm": "sha256", "files": {name: sha256(data) for name, data in sorted(files.items())}}
    try:
        with zipfile.ZipFile(path, "x", compression=zipfile.ZIP_DEFLATED) as pack:
            for name, data in [*sorted(files.items()), (MANIFEST, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())]:
                pack.writestr(zipfile.ZipInfo(name, date_time=at.timetuple()[:6]), data, compress_type=zipfile.ZIP_DEFLATED)
    except FileExistsError:
        raise UsageError(f"{path} already exists: an evidence pack is never overwritten",
                         hint="choose another name, or move the old pack away first") from None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}", hint="choose a folder you can write to") from None
    return len(files) + 1


def verify_pack(path: Path, *, key: AuditKey | None = None) -> str:
    """Check every file against the manifest (edited, added, removed) and the timeline's chain from the first event
    to the head (keyed events with `key`, the workspace's audit key). A one-line summary when all holds; raises
    TamperedError listing each problem, ContentError when the file is not a pack, CrisisError when keyed events could
    not be checked."""
    try:
        with zipfile.ZipFile(path) as pack:
            contents = {info.filename: pack.read(info) for info in pack.infolist() if not info.is_dir()}
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise ContentError(f"{path}: not a readable zip ({exc})", hint="an evidence pack is the .zip `crisis evidence export` wrote") from None
    if MANIFEST not in contents:
        raise TamperedError(f"{path}: {MANIFEST} is missing: the pack cannot be checked")
    try:
        manifest = json.loads(contents.pop(MANIFEST))
        listed: dict[str, str] = manifest["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise TamperedError(f"{path}: {MANIFEST} is not a manifest crisis wrote ({exc})") from None
    problems = [f"{name}: edited (its SHA-256 differs from the manifest)" for name in sorted(listed)
                if name in contents and sha256(contents[name]) != listed[name]]
    problems += [f"{name}: removed (listed in the manifest, absent from the pack)" for name in sorted(set(listed) - set(contents))]
    problems += [f"{name}: added (absent from the manifest)" for name in sorted(set(contents) - set(listed))]
    unchecked = 0
    if TIMELINE in contents:
        found, unchecked = chain_problems(contents[TIMELINE], manifest.get("chain_head"), key=key)
        problems += found
    if problems:
        raise TamperedError(f"{path} does not verify:" + "".join(f"\n  - {p}" for p in problems),
                            hint="ask the sender for the pack again, and compare its chain head with `crisis report REF`")
    if unchecked:
        raise CrisisError(f"{path}: the files match the manifest, but {unchecked} keyed event(s) of the timeline were not checked: "
                          "their HMAC needs the workspace's audit key", hint=f"verify where {KEY_ENV} is set to that key")
    return (f"ok: {path}: {len(listed)} files match the manifest; the chain of {manifest.get('events')} events of "
            f"{manifest.get('ref')} runs from the first event to head {manifest.get('chain_head')}")


def chain_problems(raw: bytes, head: str | None, *, key: AuditKey | None = None) -> tuple[list[str], int]:
    """Each broken link of the timeline's hash chain, recomputed from the events alone, and the count of keyed
    events not checked (sealed with a key other than `key` and those it retired)."""
    try:
        timeline = json.loads(raw)
        ref, events = timeline["ref"], timeline["events"]
    except (ValueError, KeyError, TypeError) as exc:
        return [f"{TIMELINE}: not a timeline ({exc})"], 0
    problems, prev, unchecked, keyed, order = [], GENESIS, 0, False, SealOrder(key)
    for expected, event in enumerate(events, start=1):
        try:
            at = datetime.fromisoformat(event["at"])
            seal = event["data"].get(SEAL)
            if keyed and seal is None:
                problems.append(f"{TIMELINE}: event #{event['seq']} is not keyed though an event before it is: recomputed without the key")
            keyed = keyed or seal is not None
            if order.late(seal):
                problems.append(f"{TIMELINE}: event #{event['seq']} is sealed with a key retired before the one of an event "
                                "before it: written with an old key after the rotation")
            secret = key.secret_for(seal) if key is not None else None
            if seal is not None and secret is None:
                unchecked, recomputed = unchecked + 1, event["hash"]
            else:
                recomputed = event_hash(prev, ref, event["seq"], at, event["actor"], event["kind"], event["data"], key=secret)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            problems.append(f"{TIMELINE}: event #{expected} is unreadable ({exc})")
            break
        if event["seq"] != expected:
            problems.append(f"{TIMELINE}: event #{expected} is missing (the next is #{event['seq']})")
        if event["prev_hash"] != prev:
            problems.append(f"{TIMELINE}: event #{event['seq']} does not follow the event before it")
        if recomputed != event["hash"]:
            problems.append(f"{TIMELINE}: event #{event['seq']} ({event['kind']}) does not match its hash: it was edited")
        prev = event["hash"]
    if head is not None and prev != head:
        problems.append(f"{TIMELINE}: the chain ends at {prev[:16]}…, not at the head {head[:16]}… the manifest records")
    return problems, unchecked
