"""How the `crisis` command ends: its connections closed, its objects kept out of the interpreter's last collection,
what it wrote intact. The probes run the real entry point (`crisis.cli.main`) in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Registered before main(), so it runs after main's own exit handler (atexit is last in, first out).
# The threading hook runs only in the interpreter's own shutdown (a read-only command leaves before it).
PROBE = """import atexit, gc, os, sys
from crisis.cli import context
atexit.register(lambda: print(f"frozen={gc.get_freeze_count() > 0} engines={len(context._ENGINES)}", file=sys.stderr))
import threading
threading._register_atexit(lambda: os.write(2, b"interpreter shutdown"))
sys.argv = ["crisis", *sys.argv[1:]]
from crisis.cli import main
main()
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("exit") / "ws"
    subprocess.run([sys.executable, "-m", "crisis", "init", str(folder)], check=True, capture_output=True)
    return folder


def _crisis(workspace: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(workspace.parent), "CRISIS_USER": "ana"}
    return subprocess.run([sys.executable, "-c", PROBE, *args], cwd=workspace, capture_output=True, text=True, env=env,
                          timeout=60)


def test_a_command_ends_with_its_connections_closed_and_its_objects_frozen(workspace):
    """Within the startup second the collector has not frozen anything; the exit handler has, after the engines closed."""
    opened = _crisis(workspace, "open", "-p", "hijacked_account", "-t", "Compte Instagram piraté")
    assert opened.returncode == 0, opened.stderr
    assert "frozen=True engines=0" in opened.stderr
    shown = _crisis(workspace, "show", "INC-0001")
    assert shown.returncode == 0, shown.stderr
    assert "Compte Instagram piraté" in shown.stdout and "frozen=True engines=0" in shown.stderr
    assert shown.stdout.rstrip().splitlines()[-1].startswith("  allowed now:")  # all of it, flushed before leaving


def test_a_read_only_command_leaves_without_the_teardown_and_a_writing_one_does_not(workspace):
    """show, list and timeline leave once flushed and closed (exit handlers run, modules not torn down); a command
    that changes something ends as any Python process does."""
    opened = _crisis(workspace, "open", "-p", "hijacked_account", "-t", "Avis négatifs en rafale")
    assert opened.returncode == 0 and "interpreter shutdown" in opened.stderr
    for args, says in ((("show", "INC-0001"), "allowed now:"), (("list",), "INC-0001"), (("timeline", "INC-0001"), "opened on")):
        read = _crisis(workspace, *args)
        assert read.returncode == 0 and says in read.stdout, read.stderr
        assert "frozen=True engines=0" in read.stderr and "interpreter shutdown" not in read.stderr, args


def test_what_a_command_wrote_is_there_for_the_next(workspace):
    """Skipping the last collection loses nothing: the acknowledgement committed by one process is read by the next."""
    _crisis(workspace, "open", "-p", "hijacked_account", "-t", "Faux compte support")
    acked = _crisis(workspace, "ack", "INC-0002")
    assert acked.returncode == 0, acked.stderr
    listed = _crisis(workspace, "list", "--json")
    states = {row["ref"]: row["state"] for row in json.loads(listed.stdout)}
    assert states["INC-0002"] == "triage"


def test_a_refused_command_still_exits_with_its_code(workspace):
    """The exit handler changes nothing of the exit code of an error (NotFoundError: 3)."""
    missing = _crisis(workspace, "show", "INC-9999")
    assert missing.returncode == 3 and "no incident" in missing.stderr
    assert "Traceback" not in missing.stderr
