"""Where anchors are kept outside the database: a JSON Lines file, or a git repository the team keeps (a commit
per anchor, signed with `-S` when the repository is configured to sign)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from crisis.errors import ContentError, CrisisError, UsageError

GIT_FILE = "crisis-anchors.jsonl"


def append_anchor(path: Path, line: str) -> None:
    """Append one anchor line to `path` (created if absent) and flush it to disk. Raises UsageError."""
    try:
        with path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        raise UsageError(f"{path}: cannot append the anchor ({exc.strerror})", hint="check the folder exists and is writable") from None


def read_anchors(path: Path) -> str:
    """The text of an anchor file. Raises ContentError."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: cannot read the anchors ({exc.__class__.__name__})",
                           hint="point --anchor at the file `crisis audit anchor --to` appends to") from None


def commit_anchor(folder: Path, line: str, message: str) -> bool:
    """Append the anchor to `crisis-anchors.jsonl` in the git repository `folder` and commit it; True when the
    commit is signed (the repository sets commit.gpgsign or user.signingkey). Raises UsageError, CrisisError."""
    if _git(folder, "rev-parse", "--is-inside-work-tree", check=False).returncode != 0:
        raise UsageError(f"{folder}: not a git repository", hint=f"git init {folder} (a repository the team keeps and pushes)")
    append_anchor(folder / GIT_FILE, line)
    signs = _git(folder, "config", "--bool", "commit.gpgsign", check=False).stdout.strip() == "true" or \
        bool(_git(folder, "config", "user.signingkey", check=False).stdout.strip())
    identity = [] if _git(folder, "config", "user.email", check=False).stdout.strip() else \
        ["-c", "user.name=crisis audit", "-c", "user.email=crisis@localhost"]
    _git(folder, "add", GIT_FILE)
    _git(folder, *identity, "commit", "-q", *(["-S"] if signs else []), "-m", message)
    return signs


def _git(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CrisisError(f"git {args[0]} in {folder} failed: {exc}", hint="check that git is installed") from None
    if check and done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise CrisisError(f"git {args[-1] if args[0] == '-c' else args[0]} in {folder} failed: {said[-1] if said else 'no message'}",
                          hint="fix the repository (or its signing key) and anchor again")
    return done
