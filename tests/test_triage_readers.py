"""Readers: JSON Lines and CSV, gzip, every bad record named file:line: field: problem, never a traceback."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisis.errors import CrisisError, ContentError, NotFoundError
from crisis.triage.readers import MAX_TEXT, Columns, Mention, Reject, read_mentions

GOOD = {"id": "x-1", "platform": "X", "text": "vous avez été piratés ?", "created_at": "2026-11-20T10:00:00Z"}


def records(path: Path, **kw) -> list[Mention | Reject]:
    return list(read_mentions(str(path), **kw))


def test_a_good_record_is_read_with_its_types(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({**GOOD, "author_followers": 12000, "rating": 1, "own_account": True, "id": 42,
                                "sentiment": "Negative", "extra_column": "ignored"}) + "\n", encoding="utf-8")
    [mention] = records(path)
    assert isinstance(mention, Mention)
    assert (mention.id, mention.platform, mention.author_followers, mention.rating, mention.own_account, mention.sentiment) == \
        ("42", "x", 12000, 1, True, "negative")
    assert mention.created_at.isoformat() == "2026-11-20T10:00:00+00:00" and (mention.source, mention.line) == (str(path), 1)


@pytest.mark.parametrize("record,message", [
    ({k: v for k, v in GOOD.items() if k != "text"}, "text: missing (required)"),
    ({**GOOD, "created_at": "yesterday"}, "created_at: 'yesterday' is not an ISO 8601 time (e.g. 2026-11-20T10:00:00Z)"),
    ({**GOOD, "author_followers": "lots"}, "author_followers: expected a whole number ≥ 0, got 'lots'"),
    ({**GOOD, "author_followers": -3}, "author_followers: expected a whole number ≥ 0, got -3"),
    ({**GOOD, "rating": 9}, "rating: expected a number from 1 to 5, got 9"),
    ({**GOOD, "own_account": "maybe"}, "own_account: expected true or false, got 'maybe'"),
    ({**GOOD, "text": ["a", "list"]}, "text: expected text, got a list"),
    ({**GOOD, "url": "javascript:alert(1)"}, "url: 'javascript:alert(1)' is not an http(s) address"),
    ({**GOOD, "sentiment": "angry"}, "sentiment: expected one of positive, neutral, negative, got 'angry'"),
    ({**GOOD, "text": "x" * (MAX_TEXT + 1)}, f"text: {MAX_TEXT + 1:,} characters, at most {MAX_TEXT:,} allowed"),
])
def test_each_bad_field_is_named_with_its_line(tmp_path, record, message):
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(record) + "\n", encoding="utf-8")
    good, bad = records(path)
    assert isinstance(good, Mention) and isinstance(bad, Reject)
    assert str(bad) == f"{path}:2: {message}"


@pytest.mark.parametrize("written", [
    "2024-03-05T15:03:00+01:00", "2024-03-05 14:03:00", "2024-03-05T14:03:00.000Z", 1709647380, 1709647380000, "1709647380",
    "Tue, 05 Mar 2024 15:03:00 +0100", "Tue, 05 Mar 2024 14:03:00 GMT", "Tue Mar 05 14:03:00 +0000 2024",
])
def test_the_instants_exports_write_are_read_as_the_same_utc_time(tmp_path, written):
    """ISO 8601, Unix time (seconds, milliseconds, digits in a CSV), RSS's RFC 2822 and the Twitter API's form: one instant."""
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({**GOOD, "created_at": written}) + "\n", encoding="utf-8")
    [mention] = records(path)
    assert mention.created_at.isoformat() == "2024-03-05T14:03:00+00:00"


@pytest.mark.parametrize("written", ["05/03/2024 14:03", "03/05/2024", "Tuesday afternoon", 12, "123456789"])
def test_an_instant_that_cannot_be_told_is_refused(tmp_path, written):
    """A day-first or month-first date is ambiguous; a small number or 9 digits is no mention's date."""
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({**GOOD, "created_at": written}) + "\n", encoding="utf-8")
    [bad] = records(path)
    assert isinstance(bad, Reject) and bad.field == "created_at"


def test_a_tweet_dump_is_read_through_dotted_paths_into_its_nested_objects(tmp_path):
    """An API dump nests the author: `--field author=user.screen_name` reaches into it; a key that holds a dot itself wins."""
    tweet = {"id_str": "1765", "full_text": "@acme your account got hacked?", "created_at": "Tue Mar 05 14:03:00 +0000 2024",
             "user": {"screen_name": "lea", "followers_count": 1200}, "user.lang": "fr"}
    path = tmp_path / "dump.jsonl"
    path.write_text(json.dumps(tweet) + "\n" + json.dumps({**tweet, "id_str": "1766", "user": "gone"}) + "\n", encoding="utf-8")
    columns = Columns.parse(["id=id_str", "text=full_text", "author=user.screen_name", "author_followers=user.followers_count",
                             "lang=user.lang"], platform="x")
    first, second = records(path, columns=columns)
    assert (first.id, first.author, first.author_followers, first.lang, first.platform) == ("1765", "lea", 1200, "fr", "x")
    assert first.created_at.isoformat() == "2024-03-05T14:03:00+00:00"
    assert (second.author, second.author_followers) == (None, None)  # a path that leads nowhere is a field left empty


