"""Reading mention streams: JSON Lines or CSV, from a file or stdin (`-`), gzipped or not.

The mention schema (one object per line, or one row per CSV line with a header):

    required  id (text or number), platform (text), text (text), created_at (ISO 8601; UTC if no zone)
    optional  author, author_followers (whole number ≥ 0), url (http/https), rating (1-5),
              lang (fr, en, …), own_account (true/false: the brand's own account wrote it),
              thread_id, in_reply_to, sentiment (positive, neutral or negative)

Unknown fields are ignored (listening tools export many). An export with other names is read
through a `Columns` map (`--field created_at=tweet_created`), and a stream of one platform may
omit `platform` (`--platform x`). Each record is either a `Mention` or a `Reject` naming
`file:line: field: problem`; only a file that cannot be read at all raises.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

from crisis.errors import ContentError, NotFoundError, UsageError

FORMATS = ("jsonl", "csv")
REQUIRED = ("id", "platform", "text", "created_at")
OPTIONAL = ("author", "author_followers", "url", "rating", "lang", "own_account", "thread_id", "in_reply_to", "sentiment")
_OPTIONAL = frozenset(OPTIONAL)
SENTIMENTS = ("positive", "neutral", "negative")
MAX_TEXT = 20_000  # characters: longer than any post or review; a bigger field is an export gone wrong
MAX_LINE = 1_000_000  # bytes a single record may take
_TRUE, _FALSE = ("true", "1", "yes", "oui", "y"), ("false", "0", "no", "non", "n")

@dataclass(frozen=True)
class Mention:
    """One valid mention, and where it was read (`source:line`)."""

    id: str
    platform: str
    text: str
    created_at: datetime
    source: str = ""
    line: int = 0
    author: str | None = None
    author_followers: int | None = None
    url: str | None = None
    rating: int | None = None
    lang: str | None = None
    own_account: bool = False
    thread_id: str | None = None
    in_reply_to: str | None = None
    sentiment: str | None = None

    def as_record(self) -> dict[str, Any]:
        """The mention in the schema above, as a JSON Lines record."""
        record = {k: v for k, v in asdict(self).items() if k not in ("source", "line") and v not in (None, False)}
        record["created_at"] = self.created_at.isoformat()
        return record

@dataclass(frozen=True)
class Reject:
    """A record that cannot be ingested, and why; `raw` is the line as read (for `--rejects`)."""

    source: str
    line: int
    field: str
    problem: str
    raw: str = ""

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.field}: {self.problem}"

@dataclass(frozen=True)
class Columns:
    """How an export names the schema's fields (ours → theirs), and the platform of records that have none."""

    names: Mapping[str, str] = field(default_factory=dict)
    platform: str | None = None

    @classmethod
    def parse(cls, pairs: list[str], *, platform: str | None = None) -> Columns:
        """From `--field OURS=THEIRS` options. Raises UsageError naming the bad one."""
        names: dict[str, str] = {}
        for pair in pairs:
            ours, sep, theirs = pair.partition("=")
            ours, theirs = ours.strip(), theirs.strip()
            if not sep or not ours or not theirs:
                raise UsageError(f"--field {pair!r}: expected OURS=THEIRS, e.g. --field created_at=tweet_created")
            if ours not in REQUIRED + OPTIONAL:
                raise UsageError(f"--field {pair!r}: {ours!r} is not a mention field", hint=f"fields: {', '.join(REQUIRED + OPTIONAL)}")
            names[ours] = theirs
        if platform is not None and not platform.strip():
            raise UsageError("--platform: give the platform's name, e.g. --platform x")
        return cls(names, platform.strip().lower() if platform else None)

    def source(self, ours: str) -> str:
        """The export's name for one of our fields."""
        return self.names.get(ours, ours)

    def named(self, ours: str) -> str:
        """How a reject names a field: the export's column, and ours beside it when they differ."""
        theirs = self.names.get(ours)
        return f"{theirs} ({ours})" if theirs else ours

    def apply(self, record: dict[str, Any]) -> dict[str, Any]:
        if self.names:
            record = {ours: record.get(theirs) for ours, theirs in self.names.items()} | {
                k: v for k, v in record.items() if k not in self.names}
        if self.platform and record.get("platform") in (None, ""):
            record["platform"] = self.platform
        return record


