"""The installed `crisis` command, run as a separate process as a responder's shell would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "crisis"


def run(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(not SCRIPT.exists(), reason="the console script is installed by `pip install -e .`")
def test_installed_command_walks_an_incident_in_a_fresh_workspace(tmp_path):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CRISIS_")}, "CRISIS_USER": "ana"}
    assert run("init", "ws", "--brand", "Acme", cwd=tmp_path, env=env).returncode == 0
    ws = tmp_path / "ws"
    opened = run("open", "-p", "bad_buzz", "-t", "Catalogue photo mocked", cwd=ws, env=env)
    assert opened.returncode == 0 and opened.stdout.startswith("INC-0001 opened"), opened.stderr
    assert (ws / "crisis.db").is_file()  # the workspace's own database
    shown = run("show", "INC-0001", cwd=ws / "playbooks", env=env)  # found by walking up
    assert shown.returncode == 0 and "state      detected" in shown.stdout
    refused = run("close", "INC-0001", cwd=ws, env=env)
    assert (refused.returncode, refused.stdout) == (4, "")
    assert refused.stderr.startswith("Error: close is not possible in state detected")
    assert "Traceback" not in refused.stderr


def test_python_dash_m_crisis_shows_help():
    result = subprocess.run([sys.executable, "-m", "crisis", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "Usage: crisis" in result.stdout.replace("python -m crisis", "crisis")