def test_broken_lines_are_named_and_the_good_ones_kept(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_bytes(b"\n".join([json.dumps(GOOD).encode(), b"{not json", b'{"id": "\xff\xfe"}', b"[1, 2]",
                                 json.dumps({**GOOD, "id": "x-2"}).encode(), b""]))
    out = records(path)
    assert [str(r) for r in out if isinstance(r, Reject)] == [
        f"{path}:2: line: not JSON (Expecting property name enclosed in double quotes)",
        f"{path}:3: line: not valid UTF-8 (byte 9)",
        f"{path}:4: line: a JSON list, expected an object with id, platform, text, created_at"]
    assert [r.id for r in out if isinstance(r, Mention)] == ["x-1", "x-2"]


def test_a_ten_megabyte_line_is_rejected_without_being_kept(tmp_path):
    path = tmp_path / "m.jsonl"
    with path.open("wb") as out:
        out.write(json.dumps({**GOOD, "text": "a" * 10_000_000}).encode() + b"\n" + json.dumps({**GOOD, "id": "ok"}).encode() + b"\n")
    bad, good = records(path)
    assert str(bad) == f"{path}:1: line: longer than 1,000,000 bytes" and good.id == "ok"


def test_csv_with_header_gzip_and_quoted_newlines(tmp_path):
    path = tmp_path / "m.csv.gz"
    text = ("id,platform,text,created_at,rating,own_account\n"
            'r1,google,"Faux avis,\nà fuir",2026-11-20T09:00:00+01:00,1,no\n'
            "r2,google,ok,2026-11-20T09:00:00,six,\n"
            "r3,google,too,many,columns,here,really\n")
    path.write_bytes(gzip.compress(text.encode()))
    first, second, third = records(path)
    assert isinstance(first, Mention) and first.text == "Faux avis,\nà fuir" and first.created_at.hour == 8 and not first.own_account
    assert str(second) == f"{path}:4: rating: expected a number from 1 to 5, got 'six'"
    assert str(third) == f"{path}:5: line: 7 columns, the header has 6"


def test_a_csv_without_a_required_column_is_refused_as_a_whole(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("id,platform,text\n1,x,hello\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"m\.csv:1: header: missing column created_at"):
        records(path)


def test_stdin_and_a_missing_file(tmp_path):
    stdin = io.BytesIO(gzip.compress((json.dumps(GOOD) + "\n").encode()))
    [mention] = list(read_mentions("-", stdin=stdin))
    assert mention.source == "<stdin>"
    with pytest.raises(NotFoundError, match="nope.jsonl: no such file"):
        records(tmp_path / "nope.jsonl")


def test_a_gzip_file_cut_short_is_reported(tmp_path):
    path = tmp_path / "m.jsonl.gz"
    path.write_bytes(gzip.compress((json.dumps(GOOD) + "\n").encode() * 50)[:-30])
    with pytest.raises(ContentError, match="the gzip stream is damaged or cut short"):
        records(path)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000), fmt=st.sampled_from(["jsonl", "csv", None]), zipped=st.booleans())
def test_arbitrary_bytes_give_records_or_our_errors(tmp_path, data, fmt, zipped):
    """Whatever the bytes, reading yields mentions and rejects, or raises a CrisisError: never a traceback."""
    path = tmp_path / "any.bin"
    path.write_bytes(gzip.compress(data) if zipped else data)
    try:
        for record in read_mentions(str(path), fmt=fmt):
            assert isinstance(record, (Mention, Reject))
            if isinstance(record, Reject):
                assert str(record).startswith(f"{path}:{record.line}: {record.field}: ")
    except CrisisError:
        pass


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                           max_leaves=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(record=st.dictionaries(st.sampled_from(["id", "platform", "text", "created_at", "author_followers", "rating", "url",
                                               "own_account", "lang", "sentiment", "thread_id", "in_reply_to", "author"]),
                              JSON_VALUES, max_size=13))
def test_arbitrary_records_are_accepted_or_named(tmp_path, record):
    """Any JSON object is either a valid mention or a reject naming one of its fields."""
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({**GOOD, **record}) + "\n", encoding="utf-8")
    [out] = records(path)
    if isinstance(out, Reject):
        assert out.field in {*record, *GOOD}
    else:
        assert out.text.strip() and out.created_at.tzinfo is not None


_JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)


@settings(max_examples=150, deadline=None)
@given(record=st.dictionaries(st.sampled_from(["id", "platform", "text", "created_at", "author_followers", "rating", "lang", "x"]),
                              _JSON_VALUES, max_size=8))
def test_a_line_is_read_as_json_reads_it(record):
    """orjson reads the lines, json where they could differ: integers past 64 bits, NaN, lone surrogates, 1e400."""
    from crisis.triage.readers import _parsed

    line = json.dumps(record, ensure_ascii=bool(len(record) % 2))
    assert repr(_parsed(line)) == repr(json.loads(line))
    for tricky in ('{"id": 123456789012345678901234567890}', '{"id": -9223372036854775809}', '{"id": NaN}',
                   '{"text": "\\ud800"}', '{"rating": 1e400}', '{"id": 18446744073709551616}'):
        assert repr(_parsed(tricky)) == repr(json.loads(tricky))
