"""Hostile inputs for every reader and loader of crisis, and the targets that read them.

`cases(rng)` yields (target, bytes) without end: the valid seeds (shipped playbooks, roster,
manifests, sample mentions, a review), mutated with what the probes used: invalid UTF-8, lone
surrogates, NUL, BOM and CRLF, NaN and inf, deep nesting, YAML anchors and aliases (the billion
laughs), `!!python` tags, wrong types in every field, cuts and shuffles. `run(target, data, folder)`
reads it as crisis would; only a CrisisError may come out. Used by tests/test_fuzz_inputs.py (a
sample) and bench/fuzz_inputs.py (100,000 cases and more).
"""

from __future__ import annotations

import copy
import functools
import gzip
import io
import json
import math
import random
import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from crisis.incident.review_file import load_review_file
from crisis.oncall.roster import load_roster
from crisis.playbook.loader import load_playbook
from crisis.replies.manifest import load_manifest
from crisis.triage.readers import Reject, read_mentions
from crisis.yamlfile import LOADER

DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
ROOT = Path(__file__).resolve().parent.parent
REVIEW = ("what_happened: Le mot de passe d'un ancien stagiaire a été réutilisé.\nwhat_gained: 2FA partout.\n"
          "follow_ups:\n  - {action: Comptes nominatifs, owner: ana, due: 2026-12-15}\n")
BILLION_LAUGHS = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"{n}: &{n} [{','.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))
TOKENS = [b"\xff", b"\xfe\xff", b"\xed\xa0\x80", b"\xc3", b"\x00", b"\xef\xbb\xbf", b"\r\n", b"\r", b"\t", b"\x1b]0;x\x07",
          b"\\ud800", b"\\udfff\\ud800", b"\\u0000", b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-0", b"9" * 5000,
          b'"', b"'", b",", b"{", b"}", b"[", b"]", b":", b"- ", b"&a ", b"*a", b"<<: *a", b"!!python/object/apply:os.system [id]",
          b"!!python/name:os.system", b"!!binary aGk=", b"!!set {a}", b"!!omap [a: 1]", b"? [a, b]\n: c", b"%YAML 1.1\n---",
          b"2026-02-30", b"0001-01-01T00:00:00Z", b"9999-12-31T23:59:59Z", b"\xe2\x80\xae", b"\xc2\x9b", b"~", b"null", b"yes"]
WRONG = [None, True, False, 0, -1, 2**31, 2**64, 10**30, 1.5, math.nan, math.inf, -math.inf, "", " ", "x" * 25_000, "\x00",
         "\ud800", "SEV9", "2026-02-30", "0001-01-01T00:00:00Z", "javascript:alert(1)", [], [None], [[[]]], {}, {"a": {"b": []}},
         date(2026, 2, 28), ["x"] * 50]


def seeds() -> dict[str, list[bytes]]:
    """The valid inputs each target starts from."""
    lines = (ROOT / "samples" / "mentions.jsonl").read_bytes().splitlines()
    records = [json.loads(line) for line in lines[:12]]
    header = ["id", "platform", "author", "author_followers", "text", "created_at", "rating", "own_account"]
    csv_rows = ",".join(header) + "\n" + "".join(",".join(json.dumps(r.get(k, ""), ensure_ascii=False) if k == "text"
                                                            else str(r.get(k, "")) for k in header) + "\n" for r in records)
    return {
        "mentions.jsonl": [b"\n".join(lines[i:i + 4]) + b"\n" for i in range(0, 12, 4)],
        "mentions.csv": [csv_rows.encode()],
        "mentions.gz": [b"\n".join(lines[:6]) + b"\n"],
        "playbook": [(ROOT / "playbooks" / "hijacked_account.yaml").read_bytes(), (ROOT / "playbooks" / "activist_attack.yaml").read_bytes()],
        "roster": [(ROOT / "oncall.example.yaml").read_bytes()],
        "manifest": [p.read_bytes() for p in sorted((ROOT / "templates").glob("*/replies.yaml"))[:3]],
        "review": [REVIEW.encode()],
    }


def run(target: str, data: bytes, folder: Path) -> Any:
    """Read `data` as crisis reads the file of `target`, to the end. Raises CrisisError (anything else is a bug)."""
    if target.startswith("mentions."):
        fmt = {"mentions.jsonl": "jsonl", "mentions.csv": "csv"}.get(target)
        stream = io.BytesIO(gzip.compress(data, compresslevel=1) if target == "mentions.gz" else data)
        records = list(read_mentions("-", fmt=fmt, stdin=stream))
        rejected = sum(isinstance(r, Reject) for r in records)
        return f"{len(records) - rejected} read, {rejected} rejected"
    named = re.search(rb"^id: *([a-z_]{1,64}) *$", data, re.MULTILINE) if target == "playbook" else None  # the file is named by its id
    name = {"playbook": f"{named.group(1).decode() if named else 'probe'}.yaml", "roster": "oncall.yaml", "manifest": "replies.yaml",
            "review": "review.yaml"}[target]
    (folder / name).write_bytes(data)
    loader: Callable[[], Any] = {"playbook": lambda: load_playbook(folder / name), "roster": lambda: load_roster(folder / name),
                                 "manifest": lambda: load_manifest(folder), "review": lambda: load_review_file(folder / name)}[target]
    return loader()


