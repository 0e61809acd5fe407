"""Where crisis finds its content and its database.

The workspace is the nearest `crisis.toml` walking up from the current directory, as git finds
`.git`. Without one, crisis uses the content shipped in the package and a database in the
user's data directory. `CRISIS_DATABASE_URL` overrides the database either way.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crisis.errors import ContentError
from crisis.outbox.urls import check_url, http_allowed

WORKSPACE_FILE = "crisis.toml"
LANGUAGES = ("fr", "en")
CONTENT_DIRS = ("playbooks", "templates", "drills")


@dataclass(frozen=True)
class Settings:
    """Everything `crisis.toml` says (validated once), with where the content and database are."""

    workspace: Path | None
    content: Path
    database_url: str
    lang: str = "en"
    brand: str | None = None
    timezone: str = "UTC"
    lock_timeout_ms: int = 5000  # how long to wait for another crisis process holding the database
    spikes: Mapping[str, Any] = field(default_factory=dict)  # [triage.spikes], read by crisis.triage.spikes.spike_rule
    contact: str | None = None  # [replies] contact: where replies invite people to continue privately
    webhook_url: str | None = None  # [replies] webhook_url: where `reply publish --via webhook` posts
    anchor: Path | None = None  # [audit] anchor: the JSON Lines file `audit anchor` appends to and `audit verify` checks

    @property
    def path(self) -> Path | None:
        return self.workspace / WORKSPACE_FILE if self.workspace is not None else None

    @property
    def playbooks_dir(self) -> Path:
        return self.content / "playbooks"

    @property
    def templates_dir(self) -> Path:
        return self.content / "templates"

    @property
    def drills_dir(self) -> Path:
        return self.content / "drills"


def shipped_content() -> Path:
    """The content packaged with crisis: inside the wheel, or the source tree's top level."""
    package = Path(__file__).resolve().parent
    bundled = package / "_content"
    return bundled if (bundled / "playbooks").is_dir() else package.parent


def find_workspace(start: Path) -> Path | None:
    """The nearest directory at or above `start` holding a `crisis.toml`, or None."""
    for folder in (start, *start.parents):
        if (folder / WORKSPACE_FILE).is_file():
            return folder
    return None


def load_settings(cwd: Path | None = None, env: Mapping[str, str] = os.environ) -> Settings:
    """Settings for a command run in `cwd`. Raises ContentError naming the file, line and key of a bad crisis.toml."""
    workspace = find_workspace((cwd or Path.cwd()).resolve())
    toml = _Toml(workspace / WORKSPACE_FILE) if workspace is not None else _Toml(None)
    section = toml.table("workspace", ("brand", "lang", "timezone"))
    url = env.get("CRISIS_DATABASE_URL") or _database_url(workspace, toml)
    lang = env.get("CRISIS_LANG") or toml.text(section, "workspace", "lang") or "en"
    if lang not in LANGUAGES:
        where = "CRISIS_LANG" if env.get("CRISIS_LANG") else toml.where("workspace", "lang")
        raise ContentError(f"{where}: language {lang!r} is not one of {', '.join(LANGUAGES)}")
    timezone = toml.text(section, "workspace", "timezone") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ContentError(f"{toml.where('workspace', 'timezone')}: unknown time zone {timezone!r}",
                           hint="use an IANA name such as Europe/Paris, America/Montreal or UTC") from None
    replies = toml.table("replies", ("contact", "webhook_url"))
    triage = toml.table("triage", ("spikes",))
    spikes = triage.get("spikes", {})
    if not isinstance(spikes, dict):
        raise ContentError(f"{toml.where('triage', 'spikes')}: [triage.spikes] must be a table")
    webhook_url = toml.text(replies, "replies", "webhook_url")
    problem = check_url(webhook_url, allow_http=http_allowed(env)) if webhook_url else None
    if problem:
        raise ContentError(f"{toml.where('replies', 'webhook_url')}: {problem}")
    anchor = toml.text(toml.table("audit", ("anchor",)), "audit", "anchor")
    return Settings(
        anchor=(workspace / Path(anchor).expanduser() if workspace is not None else Path(anchor).expanduser()) if anchor else None,
        workspace=workspace,
        content=workspace if workspace is not None else shipped_content(),
        database_url=url,
        lang=lang,
        brand=toml.text(section, "workspace", "brand"),
        timezone=timezone,
        lock_timeout_ms=_int_env(env, "CRISIS_LOCK_TIMEOUT_MS", 5000),
        spikes=spikes,
        contact=toml.text(replies, "replies", "contact"),
        webhook_url=webhook_url,
    )


class _Toml:
    """crisis.toml read once, with the line of each key for error messages."""

    def __init__(self, path: Path | None) -> None:
        self.path, self.lines, self.data = path, [], {}
        if path is None:
            return
        try:
            text = path.read_text(encoding="utf-8")
            self.data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ContentError(f"{path}: {exc}", hint="fix the TOML syntax, or run `crisis init` in a new directory") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ContentError(f"{path}: cannot be read ({exc})") from exc
        self.lines = text.splitlines()

    def where(self, section: str, key: str | None = None) -> str:
        """`file:line: section.key`, at the line where the key (or the section) is written."""
        label = f"{section}.{key}" if key else section
        line = self._line(section, key)
        return f"{self.path}:{line}: {label}" if line else f"{self.path}: {label}"

    def _line(self, section: str, key: str | None) -> int | None:
        current = None
        for number, raw in enumerate(self.lines, 1):
            stripped = raw.strip()
            if stripped.startswith("["):
                current = stripped.strip("[] ")
                if current == (f"{section}.{key}" if key else section):
                    return number
            elif key and current == section and stripped.split("=", 1)[0].strip() == key:
                return number
        return None

    def table(self, section: str, keys: tuple[str, ...]) -> dict[str, Any]:
        table = self.data.get(section, {})
        if not isinstance(table, dict):
            raise ContentError(f"{self.where(section)}: must be a table [{section}]")
        unknown = sorted(set(table) - set(keys))
        if unknown:
            raise ContentError(f"{self.where(section, unknown[0])}: unknown key", hint=f"keys of [{section}]: {', '.join(keys)}")
        return table

    def text(self, table: dict[str, Any], section: str, key: str) -> str | None:
        value = table.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ContentError(f"{self.where(section, key)}: {value!r} is not a text", hint=f'write it in quotes, e.g. {key} = "…"')
        return value


def _int_env(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise ContentError(f"{name}: {raw!r} is not a whole number of milliseconds")
    return int(raw)


def _database_url(workspace: Path | None, toml: _Toml) -> str:
    if workspace is None:
        import platformdirs

        data = Path(platformdirs.user_data_dir("crisis", appauthor=False))
        data.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{data / 'crisis.db'}"
    url = toml.text(toml.table("database", ("url",)), "database", "url") or "sqlite:///crisis.db"
    if "://" not in url:
        raise ContentError(f"{toml.where('database', 'url')}: {url!r} is not a database URL",
                           hint='e.g. url = "sqlite:///crisis.db" or "postgresql+psycopg://crisis@db.example.org/crisis"')
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
        url = prefix + str(workspace / url[len(prefix):])
    return url
