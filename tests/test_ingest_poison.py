"""One poison record never takes the rest down: `crisis ingest` end to end, on SQLite and PostgreSQL.

Each record below broke a whole run once (a traceback, exit 6, or good rows swallowed); each must now be
one rejected record named file:line, with every good record stored.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta, timezone

from tests.test_triage_ingest import NOON, mention, stored

AT = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
POISON = [  # (raw JSON line, what the reject must say)
    ('{"id": "p1", "platform": "x", "text": "compte pirat\\u00e9 \\ud800", "created_at": "2026-11-20T09:00:00Z"}',
     "text: contains a lone surrogate (\\ud800) at character 15: the export is damaged there"),
    ('{"id": "p2", "platform": "x", "author": "ana\\u0000", "text": "bonjour", "created_at": "2026-11-20T09:00:00Z"}',
     "author: contains a NUL character at character 4: the export is damaged there"),
    ('{"id": "p3", "platform": "x", "text": "nul \\u0000 here", "created_at": "2026-11-20T09:00:00Z"}',
     "text: contains a NUL character at character 5: the export is damaged there"),
    ('{"id": "p4", "platform": "x", "author_followers": 3000000000, "text": "bonjour", "created_at": "2026-11-20T09:00:00Z"}',
     "author_followers: 3,000,000,000 is more than any account has (at most 2,147,483,647)"),
    ('{"id": "p5", "platform": "x", "text": "compte piraté !!", "created_at": "0001-01-01T00:30:00Z"}',
     "created_at: '0001-01-01T00:30:00Z' is outside 1990-2199: not the date of a mention"),
    ('{"id": "p6", "platform": "x", "text": "compte piraté !!", "created_at": "9999-12-31T23:59:59Z"}',
     "created_at: '9999-12-31T23:59:59Z' is outside 1990-2199: not the date of a mention"),
    ('{"id": "p7", "platform": "x\\ud83d", "text": "bonjour", "created_at": "2026-11-20T09:00:00Z"}',
     "platform: contains a lone surrogate (\\ud83d) at character 2: the export is damaged there"),
    ('{"id": "p8", "platform": "' + "\u0130" * 30 + '", "text": "bonjour", "created_at": "2026-11-20T09:00:00Z"}',
     "platform: 60 characters, at most 40 allowed"),  # lowered, "İ" is two characters: the 40-character column refuses 60
    ('{"id": "' + "9" * 151 + '", "platform": "x", "text": "compte piraté !!", "created_at": "2026-11-20T09:00:00Z"}',
     "id: 151 characters, at most 150 allowed"),  # "x:" + 200 characters would not fit the 200-character thread key
    ('{"id": NaN, "platform": "x", "text": "bonjour", "created_at": "2026-11-20T09:00:00Z"}',
     "id: the number nan cannot be an exact id; write the id as text (in quotes)"),
]


def test_each_poison_jsonl_record_is_one_reject_and_every_good_one_is_stored(workspace, cli, tmp_path, database_url):
    path = tmp_path / "poison.jsonl"
    lines = []
    for n, (raw, _) in enumerate(POISON):
        lines += [mention(f"g{n}", "vous avez été piratés ??" if n == 0 else f"bonjour {n}", AT + timedelta(minutes=n)), raw]
    lines.append('{"id": 14.5, "platform": "x", "text": "merci", "created_at": "2026-11-20T09:30:00Z"}')  # the README: an id may be a number
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rejects = tmp_path / "rejects.jsonl"
    result = cli("ingest", str(path), "--rejects", str(rejects), code=5, report=True, now=NOON)
    assert result.stdout.startswith(f"read {2 * len(POISON) + 1}, ingested {len(POISON) + 1}, duplicates 0, rejected {len(POISON)}\n")
    expected = [f"{path}:{2 * n + 2}: {message}" for n, (_, message) in enumerate(POISON)]
    assert result.stderr.splitlines()[:len(POISON)] == expected
    assert stored(database_url)[0] == len(POISON) + 1
    written = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert [w["where"] for w in written] == [f"{path}:{2 * n + 2}" for n in range(len(POISON))]
    assert "\\ud800" in written[0]["raw"]  # the surrogate stays visible in the rejects file, which is valid UTF-8


def test_an_unclosed_csv_quote_costs_its_own_line_only(workspace, cli, tmp_path, database_url):
    path = tmp_path / "export.csv"
    good = [f"c{n},facebook,bonjour {n},2026-11-20T09:{n % 60:02d}:00Z" for n in range(1000)]
    rows = ["id,platform,text,created_at", 'b1,facebook,"quote never closed,2026-11-20T09:00:00Z', *good,
            'c1000,facebook,"a quoted text, ""with"" quotes\nover two lines",2026-11-20T10:00:00Z']
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = cli("ingest", str(path), code=5, report=True, now=NOON)
    assert result.stdout.startswith("read 1,002, ingested 1,001, duplicates 0, rejected 1\n")
    assert result.stderr.splitlines()[0].startswith(f"{path}:2: line: not valid CSV (")
    assert stored(database_url)[0] == 1001


def test_a_file_named_gz_that_is_not_gzip_says_so(workspace, cli, tmp_path, database_url):
    fake = tmp_path / "fake.gz"
    fake.write_text("id,platform,text,created_at\nc1,x,bonjour,2026-11-20T09:00:00Z\n", encoding="utf-8")
    result = cli("ingest", str(fake), code=5)
    assert result.stderr.startswith(f"Error: {fake}: named .gz but not gzip (it starts with b'id'")
    assert "rename it without .gz" in result.stderr and "missing" not in result.stderr
    real = tmp_path / "real.csv.gz"
    real.write_bytes(gzip.compress(fake.read_bytes()))
    assert cli("ingest", str(real), now=NOON).stdout.startswith("read 1, ingested 1,")
    assert stored(database_url)[0] == 1


def test_a_line_over_the_documented_limit_is_one_reject(workspace, cli, tmp_path, database_url):
    from crisis.triage.readers import MAX_LINE

    path = tmp_path / "long.jsonl"
    huge = json.dumps({"id": "h1", "platform": "x", "text": "a" * MAX_LINE, "created_at": "2026-11-20T09:00:00Z"})
    path.write_text(mention("g1", "bonjour", AT) + "\n" + huge + "\n" + mention("g2", "merci", AT) + "\n", encoding="utf-8")
    result = cli("ingest", str(path), code=5, report=True, now=NOON)
    assert result.stderr.splitlines()[0] == f"{path}:2: line: longer than {MAX_LINE:,} bytes"
    assert stored(database_url)[0] == 2


def test_three_hundred_random_hostile_records_store_exactly_the_valid_ones(workspace, cli, tmp_path, database_url):
    """Every field drawn from hostile values, matching texts among them: the run ends (0 or 5, never 6), and what
    is stored is exactly what the validator accepted, on SQLite and PostgreSQL."""
    import random

    from crisis.triage.records import BadField, fields
    from tests.hostile import WRONG

    rng = random.Random(15)
    texts = ["compte piraté !! " + "\u0130" * 40, "vous avez été hackés \u202e\u0301 🙃", "arnaque " + "ß" * 300, "ok\uffff",
             "compte piraté", "\x1b[2J scandale chez Acme", "a" * 20_000]
    pools = {"platform": ["x", "X", "İnstagram", "ı" * 40, "facebook "], "author": ["ana", "İ" * 200, " ", "\u200f"],
             "lang": ["fr", "EN", "İİİİ", "fr-FR-x"], "thread_id": ["t1", "İ" * 150, "9" * 150], "url": ["https://x.com/a", "http://"]}
    records, valid = [], 0
    for n in range(300):
        record = {"id": f"r{n}" if rng.random() < 0.9 else rng.choice(WRONG), "text": rng.choice(texts),
                  "platform": rng.choice(pools["platform"]), "created_at": f"2026-11-20T09:{n % 60:02d}:00Z"}
        for name in ("author", "lang", "thread_id", "url", "author_followers", "rating", "own_account"):
            if rng.random() < 0.3:
                record[name] = rng.choice(pools.get(name, []) + WRONG)
        if rng.random() < 0.1:
            record[rng.choice(sorted(record))] = rng.choice(WRONG)
        records.append(json.dumps(record, default=str))
        try:
            fields(json.loads(records[-1]))  # what the file will say, once written
            valid += 1
        except BadField:
            pass
    path = tmp_path / "random.jsonl"
    path.write_text("\n".join(records) + "\n", encoding="utf-8")
    result = cli("ingest", str(path), code=5 if valid < 300 else 0, report=True, now=NOON)
    assert result.stdout.startswith(f"read 300, ingested {valid}, duplicates 0, rejected {300 - valid}\n")
    assert stored(database_url)[0] == valid and 20 < valid < 300
