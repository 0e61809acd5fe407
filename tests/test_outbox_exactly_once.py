"""Every page received at least once and at most once: a loopback receiver counts the POSTs per idempotency
key while a responder acts on every incident during delivery, two ticks run at once (two processes), or a
tick is killed with SIGKILL at a random moment and run again."""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from crisis.clock import VirtualClock
from crisis.db import open_engine, transaction
from crisis.errors import StorageError
from crisis.incident.service import fire
from crisis.outbox.delivery import WORKERS
from tests.oncall_peers import WebhookPeer

T0 = "2026-11-20T10:00:00+00:00"
ROSTER = """\
roles: {responder: Watches the channels and answers first}
people:
  - {id: ana, name: Ana Martin, roles: [responder], webhook: "URL/ana"}
  - {id: bruno, name: Bruno Leroy, roles: [responder], webhook: "URL/bruno"}
  - {id: claire, name: Claire Dubois, roles: [responder], webhook: "URL/claire"}
policies:
  - id: everyone
    levels:
      - {delay_minutes: 60, targets: [{role: responder}]}
routes:
  - {severities: [SEV1, SEV2, SEV3, SEV4], policy: everyone}
delivery: {attempts: 4, first_retry_seconds: 60, max_retry_seconds: 600}
"""


@pytest.fixture
def receiver():
    peer = WebhookPeer()
    peer.start()
    yield peer
    peer.stop()


def open_incidents(workspace: Path, cli, receiver: WebhookPeer, count: int) -> None:
    """`count` incidents, each paging three people by webhook: 3 × count pages in the outbox."""
    (workspace / "oncall.yaml").write_text(ROSTER.replace("URL", receiver.url), encoding="utf-8")
    for n in range(count):
        cli("open", "-p", "defamatory_review", "-t", f"Fake one-star review #{n}", "--severity", "SEV3")


def tick_process(workspace: Path, now: str = T0) -> subprocess.Popen:
    """`crisis tick` in a process of its own, as cron runs it."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    env.pop("CRISIS_NOW", None)
    return subprocess.Popen([sys.executable, "-m", "crisis", "tick", "--now", now], cwd=workspace, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def outbox_statuses(cli) -> Counter[str]:
    return Counter(n["status"] for n in json.loads(cli("oncall", "outbox", "--json", "--limit", "1000").stdout))


class ActingResponder:
    """A responder acknowledging each incident as soon as its first page arrives, in a thread of their own (the
    receiver answers meanwhile): the incident's version moves while its pages are being delivered."""

    def __init__(self, database_url: str) -> None:
        self.engine, self.acted, self.seen = open_engine(database_url), [], set()
        self.todo: queue.Queue[str | None] = queue.Queue()
        self.thread = threading.Thread(target=self._act)
        self.thread.start()

    def on_post(self, headers: dict[str, str], document: dict) -> None:
        if document["incident"] not in self.seen:
            self.seen.add(document["incident"])
            self.todo.put(document["incident"])

    def _act(self) -> None:
        clock = VirtualClock(datetime.fromisoformat(T0))
        while (ref := self.todo.get()) is not None:
            for _ in range(10):  # a busy database: the responder tries again, as a person would
                try:
                    with transaction(self.engine) as session:
                        fire(session, clock, "ana", ref, "acknowledge")
                except StorageError:
                    continue
                self.acted.append(ref)
                break

    def stop(self) -> None:
        self.todo.put(None)
        self.thread.join()
        self.engine.dispose()


def run_exactly_once(workspace, cli, receiver, database_url, incidents: int) -> dict[str, int]:
    open_incidents(workspace, cli, receiver, incidents)
    responder = ActingResponder(database_url)
    receiver.on_post = responder.on_post
    try:
        ticks = [tick_process(workspace), tick_process(workspace)]
        results = [(p.wait(timeout=300), *p.communicate()) for p in ticks]
    finally:
        responder.stop()
    assert [code for code, _, _ in results] == [0, 0], "\n".join(f"{c}\n{o[-1500:]}\n{e[-3000:]}" for c, o, e in results)
    sent = sum(out.count(": sent (attempt 1)") for _, out, _ in results)
    counts = Counter(receiver.keys.values())
    assert len(receiver.keys) == 3 * incidents and counts == {1: 3 * incidents}, f"POSTs per key: {counts}"
    odd = [line for _, out, _ in results for line in out.splitlines() if "notification #" in line and ": sent (attempt 1)" not in line]
    assert sent == 3 * incidents, f"each page reported sent by one of the ticks, at its first attempt; not: {odd}"
    assert len(responder.acted) == incidents and outbox_statuses(cli) == {"sent": 3 * incidents}
    return {"pages": 3 * incidents, "received": sum(receiver.keys.values()), "sent_by_tick": [o.count(": sent (") for _, o, _ in results]}


def test_five_incidents_two_ticks_at_once_and_a_responder_acting_each_page_once(workspace, cli, receiver, database_url):
    """5 incidents × 3 people, two `crisis tick` processes at once, a responder acknowledging every incident
    during delivery: both ticks exit 0, the receiver counts exactly one POST per page."""
    run_exactly_once(workspace, cli, receiver, database_url, 5)


@pytest.mark.slow
def test_a_hundred_incidents_two_ticks_at_once_and_a_responder_acting_each_page_once(workspace, cli, receiver, database_url):
    figures = run_exactly_once(workspace, cli, receiver, database_url, 100)
    print(f"exactly once, 100 incidents × 3 people, 2 ticks, responder acting: {figures}")


@pytest.mark.slow
def test_a_tick_killed_at_a_random_moment_then_run_again_sends_each_page_at_least_once(workspace, cli, receiver):
    """SIGKILL while pages go out, then a tick after the lease: every page received; the only pages received
    twice are those that were in flight at the kill (at most one per delivery worker), under the same key."""
    incidents = 30
    open_incidents(workspace, cli, receiver, incidents)
    receiver.delay = 0.02  # an answer takes a little while, so the kill lands while messages are in flight
    moment = random.uniform(0.05, 0.5)
    first = tick_process(workspace)
    while not receiver.keys and first.poll() is None:
        time.sleep(0.01)
    time.sleep(moment)
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = sum(receiver.keys.values())
    again = tick_process(workspace, now="2026-11-20T10:10:00+00:00")  # past the 5-minute lease of the killed claims
    assert again.wait(timeout=300) == 0, again.communicate()
    counts = Counter(receiver.keys.values())
    twice = counts.get(2, 0)
    print(f"kill -9 after {moment:.2f} s: {before} POSTs before the kill, {sum(receiver.keys.values())} in all for "
          f"{3 * incidents} pages; received twice: {twice}")
    assert len(receiver.keys) == 3 * incidents, "every page received at least once"
    assert set(counts) <= {1, 2} and twice <= WORKERS, f"POSTs per key: {counts}"
    rows = {n["idempotency_key"]: n for n in json.loads(cli("oncall", "outbox", "--json", "--limit", "1000").stdout)}
    assert {n["status"] for n in rows.values()} == {"sent"}
    assert all(rows[key]["attempts"] == 2 for key, count in receiver.keys.items() if count == 2), "each page received twice was claimed by the killed tick"