def cases(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    """(target, hostile bytes), without end."""
    pool = seeds()
    targets = sorted(pool)
    while True:
        target = rng.choice(targets)
        seed = rng.choice(pool[target])
        yield target, rng.choice(_MUTATIONS)(rng, target, seed)


def _insert(rng: random.Random, target: str, seed: bytes) -> bytes:
    out = seed
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(out) + 1)
        out = out[:at] + rng.choice(TOKENS) + out[at:]
    return out


def _wrong_type(rng: random.Random, target: str, seed: bytes) -> bytes:
    """One field of the seed, anywhere in it, given a value of another type."""
    if target.startswith("mentions.") and target != "mentions.csv":
        lines = seed.splitlines()
        i = rng.randrange(len(lines))
        record = json.loads(lines[i])
        record[rng.choice(sorted(record) + ["author_followers", "rating", "own_account", "url"])] = rng.choice(WRONG)
        lines[i] = json.dumps(record, ensure_ascii=rng.random() < 0.5, default=str).encode("utf-8", "surrogatepass")
        return b"\n".join(lines) + b"\n"
    if target == "mentions.csv":
        lines = seed.splitlines()
        i = rng.randrange(1, len(lines))
        cells = lines[i].split(b",")
        cells[rng.randrange(len(cells))] = str(rng.choice(WRONG)).encode("utf-8", "surrogatepass")[:30_000]
        lines[i] = b",".join(cells)
        return b"\n".join(lines) + b"\n"
    data = copy.deepcopy(_parsed(seed))
    _replace_somewhere(rng, data, rng.choice(WRONG))
    unicode = rng.random() < 0.5
    try:
        return yaml.dump(data, Dumper=DUMPER, allow_unicode=unicode, sort_keys=False).encode("utf-8", "surrogatepass")
    except UnicodeEncodeError:  # libyaml cannot write a lone surrogate: the Python emitter writes it as an escape
        return yaml.dump(data, Dumper=yaml.SafeDumper, allow_unicode=unicode, sort_keys=False).encode("utf-8", "surrogatepass")


@functools.cache
def _parsed(seed: bytes) -> Any:
    return yaml.load(seed.decode("utf-8"), Loader=LOADER)  # noqa: S506  (the safe loader crisis uses)


def _replace_somewhere(rng: random.Random, data: Any, value: Any) -> None:
    node = data
    for _ in range(rng.randint(1, 6)):
        keys = list(node) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
        if not keys:
            break
        key = rng.choice(keys)
        if not isinstance(node[key], (dict, list)) or rng.random() < 0.3:
            node[key] = value
            return
        node = node[key]


def _structure(rng: random.Random, target: str, seed: bytes) -> bytes:
    """Deep nesting, aliases and bombs, tags, BOM and CRLF, cuts and shuffles."""
    kind = rng.randrange(7)
    if kind == 0:
        depth = rng.choice([50, 1_000, 100_000])
        return (b"[" * depth + b"]" * depth) if rng.random() < 0.5 else (b'{"a":' * depth + b"1" + b"}" * depth)
    if kind == 1:
        return BILLION_LAUGHS.encode() + (b"people: *i\n" if target == "roster" else b"id: *i\n")
    if kind == 2:
        return b"\xef\xbb\xbf" + seed.replace(b"\n", b"\r\n")
    if kind == 3:
        return seed[:rng.randrange(len(seed) + 1)]
    if kind == 4:
        lines = seed.splitlines(keepends=True)
        rng.shuffle(lines)
        return b"".join(lines)
    if kind == 5:
        return b"&a [*a]\n" if rng.random() < 0.5 else b"a: &a {b: *a}\n"
    return rng.randbytes(rng.randint(0, 300))


_MUTATIONS = [_insert, _insert, _wrong_type, _wrong_type, _structure]


def huge_line(target: str, size: int = 100_000_000) -> bytes:
    """A line of `size` bytes (100 MB by default) between two good lines of the target's first seed."""
    seed = seeds()[target][0]
    head, _, tail = seed.partition(b"\n")
    filler = b'{"id": "h", "text": "' + b"a" * size + b'"}' if target.startswith("mentions.") else b"x: " + b"a" * size
    return head + b"\n" + filler + b"\n" + tail
