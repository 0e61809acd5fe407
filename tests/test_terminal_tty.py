"""Colour and width: the installed `crisis` run in a real pseudo-terminal of a set size, against the same through a pipe.

On a terminal, severities, overdue deadlines and errors are in colour and `list` fits the window; through a pipe or
with NO_COLOR the text is plain; `--json` never changes.
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from crisis.cli.terminal import cells

SCRIPT = Path(sys.executable).parent / "crisis"
SGR = re.compile(r"\x1b\[[0-9;]*m")  # Select Graphic Rendition: colours and bold
LATER = "2026-11-20T15:00:00+00:00"  # the incidents below are opened at 09:00: their deadlines are overdue by then
pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="the console script is installed by `pip install -e .`")


def in_terminal(*args: str, cwd: Path, env: dict[str, str], columns: int = 72) -> tuple[int, str]:
    """Run `crisis ARGS` with stdout and stderr on a pseudo-terminal `columns` wide; its exit code and what it wrote."""
    main, tty = os.openpty()
    fcntl.ioctl(tty, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    process = subprocess.Popen([str(SCRIPT), *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=tty, stderr=tty)
    os.close(tty)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the terminal's last writer is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def in_pipe(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def desk(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A workspace with a SEV1 incident, a SEV3 one titled with 20,000 characters over several lines, and a hostile one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISIS_") and k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env.update(CRISIS_USER="ana", TERM="xterm-256color", CRISIS_NOW="2026-11-20T09:00:00+00:00", CRISIS_ALLOW_FIXED_CLOCK="yes")
    root = tmp_path_factory.mktemp("tty")
    assert in_pipe("init", "ws", "--brand", "Acme", cwd=root, env=env).returncode == 0
    ws = root / "ws"
    titles = [("bad_buzz", "SEV1", "Photo du catalogue détournée"),
              ("rumour", "SEV3", "Rumeur de rappel produit\n" + "très longue ligne " * 1200),
              ("rumour", "SEV2", "Acme \x1b]0;pwned\x07\x1b[2J \u202eevil")]
    for playbook, severity, title in titles:
        assert in_pipe("open", "-p", playbook, "-t", title, "--severity", severity, cwd=ws, env=env).returncode == 0
    later = {**env, "CRISIS_NOW": LATER}
    assert in_pipe("tick", cwd=ws, env=later).returncode == 0  # records the breaches, and that deadlines are watched
    return ws, later


@pytest.mark.parametrize("columns", [60, 100, 160])
def test_list_on_a_terminal_is_a_coloured_table_with_one_row_per_incident_fitting_the_window(desk, columns):
    ws, env = desk
    code, out = in_terminal("list", cwd=ws, env=env, columns=columns)
    assert code == 0
    assert "\x1b[1;31mSEV1" in out, "SEV1 in bold red"
    assert "\x1b]0;pwned" not in out and "\x07" not in out and "\u202e" not in out, "a title never writes to the terminal"
    lines = SGR.sub("", out).rstrip("\n").split("\n")
    assert len(lines) == 1 + 3, lines  # a header and one row per incident, however long or multi-line a title
    assert all(cells(line) <= columns for line in lines), [cells(line) for line in lines]
    assert lines[2].startswith("INC-0002") and lines[2].rstrip().endswith("…")
    assert lines[3].startswith("INC-0003") and "\\x1b]0;pwned" in SGR.sub("", out) or columns < 100


def test_no_color_on_a_terminal_gives_plain_text_still_one_line_per_incident(desk):
    ws, env = desk
    code, out = in_terminal("list", cwd=ws, env={**env, "NO_COLOR": "1"}, columns=80)
    assert code == 0 and "\x1b" not in out
    lines = out.rstrip("\n").split("\n")
    assert [line[:8] for line in lines] == ["INC-0001", "INC-0002", "INC-0003"]
    assert all(cells(line) <= 80 for line in lines)
    code, shown = in_terminal("show", "INC-0002", cwd=ws, env={**env, "NO_COLOR": "1"}, columns=80)
    assert code == 0 and "\x1b" not in shown and cells(shown.split("\n")[0]) <= 80


def test_through_a_pipe_list_is_plain_and_a_huge_title_keeps_to_one_short_line(desk):
    ws, env = desk
    result = in_pipe("list", cwd=ws, env=env)
    assert result.returncode == 0 and "\x1b" not in result.stdout
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and lines[0].startswith("INC-0001  SEV1  detected")
    assert lines[1].startswith("INC-0002  SEV3") and lines[1].endswith("…") and len(lines[1]) < 200


def test_show_on_a_terminal_colours_severity_and_overdue_deadlines_and_cuts_the_title(desk):
    ws, env = desk
    code, out = in_terminal("show", "INC-0001", cwd=ws, env=env, columns=72)
    assert code == 0
    assert "\x1b[1;31mSEV1" in out
    assert re.search(r"\x1b\[1;31m(?:BREACHED|OVERDUE) [^\x1b]+\x1b\[0m", out), "a passed deadline in bold red"
    plain = SGR.sub("", out)
    assert plain.split("\n")[0] == "INC-0001  Photo du catalogue détournée"
    piped = in_pipe("show", "INC-0001", cwd=ws, env=env).stdout
    assert "\x1b" not in piped and plain.replace("\n", "") .endswith(piped.replace("\n", "")[-60:])  # same words
    code, out = in_terminal("show", "INC-0002", cwd=ws, env=env, columns=72)
    first = SGR.sub("", out).split("\n")[0]
    assert cells(first) <= 72 and first.endswith("…")
    assert "\x1b[33mSEV3" in out, "SEV3 in yellow"


def test_timeline_and_errors_are_coloured_on_a_terminal_only(desk):
    ws, env = desk
    code, out = in_terminal("timeline", "INC-0001", cwd=ws, env=env)
    assert code == 0 and "\x1b[1;31mSEV1" in out
    assert in_pipe("timeline", "INC-0001", cwd=ws, env=env).stdout.startswith("#1   2026-11-20 10:00 CET  ana ")  # Paris time
    code, out = in_terminal("close", "INC-0001", cwd=ws, env=env)
    assert code == 4 and "\x1b[1;31mError:\x1b[0m close is not possible in state detected" in out
    assert "Hint:" in SGR.sub("", out) or "Allowed now:" in SGR.sub("", out)
    code, out = in_terminal("close", "INC-0001", cwd=ws, env={**env, "NO_COLOR": "1"})
    assert code == 4 and "\x1b" not in out and out.startswith("Error: close is not possible in state detected")
    piped = in_pipe("close", "INC-0001", cwd=ws, env=env)
    assert piped.returncode == 4 and "\x1b" not in piped.stderr and piped.stderr.startswith("Error: close")


@pytest.mark.parametrize("args", [("list", "--json"), ("show", "INC-0003", "--json"), ("timeline", "INC-0002", "--json")])
def test_json_is_the_same_bytes_on_a_terminal_and_through_a_pipe(desk, args):
    ws, env = desk
    code, out = in_terminal(*args, cwd=ws, env=env)
    piped = in_pipe(*args, cwd=ws, env=env)
    assert code == 0 and out == piped.stdout and "\x1b[" not in out


def test_outbox_shows_failed_pages_in_red_and_nothing_of_a_hostile_peer_reaches_the_terminal(tmp_path):
    """A webhook peer answering a redirect to `ESC ] 0 ; … BEL`: the page fails (a POST is never redirected), `oncall
    outbox` shows it in red on a terminal and plain through a pipe, and none of the peer's escapes reach either."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Hostile(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(302)
            self.send_header("Location", "https://x.example/\x1b]0;pwned\x07\x1b[2J")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISIS_") and k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env.update(CRISIS_USER="ana", TERM="xterm-256color", CRISIS_NOW="2026-11-20T09:00:00+00:00", CRISIS_ALLOW_FIXED_CLOCK="yes")
    try:
        assert in_pipe("init", "ws", cwd=tmp_path, env=env).returncode == 0
        ws = tmp_path / "ws"
        roster = (Path(__file__).parent / "data" / "oncall" / "roster.yaml").read_text(encoding="utf-8")
        (ws / "oncall.yaml").write_text(roster.replace("WEBHOOK_URL", f"http://127.0.0.1:{server.server_address[1]}/hook"), encoding="utf-8")
        assert in_pipe("open", "-p", "bad_buzz", "-t", "Photo", "--severity", "SEV1", cwd=ws, env=env).returncode == 0
        in_pipe("tick", cwd=ws, env=env)
    finally:
        server.shutdown()
        server.server_close()
    code, shown = in_terminal("oncall", "outbox", "--status", "failed", cwd=ws, env=env, columns=200)
    assert code == 0 and "a POST is never redirected" in shown
    assert "\x1b]0;" not in shown and "\x1b[2J" not in shown  # only colour codes reach the terminal
    assert re.search(r"\x1b\[[0-9;]*31[0-9;]*mFAILED", shown) or re.search(r"\x1b\[1;31mFAILED", shown), shown
    piped = in_pipe("oncall", "outbox", "--status", "failed", cwd=ws, env=env).stdout
    assert "FAILED" in piped and not SGR.search(piped) and "\x1b" not in piped