PLAIN = Columns()


class _Bad(Exception):
    def __init__(self, field: str, problem: str) -> None:
        self.field, self.problem = field, problem

def detect_format(name: str, first: bytes) -> str:
    """`jsonl` or `csv`, from the file name, else from the first byte."""
    stem = name.lower().removesuffix(".gz")
    if stem.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if stem.endswith((".csv", ".tsv")):
        return "csv"
    return "jsonl" if first.lstrip()[:1] in (b"{", b"") else "csv"

def open_stream(name: str, *, stdin: BinaryIO | None = None) -> tuple[BinaryIO, BinaryIO]:
    """(the decompressed stream, the raw one for progress). Raises NotFoundError, ContentError."""
    if name == "-":
        raw: BinaryIO = stdin if stdin is not None else sys.stdin.buffer
    else:
        try:
            raw = open(name, "rb")  # noqa: SIM115  (closed by the reader)
        except FileNotFoundError:
            raise NotFoundError(f"{name}: no such file", hint="check the path; use - to read from stdin") from None
        except IsADirectoryError:
            raise UsageError(f"{name} is a directory", hint="name the mention files inside it") from None
        except OSError as exc:
            raise ContentError(f"{name}: cannot be read ({exc.strerror})") from None
    buffered = io.BufferedReader(raw) if not hasattr(raw, "peek") else raw  # type: ignore[arg-type]
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=buffered, mode="rb"), raw  # type: ignore[return-value]
    return buffered, raw  # type: ignore[return-value]

class MentionStream:
    """One mention file (or stdin), read record by record; `position` says how far, for a progress bar."""

    def __init__(self, name: str, *, fmt: str | None = None, stdin: BinaryIO | None = None, columns: Columns = PLAIN) -> None:
        if fmt is not None and fmt not in FORMATS:
            raise UsageError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
        self.name, self.fmt, self._stdin, self.columns = name, fmt, stdin, columns
        self.label = "<stdin>" if name == "-" else name
        self.size: int | None = None if name == "-" else _size(name)
        self._raw: BinaryIO | None = None

    def position(self) -> int:
        """Bytes of the file read so far (compressed bytes for a gzip file)."""
        try:
            return self._raw.tell() if self._raw is not None else 0
        except (OSError, ValueError):
            return 0

    def __iter__(self) -> Iterator[Mention | Reject]:
        """Every record, in order. Raises NotFoundError, ContentError on a stream that cannot be read."""
        stream, self._raw = open_stream(self.name, stdin=self._stdin)
        try:
            first = _peek(stream, self.label)
            kind = self.fmt or detect_format(self.name, first)
            yield from (_read_jsonl if kind == "jsonl" else _read_csv)(stream, self.label, self.columns)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise ContentError(f"{self.label}: the gzip stream is damaged or cut short ({exc or 'unexpected end'})",
                               hint="the records before the damage were read; re-export or re-download the file") from None
        except OSError as exc:
            raise ContentError(f"{self.label}: cannot be read ({exc.strerror or exc})") from None
        finally:
            if self.name != "-":
                self._raw.close()

def read_mentions(name: str, *, fmt: str | None = None, stdin: BinaryIO | None = None,
                  columns: Columns = PLAIN) -> Iterator[Mention | Reject]:
    """Every record of the file `name` (or stdin for `-`), in order. Raises NotFoundError, ContentError."""
    return iter(MentionStream(name, fmt=fmt, stdin=stdin, columns=columns))

def _size(name: str) -> int | None:
    try:
        return Path(name).stat().st_size
    except OSError:
        return None

