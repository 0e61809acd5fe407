"""Workspaces: found walking up like git, shipped content otherwise, init never overwrites."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis.errors import ContentError
from crisis.settings import load_settings, shipped_content


def test_the_workspace_is_found_from_a_subdirectory(tmp_path):
    (tmp_path / "crisis.toml").write_text('[workspace]\nbrand = "Acme"\nlang = "fr"\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    settings = load_settings(deep, env={})
    assert settings.workspace == tmp_path and settings.brand == "Acme" and settings.lang == "fr"
    assert settings.database_url == f"sqlite:///{tmp_path / 'crisis.db'}"
    assert settings.playbooks_dir == tmp_path / "playbooks"


def test_without_a_workspace_the_shipped_content_and_user_data_dir_are_used(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    settings = load_settings(tmp_path, env={"XDG_DATA_HOME": str(tmp_path / "data")})
    assert settings.workspace is None
    assert settings.content == shipped_content() and (settings.playbooks_dir / "hijacked_account.yaml").is_file()
    assert settings.database_url.endswith("/crisis.db") and settings.database_url.startswith("sqlite:///")


def test_the_environment_overrides_the_database_and_language(tmp_path):
    (tmp_path / "crisis.toml").write_text('[workspace]\nlang = "fr"\n[database]\nurl = "sqlite:///other.db"\n')
    assert load_settings(tmp_path, env={}).database_url == f"sqlite:///{tmp_path / 'other.db'}"
    settings = load_settings(tmp_path, env={"CRISIS_DATABASE_URL": "postgresql+psycopg://x@h/db", "CRISIS_LANG": "en"})
    assert (settings.database_url, settings.lang) == ("postgresql+psycopg://x@h/db", "en")


@pytest.mark.parametrize("text,message", [
    ("[workspace\n", "crisis.toml: Expected ']'"),
    ('[workspace]\nlang = "de"\n', "workspace.lang: language 'de' is not one of fr, en"),
])
def test_a_broken_crisis_toml_is_named(tmp_path, text, message):
    (tmp_path / "crisis.toml").write_text(text)
    with pytest.raises(ContentError, match=message):
        load_settings(tmp_path, env={})


def test_init_copies_the_content_and_refuses_to_overwrite(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("CRISIS_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    cli("init", str(tmp_path / "ws"), "--brand", "Acme", "--lang", "fr")
    assert {p.name for p in (tmp_path / "ws").iterdir()} >= {"crisis.toml", "playbooks", "templates", "drills"}
    assert 'brand = "Acme"' in (tmp_path / "ws" / "crisis.toml").read_text()
    (tmp_path / "ws" / "playbooks" / "hijacked_account.yaml").write_text("# mine\n")
    result = cli("init", str(tmp_path / "ws"), code=2)
    assert "already has crisis.toml, playbooks, templates, drills; crisis init never overwrites" in result.stderr
    assert (tmp_path / "ws" / "playbooks" / "hijacked_account.yaml").read_text() == "# mine\n"


def test_a_database_that_cannot_be_opened_is_a_storage_error(tmp_path, cli, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("CRISIS_DATABASE_URL", f"sqlite:///{tmp_path / 'file' / 'crisis.db'}")
    from crisis.cli import context

    context.reset()
    result = cli("list", code=6)
    assert result.stderr.startswith("Error: cannot create the folder of database sqlite:///") and "File exists" in result.stderr
    context.reset()
