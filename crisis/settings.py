"""Where crisis finds its content and its database.

The workspace is the nearest `crisis.toml` walking up from the current directory, as git finds
`.git`. Without one, crisis uses the content shipped in the package and a database in the
user's data directory. `CRISIS_DATABASE_URL` overrides the database either way.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from crisis.errors import ContentError

WORKSPACE_FILE = "crisis.toml"
LANGUAGES = ("fr", "en")
CONTENT_DIRS = ("playbooks", "templates", "drills")


@dataclass(frozen=True)
class Settings:
    workspace: Path | None
    content: Path
    database_url: str
    lang: str = "en"
    brand: str | None = None
    timezone: str = "UTC"
    lock_timeout_ms: int = 5000  # how long to wait for another crisis process holding the database

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
    """Settings for a command run in `cwd`. Raises ContentError for an unreadable crisis.toml."""
    workspace = find_workspace((cwd or Path.cwd()).resolve())
    table: dict = {}
    if workspace is not None:
        table = _read_toml(workspace / WORKSPACE_FILE)
    section = table.get("workspace", {})
    url = env.get("CRISIS_DATABASE_URL") or _database_url(workspace, table.get("database", {}))
    lang = env.get("CRISIS_LANG") or section.get("lang", "en")
    if lang not in LANGUAGES:
        where = "CRISIS_LANG" if env.get("CRISIS_LANG") else f"{workspace / WORKSPACE_FILE}: workspace.lang"
        raise ContentError(f"{where}: language {lang!r} is not one of {', '.join(LANGUAGES)}")
    return Settings(
        workspace=workspace,
        content=workspace if workspace is not None else shipped_content(),
        database_url=url,
        lang=lang,
        brand=section.get("brand"),
        timezone=section.get("timezone", "UTC"),
        lock_timeout_ms=_int_env(env, "CRISIS_LOCK_TIMEOUT_MS", 5000),
    )


def _int_env(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise ContentError(f"{name}: {raw!r} is not a whole number of milliseconds")
    return int(raw)


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{path}: {exc}", hint="fix the TOML syntax, or run `crisis init` in a new directory") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: cannot be read ({exc})") from exc


def _database_url(workspace: Path | None, section: dict) -> str:
    if workspace is None:
        import platformdirs

        data = Path(platformdirs.user_data_dir("crisis", appauthor=False))
        data.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{data / 'crisis.db'}"
    url = section.get("url", "sqlite:///crisis.db")
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
        url = prefix + str(workspace / url[len(prefix):])
    return url
