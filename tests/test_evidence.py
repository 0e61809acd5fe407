"""The evidence pack: exported from the database, verified with nothing but the zip; each tampering is found."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from tests.test_report import hostile_mentions


@pytest.fixture
def pack(workspace, cli, tmp_path) -> Path:
    cli("ingest", str(hostile_mentions(tmp_path / "m.jsonl", extra=2)))
    cli("ack", "INC-0001", now="2026-11-20T10:20:00+00:00")
    path = tmp_path / "INC-0001.zip"
    assert "7 files" in cli("evidence", "export", "INC-0001", "-o", str(path)).stdout
    return path


def rewrite(path: Path, change) -> None:
    """Rewrite the pack with `change(files)` applied to its {name: bytes}."""
    with zipfile.ZipFile(path) as z:
        files = {name: z.read(name) for name in z.namelist()}
    change(files)
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)


def test_an_untouched_pack_verifies_and_holds_the_originals(pack, cli):
    result = cli("evidence", "verify", str(pack))
    assert result.stdout.startswith(f"ok: {pack}: 6 files match the manifest; the chain of ")
    with zipfile.ZipFile(pack) as z:
        manifest = json.loads(z.read("MANIFEST.json"))
        assert all(hashlib.sha256(z.read(name)).hexdigest() == digest for name, digest in manifest["files"].items())
        mentions = [json.loads(line) for line in z.read("mentions.jsonl").decode().splitlines()]
        readme = z.read("README.md").decode()
    assert mentions[0]["text"].endswith("<script>document.title='pwned';fetch('http://127.0.0.1:9/script')</script>")  # as ingested
    assert mentions[0]["author"] == "<b>Mallory</b>" and len(mentions) == 6
    assert "commissaire de justice" in readme and "crisis evidence verify" in readme


def test_an_edited_file_is_found(pack, cli):
    rewrite(pack, lambda f: f.update({"replies.json": b'[{"text": "we never said that"}]\n'}))
    assert "replies.json: edited (its SHA-256 differs from the manifest)" in cli("evidence", "verify", str(pack), code=8).stderr


def test_an_added_file_is_found(pack, cli):
    rewrite(pack, lambda f: f.update({"extra.png": b"\x89PNG"}))
    assert "extra.png: added (absent from the manifest)" in cli("evidence", "verify", str(pack), code=8).stderr


def test_a_removed_file_is_found(pack, cli):
    rewrite(pack, lambda f: f.pop("review.json"))
    assert "review.json: removed (listed in the manifest, absent from the pack)" in cli("evidence", "verify", str(pack), code=8).stderr


def test_a_broken_link_is_found_even_with_a_consistent_manifest(pack, cli):
    """A forger who edits an event and updates the manifest still breaks the chain."""
    def forge(files):
        timeline = json.loads(files["timeline.json"])
        timeline["events"][1]["actor"] = "mallory"
        files["timeline.json"] = json.dumps(timeline).encode()
        manifest = json.loads(files["MANIFEST.json"])
        manifest["files"]["timeline.json"] = hashlib.sha256(files["timeline.json"]).hexdigest()
        files["MANIFEST.json"] = json.dumps(manifest).encode()

    rewrite(pack, forge)
    error = cli("evidence", "verify", str(pack), code=8).stderr
    assert "timeline.json: event #2" in error and "does not match its hash: it was edited" in error
    assert "edited (its SHA-256" not in error


def test_a_removed_event_is_found(pack, cli):
    def drop(files):
        timeline = json.loads(files["timeline.json"])
        del timeline["events"][1]
        files["timeline.json"] = json.dumps(timeline).encode()
        manifest = json.loads(files["MANIFEST.json"])
        manifest["files"]["timeline.json"] = hashlib.sha256(files["timeline.json"]).hexdigest()
        files["MANIFEST.json"] = json.dumps(manifest).encode()

    rewrite(pack, drop)
    error = cli("evidence", "verify", str(pack), code=8).stderr
    assert "timeline.json: event #2 is missing (the next is #3)" in error


def test_not_a_pack(workspace, cli, tmp_path):
    bad = tmp_path / "x.zip"
    bad.write_text("hello")
    assert "not a readable zip" in cli("evidence", "verify", str(bad), code=5).stderr
    assert "no such file" in cli("evidence", "verify", str(tmp_path / "none.zip"), code=2).stderr
    assert "no incident" in cli("evidence", "export", "INC-0042", "-o", str(tmp_path / "e.zip"), code=3).stderr


def test_a_pack_is_never_overwritten(pack, cli):
    before = pack.read_bytes()
    error = cli("evidence", "export", "INC-0001", "-o", str(pack), code=2).stderr
    assert "already exists: an evidence pack is never overwritten" in error and pack.read_bytes() == before