def _peek(stream: BinaryIO, label: str) -> bytes:
    try:
        return stream.peek(64)[:64] if hasattr(stream, "peek") else b""
    except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        raise ContentError(f"{label}: not a readable gzip file ({exc or 'unexpected end'})") from None

def _lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes), or None in place of a line too long to be a record (read past, never held)."""
    for number, line in enumerate(iter(lambda: stream.readline(MAX_LINE + 1), b""), 1):
        if len(line) > MAX_LINE:
            rest = line
            while rest and not rest.endswith(b"\n"):
                rest = stream.readline(MAX_LINE + 1)
            yield number, None
            continue
        yield number, line

def _read_jsonl(stream: BinaryIO, label: str, columns: Columns) -> Iterator[Mention | Reject]:
    for number, line in _lines(stream):
        if line is None:
            yield Reject(label, number, "line", f"longer than {MAX_LINE:,} bytes", "")
            continue
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Reject(label, number, "line", f"not valid UTF-8 (byte {exc.start + 1})", line.decode("utf-8", "replace").rstrip("\n"))
            continue
        text = text.lstrip("\ufeff") if number == 1 else text
        try:
            record = json.loads(text)
        except (ValueError, RecursionError) as exc:
            yield Reject(label, number, "line", f"not JSON ({getattr(exc, 'msg', 'too deeply nested')})", text.rstrip("\n"))
            continue
        if not isinstance(record, dict):
            yield Reject(label, number, "line", f"a JSON {type(record).__name__}, expected an object with {', '.join(REQUIRED)}", text.rstrip("\n"))
            continue
        yield _validated(record, label, number, text.rstrip("\n"), columns)

def _read_csv(stream: BinaryIO, label: str, columns: Columns) -> Iterator[Mention | Reject]:
    broken: set[int] = set()
    counter = {"line": 0}

    def decoded() -> Iterator[str]:
        for number, line in _lines(stream):
            counter["line"] = number
            if line is None:
                broken.add(number)
                yield "\n"
                continue
            try:
                yield line.decode("utf-8")
            except UnicodeDecodeError:
                broken.add(number)
                yield line.decode("utf-8", "replace")

    reader = csv.reader(decoded(), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise ContentError(f"{label}:1: header: cannot be read as CSV ({exc})") from None
    header = [h.strip().lstrip("\ufeff").lower() for h in header]
    missing = [columns.named(name) for name in REQUIRED if columns.source(name).lower() not in header
               and not (name == "platform" and columns.platform)]
    if missing:
        raise ContentError(f"{label}:1: header: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                           hint=f"a mention CSV needs a header with at least: {', '.join(REQUIRED)}; an export that names them "
                                "otherwise is read with --field OURS=THEIRS (e.g. --field created_at=date), one without "
                                "platform with --platform NAME")
    if columns.names:
        columns = Columns({ours: theirs.lower() for ours, theirs in columns.names.items()}, columns.platform)
    start = 2
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Reject(label, start, "line", f"not valid CSV ({exc})")
            start = counter["line"] + 1
            continue
        line, start = start, counter["line"] + 1
        raw = ",".join(row)
        if any(n in broken for n in range(line, start)):
            yield Reject(label, line, "line", f"not valid UTF-8, or longer than {MAX_LINE:,} bytes", raw)
            continue
        if not row or row == [""]:
            continue
        if len(row) != len(header):
            yield Reject(label, line, "line", f"{len(row)} columns, the header has {len(header)}", raw)
            continue
        yield _validated({k: v for k, v in zip(header, row) if v != ""}, label, line, raw, columns)

def _validated(record: dict[str, Any], label: str, line: int, raw: str, columns: Columns) -> Mention | Reject:
    try:
        return Mention(source=label, line=line, **_fields(columns.apply(record)))
    except _Bad as bad:
        return Reject(label, line, columns.named(bad.field), bad.problem, raw)

def _fields(record: dict[str, Any]) -> dict[str, Any]:
    for name in REQUIRED:
        if record.get(name) in (None, ""):
            raise _Bad(name, "missing (required)")
    out: dict[str, Any] = {
        "id": _ident(record["id"], "id"),
        "platform": _short(record["platform"], "platform", 40).lower(),
        "text": _text(record["text"]),
        "created_at": _instant(record["created_at"]),
    }
    for name in _OPTIONAL.intersection(record):  # only the fields present cost anything: most records carry few
        value = record[name]
        if value is not None and value != "":
            out[name] = _PARSERS[name](value)
    return out

_PARSERS = {
    "author": lambda v: _short(v, "author", 200),
    "author_followers": lambda v: _count(v, "author_followers"),
    "url": lambda v: _url(v),
    "rating": lambda v: _rating(v),
    "lang": lambda v: _short(v, "lang", 8).lower(),
    "own_account": lambda v: _flag(v),
    "thread_id": lambda v: _ident(v, "thread_id"),
    "in_reply_to": lambda v: _ident(v, "in_reply_to"),
    "sentiment": lambda v: _sentiment(v),
}

def _short(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise _Bad(field, f"expected text, got {_kind(value)}")
    value = value.strip()
    if not value:
        raise _Bad(field, "empty")
    if len(value) > limit:
        raise _Bad(field, f"{len(value):,} characters, at most {limit} allowed")
    return value

def _ident(value: Any, field: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _short(value, field, 200)

def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad("text", f"expected text, got {_kind(value)}")
    if not value.strip():
        raise _Bad("text", "empty")
    if len(value) > MAX_TEXT:
        raise _Bad("text", f"{len(value):,} characters, at most {MAX_TEXT:,} allowed")
    if "\x00" in value:
        raise _Bad("text", "contains a NUL character")
    return value

def _instant(value: Any) -> datetime:
    if not isinstance(value, str):
        raise _Bad("created_at", f"expected an ISO 8601 time as text, got {_kind(value)}")
    text = value.strip()
    try:
        instant = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise _Bad("created_at", f"{value[:40]!r} is not an ISO 8601 time (e.g. 2026-11-20T10:00:00Z)") from None
    try:
        return instant.replace(tzinfo=timezone.utc) if instant.tzinfo is None else instant.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise _Bad("created_at", f"{value[:40]!r} is out of range") from None

def _count(value: Any, field: str) -> int:
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > 10**12:
        raise _Bad(field, f"expected a whole number ≥ 0, got {_shown(value)}")
    return value

def _rating(value: Any) -> int:
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            raise _Bad("rating", f"expected a number from 1 to 5, got {_shown(value)}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 5:
        raise _Bad("rating", f"expected a number from 1 to 5, got {_shown(value)}")
    return round(value)

def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise _Bad("own_account", f"expected true or false, got {_shown(value)}")

def _url(value: Any) -> str:
    url = _short(value, "url", 2000)
    if not url.lower().startswith(("http://", "https://")):
        raise _Bad("url", f"{url[:60]!r} is not an http(s) address")
    return url

def _sentiment(value: Any) -> str:
    if isinstance(value, str) and value.strip().lower() in SENTIMENTS:
        return value.strip().lower()
    raise _Bad("sentiment", f"expected one of {', '.join(SENTIMENTS)}, got {_shown(value)}")

def _kind(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "an object"}.get(type(value), type(value).__name__)

def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."

def write_rejects(path: Path, rejects: list[Reject]) -> None:
    """One JSON line per rejected record: where, field, problem and the record as read. Raises ContentError."""
    try:
        with path.open("w", encoding="utf-8") as out:
            for reject in rejects:
                out.write(json.dumps({"where": f"{reject.source}:{reject.line}", "field": reject.field, "problem": reject.problem,
                                      "raw": reject.raw}, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise ContentError(f"--rejects {path}: cannot be written ({exc.strerror})") from None
