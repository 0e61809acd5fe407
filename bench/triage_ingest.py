"""Ingest throughput: `crisis ingest` of 200,000 mentions into SQLite, end to end, against a bare sqlite3 executemany.

    python bench/triage_ingest.py [--stream chatter|airline|half ...] [--mentions 200000] [--batch 5000] [--storage-share]

Writes a stream to a temporary folder, then runs the real command on a fresh workspace (its database made
by a first `crisis list`), as a separate process, as a user would (the throughput figure, start-up
included): reading, validation, folding, matching, dedup, incidents, spikes, commits. The streams:
- chatter: synthetic French and English chatter, 2% of it a hijack, a bad buzz and fake reviews in threads;
- airline: the real airline tweets (../shared/datasets, read at run time, never copied), mostly quiet,
  cycled with fresh ids up to --mentions (a tweet comes back every 14,640 mentions, as retweets do);
- half: a crisis on: half of the mentions are varied incident posts (bench/triage_classify.py builds
  them from parts), the other half airline tweets.
The reference inserts the same rows, already parsed, with sqlite3's executemany in one transaction into
a table of the same shape, in the same run. --storage-share runs the ingest again in-process with
SQLAlchemy's events timing what SQLAlchemy and SQLite spend (statements, with SQLAlchemy's compiling and
parameter processing; the bulk rows' driver SQL, from the cursor's start to its end; and commits; the
instrumentation slows that run down).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from crisis.cli import app, context
from triage_classify import airline_tweets, incident_posts  # bench/ is the script's folder

CHATTER = {
    "en": ["thanks for the quick delivery", "where is my order", "the new store looks great", "any discount this weekend?",
           "my parcel arrived late again", "love the blue jacket", "customer service answered in 5 minutes",
           "can I return a gift without the receipt", "the app keeps logging me out", "best coffee in town honestly"],
    "fr": ["merci pour la livraison rapide", "où en est ma commande", "le nouveau magasin est top", "des promos ce week-end ?",
           "mon colis est encore en retard", "j'adore la veste bleue", "le service client a répondu en 5 minutes",
           "peut-on échanger un cadeau sans ticket", "l'appli me déconnecte sans arrêt", "meilleur café du quartier"],
}
TROUBLE = [("vous avez été piratés ?? c'est quoi ce post", "fr"), ("your account was hacked, weird message from your account", "en"),
           ("scandaaale cette pub #AcmeAd", "fr"), ("who approved this ad?? #AcmeAd", "en"), ("faux avis, des escrocs", "fr"),
           ("worst hotel ever, they are crooks", "en")]


def write_stream(path: Path, count: int, seed: int, kind: str = "chatter") -> None:
    if kind != "chatter":
        return write_texts(path, count, seed, kind)
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            at = start + timedelta(seconds=i * 12)
            if rng.random() < 0.02:
                text, lang = rng.choice(TROUBLE)
                thread = f"t{rng.randrange(50)}"
            else:
                lang = rng.choice(("fr", "en"))
                text, thread = f"{rng.choice(CHATTER[lang])} @acme {rng.randrange(10**6)}", None
            record = {"id": f"m{i}", "platform": rng.choice(("x", "instagram", "facebook")), "text": text,
                      "created_at": at.isoformat(), "author": f"user{rng.randrange(50000)}",
                      "author_followers": rng.randrange(5000), "lang": lang}
            if thread:
                record["thread_id"] = thread
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_texts(path: Path, count: int, seed: int, kind: str) -> None:
    """The airline stream (real tweets, cycled) or the half-matching one (incident posts, then tweets, shuffled)."""
    rng = random.Random(seed)
    tweets = airline_tweets()
    rng.shuffle(tweets)
    texts = [(t, "en") for t in tweets]
    if kind == "half":
        posts = incident_posts(count // 2, rng)
        texts = [(t, "fr" if any(c in t for c in "éèàç") else "en") for t, _ in posts] + [
            texts[i % len(texts)] for i in range(count - len(posts))]  # the quiet half: the tweets, cycled
        rng.shuffle(texts)
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            text, lang = texts[i % len(texts)]
            record = {"id": f"m{i}", "platform": rng.choice(("x", "instagram", "facebook")), "text": text,
                      "created_at": (start + timedelta(seconds=i * 12)).isoformat(), "author": f"user{rng.randrange(50000)}",
                      "author_followers": rng.randrange(5000), "lang": lang}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def parsed_rows(path: Path) -> list[tuple]:
    """The stream's rows as the reference inserts them (built after the ingest: 200,000 live tuples
    would slow the ingest's garbage collector and bias the comparison)."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            at = r["created_at"].replace("T", " ").removesuffix("+00:00")
            rows.append((r["platform"], r["id"], "Acme", r["text"], at, r["author"], r["author_followers"], None, None, r["lang"],
                         False, r.get("thread_id"), None, None, at))
    return rows


