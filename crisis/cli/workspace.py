"""`crisis init`: a workspace of one's own, with the shipped playbooks, templates and drills."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from crisis.errors import UsageError
from crisis.settings import CONTENT_DIRS, LANGUAGES, WORKSPACE_FILE, shipped_content

ROSTER_EXAMPLE = "oncall.example.yaml"  # the shipped roster: five people, a weekly rotation, three policies

TOML = """\
# crisis workspace: playbooks/, templates/ and drills/ beside this file are yours to edit and version.
[workspace]
brand = {brand!r}
lang = {lang!r}          # language of checklists, questions and refusals: fr or en
timezone = "Europe/Paris"

[database]
# SQLite file relative to this folder; for a team sharing one state use PostgreSQL, e.g.
# url = "postgresql+psycopg://crisis@db.example.org/crisis"  (or set CRISIS_DATABASE_URL)
url = "sqlite:///crisis.db"

# Replies: where they invite people to continue privately, and where `crisis reply publish --via webhook` posts.
# [replies]
# contact = "care@example.org"
# webhook_url = "https://hooks.example.org/crisis"
"""


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(
    directory: Annotated[Path, typer.Argument(help="Where to create the workspace (created if missing).")] = Path("."),
    brand: Annotated[str, typer.Option(help="The brand this workspace protects.")] = "My Brand",
    lang: Annotated[str, typer.Option(help="fr or en.")] = "en",
) -> None:
    """Create a workspace: crisis.toml plus copies of the shipped playbooks, templates and drills.

    Refuses to overwrite anything. Every crisis command run in DIR or below uses this workspace.

    Example: crisis init acme-crisis --brand Acme --lang fr
    """
    if lang not in LANGUAGES:
        raise UsageError(f"--lang {lang!r}: expected one of {', '.join(LANGUAGES)}")
    if directory.suffix.lower() in (".toml", ".yaml", ".yml") or directory.is_file():
        raise UsageError(f"{directory}: crisis init takes the folder of the workspace, not a file",
                         hint=f"crisis init {directory.parent if str(directory.parent) != '.' else 'acme-crisis'} "
                              f"(it writes {WORKSPACE_FILE} there)")
    existing = [directory / name for name in (WORKSPACE_FILE, *CONTENT_DIRS) if (directory / name).exists()]
    if existing:
        raise UsageError(f"{directory.resolve()} already has {', '.join(p.name for p in existing)}; crisis init never overwrites",
                         hint="choose an empty directory, or move those aside first")
    source = shipped_content()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name in CONTENT_DIRS:
            shutil.copytree(source / name, directory / name, ignore=shutil.ignore_patterns("__pycache__"))
        if (source / ROSTER_EXAMPLE).is_file() and not (directory / ROSTER_EXAMPLE).exists():  # inert until renamed oncall.yaml
            shutil.copyfile(source / ROSTER_EXAMPLE, directory / ROSTER_EXAMPLE)
        (directory / WORKSPACE_FILE).write_text(TOML.format(brand=brand, lang=lang).replace("'", '"'), encoding="utf-8")
    except (OSError, shutil.Error) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"{directory}: the workspace cannot be created there ({why})",
                         hint="choose a folder you can write to, e.g. crisis init ~/acme-crisis") from None
    typer.echo(f"Workspace ready in {directory.resolve()}")
    typer.echo(f"Next: cd {directory} && crisis playbook list")
