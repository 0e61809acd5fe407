"""Drill schedules: stored in the database, started by `crisis tick` exactly once per occasion, even when two
ticks run at the same moment; listed and removed from the CLI."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

from crisis.clock import VirtualClock
from crisis.errors import CrisisError
from crisis.outbox.recording import recording_notifiers
from crisis.runtime import Runtime
from crisis.scheduler import tick
from crisis.settings import load_settings

T0 = datetime.fromisoformat("2026-11-20T10:00:00+00:00")


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def test_a_due_drill_starts_once_under_two_concurrent_ticks(workspace, cli):
    made = cli("drill", "schedule", "catalogue_2012", "--every", "1d", "--facilitator", "marc", now=at(0))
    assert made.stdout.startswith("schedule #1: catalogue_2012, next drill at 2026-11-21 10:00 UTC")
    cli("tick", now=at(60))  # not due yet
    assert json.loads(cli("drill", "history", "--json", now=at(61)).stdout) == []

    failures: list[BaseException] = []
    due = T0 + timedelta(days=1, minutes=1)

    def one_tick() -> None:
        runtime = Runtime(load_settings(workspace), VirtualClock(due), notifiers=recording_notifiers())
        try:
            tick(runtime)
        except CrisisError as exc:  # the loser of a race on SQLite may be told the database was busy: never a second drill
            failures.append(exc)
        finally:
            runtime.close()

    threads = [threading.Thread(target=one_tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(failures) <= 1
    runs = json.loads(cli("drill", "history", "--json", now=at(24 * 60 + 2)).stdout)
    assert [(r["scenario"], r["status"]) for r in runs] == [("catalogue_2012", "running")]
    cli("tick", now=at(24 * 60 + 3))  # the same occasion again: nothing new
    assert len(json.loads(cli("drill", "history", "--json", now=at(24 * 60 + 4)).stdout)) == 1
    listed = json.loads(cli("drill", "schedules", "--json", now=at(24 * 60 + 5)).stdout)
    assert listed[0]["last_due_at"].startswith("2026-11-21T10:00") and listed[0]["next_due_at"].startswith("2026-11-22T10:00")
    cli("drill", "end", "--as", "marc", now=at(24 * 60 + 6))
    removed = cli("drill", "unschedule", "1", "--as", "claire", now=at(24 * 60 + 6))
    assert removed.stdout.strip() == "schedule #1 (catalogue_2012) removed by claire"
    again = cli("drill", "unschedule", "1", "--as", "claire", now=at(24 * 60 + 7), code=4)
    assert "was removed by claire on 2026-11-21" in again.stderr
    cli("drill", "unschedule", "9", "--as", "claire", now=at(24 * 60 + 7), code=3)
    assert json.loads(cli("drill", "schedules", "--json", now=at(24 * 60 + 7)).stdout) == []
    kept = json.loads(cli("drill", "schedules", "--all", "--json", now=at(24 * 60 + 7)).stdout)
    assert [(s["schedule"], s["removed_by"], s["next_due_at"]) for s in kept] == [(1, "claire", None)]
    assert kept[0]["removed_at"].startswith("2026-11-21T10:06")
    cli("tick", now=at(2 * 24 * 60 + 1))  # the next day's 10:00 has passed: a removed schedule starts nothing
    assert len(json.loads(cli("drill", "history", "--json", now=at(2 * 24 * 60 + 2)).stdout)) == 1


def test_a_bad_schedule_is_refused_with_the_fix(workspace, cli):
    refused = cli("drill", "schedule", "catalogue_2012", "--cron", "every tuesday", now=at(0), code=2)
    assert "not a cron expression" in refused.stderr
    refused = cli("drill", "schedule", "catalogue_2012", "--every", "90d", "--unannounced", now=at(0), code=2)
    assert "--window" in refused.stderr