class StorageTimer:
    """Time spent in statements (SQLAlchemy's compiling and parameter processing included) and commits,
    without counting a statement inside a commit twice."""

    def __init__(self) -> None:
        self.total = 0.0
        self._statement = self._commit = 0.0
        self._in_commit = False

    def install(self) -> None:
        event.listen(Engine, "before_execute", self.before_statement)
        event.listen(Engine, "after_execute", self.after_statement)
        # the bulk rows go through the driver's own SQL (exec_driver_sql), which fires only the cursor events
        event.listen(Engine, "before_cursor_execute", self.before_driver_sql)
        event.listen(Engine, "after_cursor_execute", self.after_driver_sql)
        event.listen(Session, "before_commit", self.before_commit)
        event.listen(Session, "after_commit", self.after_commit)

    def before_statement(self, *args) -> None:
        self._statement = time.perf_counter()

    def after_statement(self, *args) -> None:
        if not self._in_commit:
            self.total += time.perf_counter() - self._statement

    def before_driver_sql(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if context is not None and context.compiled is None:
            self._statement = time.perf_counter()

    def after_driver_sql(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if context is not None and context.compiled is None and not self._in_commit:
            self.total += time.perf_counter() - self._statement

    def before_commit(self, *args) -> None:
        self._in_commit, self._commit = True, time.perf_counter()

    def after_commit(self, *args) -> None:
        self._in_commit = False
        self.total += time.perf_counter() - self._commit


def bare_sqlite(path: Path, rows: list[tuple]) -> float:
    db = sqlite3.connect(path)
    db.execute("""CREATE TABLE mention (id INTEGER PRIMARY KEY, platform VARCHAR(40) NOT NULL, source_id VARCHAR(200) NOT NULL,
                  brand VARCHAR(120), text TEXT NOT NULL, created_at DATETIME NOT NULL, author VARCHAR(200), author_followers INTEGER,
                  url TEXT, rating INTEGER, lang VARCHAR(8), own_account BOOLEAN NOT NULL, thread_id VARCHAR(200),
                  in_reply_to VARCHAR(200), sentiment VARCHAR(8), ingested_at DATETIME NOT NULL, UNIQUE (platform, source_id))""")
    db.execute("CREATE INDEX ix_mention_created_at ON mention (created_at)")
    start = time.perf_counter()
    with db:
        db.executemany("""INSERT INTO mention (platform, source_id, brand, text, created_at, author, author_followers, url, rating,
                          lang, own_account, thread_id, in_reply_to, sentiment, ingested_at)
                          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stream", action="append", choices=("chatter", "airline", "half"),
                        help="the stream(s) to ingest (repeat it; default: all three)")
    parser.add_argument("--mentions", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5000)  # the CLI default
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--storage-share", action="store_true", help="also time SQLAlchemy and SQLite in an instrumented in-process run")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="crisis-bench-ingest-"))
    runner = CliRunner()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CRISIS_")}, "CRISIS_NOW": "2026-12-01T00:00:00+00:00",
           "CRISIS_ALLOW_FIXED_CLOCK": "yes"}  # a bench replays at its own time, as a rehearsal
    n = args.mentions
    for kind in args.stream or ("chatter", "airline", "half"):
        stream = folder / f"{kind}.jsonl"
        write_stream(stream, n, args.seed, kind)
        workspace = folder / f"{kind}-process"
        assert runner.invoke(app, ["init", str(workspace), "--brand", "Acme"]).exit_code == 0
        # the workspace's database made by a first command, as in any workspace in use: its schema is not the ingest's work
        subprocess.run([sys.executable, "-m", "crisis", "list"], cwd=workspace, env=env, capture_output=True, check=True)
        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "crisis", "ingest", str(stream), "--batch", str(args.batch)], cwd=workspace,
                             env=env, capture_output=True, text=True)
        whole = time.perf_counter() - start
        assert run.returncode == 0, run.stderr
        summary = run.stdout.strip().splitlines()
        bare = bare_sqlite(folder / f"{kind}-bare.db", parsed_rows(stream))
        print(f"[{kind}] {summary[0]}; {summary[1]}; {summary[2].split(':')[0]}")
        print(f"[{kind}] crisis ingest       {n / whole:>9,.0f} mentions/s  ({whole:.1f} s, the whole `crisis ingest` process)")
        print(f"[{kind}] sqlite3 executemany {n / bare:>9,.0f} rows/s      ({bare:.2f} s, the same rows already parsed, one transaction)")
        if args.storage_share:
            storage_share(folder, kind, stream, runner, env, args.batch)


def storage_share(folder: Path, kind: str, stream: Path, runner: CliRunner, env: dict[str, str], batch: int) -> None:
    workspace = folder / f"{kind}-instrumented"
    assert runner.invoke(app, ["init", str(workspace), "--brand", "Acme"]).exit_code == 0
    os.chdir(workspace)
    os.environ.pop("CRISIS_DATABASE_URL", None)
    os.environ["CRISIS_NOW"], os.environ["CRISIS_ALLOW_FIXED_CLOCK"] = env["CRISIS_NOW"], "yes"
    context.reset()
    timer = StorageTimer()
    timer.install()
    start = time.perf_counter()
    result = runner.invoke(app, ["ingest", str(stream), "--batch", str(batch)], catch_exceptions=False)
    elapsed = time.perf_counter() - start
    assert result.exit_code == 0, result.stderr
    print(f"[{kind}] storage share     {timer.total / elapsed:>9.0%}              ({timer.total:.1f} s of {elapsed:.1f} s in the "
          "instrumented in-process run)")


if __name__ == "__main__":
    main()
