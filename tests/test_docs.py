"""The documentation tells the truth: every command has help with an example and is in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

from crisis.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def leaf_commands(group=None, prefix=()):
    group = group or typer.main.get_command(app)
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from leaf_commands(command, (*prefix, name))
        else:
            yield " ".join((*prefix, name)), command


COMMANDS = sorted(leaf_commands(), key=lambda pair: pair[0])


@pytest.mark.parametrize("name,command", COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_has_help_ending_with_an_example(name, command):
    assert command.help, f"crisis {name} has no help"
    example = command.help.strip().splitlines()[-1]
    assert example.startswith("Example: crisis "), f"crisis {name}: the help should end with 'Example: crisis …'"


@pytest.mark.parametrize("name", [n for n, _ in COMMANDS])
def test_the_readme_names_every_command(name):
    section = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    last = name.split()[-1]
    assert re.search(rf"`crisis {re.escape(name)}\b", section) or re.search(rf"`{re.escape(last)}[` ]", section), \
        f"crisis {name} is missing from the README's Commands section"


def test_the_readme_opens_with_the_two_commands_and_ci_runs_the_second():
    blocks = re.findall(r"```sh\n(.+?)\n```", README, re.S)
    main_job, tests = blocks[0], blocks[1]
    assert README.index(main_job) < 400, "the two commands come first"
    assert main_job.endswith("crisis demo") and "pip install ." in main_job
    assert tests.endswith("pytest")
    assert tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_exit_code_is_documented():
    from crisis import errors

    codes = {cls.exit_code for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.CrisisError)}
    table = README.split("### Exit codes", 1)[1]
    for code in codes | {0}:
        assert re.search(rf"^\| {code} \|", table, re.M), f"exit code {code} is not in the README"


def readme_walk() -> list[str]:
    """The lines of the README's "A responder's session" block."""
    section = README.split("## A responder's session", 1)[1]
    return re.search(r"```sh\n(.+?)\n```", section, re.S)[1].splitlines()


def test_the_responders_session_runs_as_written(tmp_path, monkeypatch, database_url):
    """Each line of the README's walk, in a fresh workspace, exits as its comment says (0 unless `exit N`)."""
    import shlex

    from typer.testing import CliRunner

    from crisis.cli import app, context

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRISIS_DATABASE_URL", database_url)
    for name in ("CRISIS_NOW", "CRISIS_USER", "CRISIS_LANG"):
        monkeypatch.delenv(name, raising=False)
    context.reset()
    runner, env = CliRunner(), {}
    for line in readme_walk():
        command, _, comment = line.partition("#")
        expected = int(re.search(r"exit (\d)", comment)[1]) if re.search(r"exit (\d)", comment) else 0
        for part in command.split("&&"):
            words = shlex.split(part)
            if words[0] == "export":
                key, value = words[1].split("=", 1)
                env[key] = value
                continue
            if words[0] == "cd":
                monkeypatch.chdir(words[1])
                context.settings.cache_clear()
                continue
            assert words[0] == "crisis", line
            result = runner.invoke(app, words[1:], env=env)
            assert result.exit_code == expected, f"{line}\n{result.stdout}\n{result.stderr}"
    context.reset()


def test_the_lazy_command_table_names_exactly_what_each_module_registers():
    """`crisis show` imports one module because COMMANDS says which: a command added to a module and not to the
    table would be missing from `crisis --help`, one left in the table after its removal would fail to load."""
    from crisis.cli.app import COMMANDS, mount

    by_module: dict = {}
    for name, where in COMMANDS.items():
        by_module.setdefault(where if isinstance(where, str) else where, set()).add(name)
    for where, names in by_module.items():
        holder = typer.Typer()
        mount(sorted(names)[0], holder)
        holder.command("_")(lambda: None)
        registered = set(typer.main.get_group(holder).commands) - {"_"}
        if isinstance(where, tuple):
            registered = {n for n in registered if n in names}
        assert registered == names, f"crisis.cli.{where}: registers {sorted(registered)}, COMMANDS says {sorted(names)}"


def test_show_loads_only_what_it_uses(tmp_path):
    """`crisis show` in a fresh interpreter imports neither the other command modules nor their libraries."""
    import subprocess
    import sys

    probe = ("import sys\nfrom crisis.cli import app\ntry:\n    app(['show', 'INC-0001'], prog_name='crisis')\n"
             "except SystemExit as exc:\n    assert exc.code == 0, exc.code\nprint(' '.join(sorted(sys.modules)))")
    subprocess.run([sys.executable, "-m", "crisis", "init", str(tmp_path / "ws")], check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "crisis", "open", "-p", "hijacked_account", "-t", "Compte piraté", "--as", "ana"],
                   cwd=tmp_path / "ws", check=True, capture_output=True)
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path / "ws", capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}).stdout.split()
    assert "crisis.cli.incidents" in loaded
    heavy = {"crisis.cli.drills", "crisis.cli.reports", "crisis.cli.triage", "crisis.cli.replies", "jinja2", "pygal",
             "lark", "rapidfuzz", "alembic", "rich", "crisis.triage.service", "crisis.drill.simulator"}
    assert heavy.isdisjoint(loaded), sorted(heavy & set(loaded))


def test_the_collector_waits_for_startup_only(monkeypatch):
    """`crisis` pauses the cyclic collector while it starts, and never leaves it off: not after the command, and not
    for a command that runs past the startup second (it gets it back, startup objects frozen)."""
    import gc
    import time
    from importlib import import_module

    app_module = import_module("crisis.cli.app")  # the module: the package's `app` is the Typer application

    monkeypatch.setattr(app_module, "STARTUP_SECONDS", 0.05)
    seen = []
    monkeypatch.setattr(app_module, "app", lambda **_: seen.append(gc.isenabled()) or time.sleep(0.3) or seen.append(gc.isenabled()))
    with pytest.raises(SystemExit):
        app_module.main()
    assert seen == [False, True] and gc.isenabled()
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
