"""Reading mention streams: JSON Lines or CSV, from a file or stdin (`-`), gzipped or not.

The mention schema (one object per line, or one row per CSV line with a header):

    required  id (text or number), platform (text), text (text), created_at (ISO 8601, UTC if no zone; or
              Unix time, RFC 2822, the Twitter API's "Tue Mar 05 14:03:00 +0000 2024")
    optional  author, author_followers (whole number ≥ 0), url (http/https), rating (1-5),
              lang (fr, en, …), own_account (true/false: the brand's own account wrote it),
              thread_id, in_reply_to, sentiment (positive, neutral or negative)

Unknown fields are ignored (listening tools export many). An export with other names is read
through a `Columns` map (`--field created_at=tweet_created`; in JSON, a dotted path reaches into
nested objects: `--field author_followers=user.followers_count`), and a stream of one platform may
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
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from crisis.errors import ContentError, NotFoundError, UsageError
from crisis.triage.records import MAX_TEXT, OPTIONAL, REQUIRED, SENTIMENTS, BadField, Mention, Reject, fields

__all__ = ["FORMATS", "MAX_LINE", "MAX_TEXT", "OPTIONAL", "REQUIRED", "SENTIMENTS", "Columns", "Mention", "MentionStream",
           "Reject", "read_mentions", "write_rejects"]
FORMATS = ("jsonl", "csv")
MAX_LINE = 1_000_000  # bytes a single record may take (a CSV record over several lines: all of them)

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
            record = {ours: _lookup(record, theirs) for ours, theirs in self.names.items()} | {
                k: v for k, v in record.items() if k not in self.names}
        if self.platform and record.get("platform") in (None, ""):
            record["platform"] = self.platform
        return record


PLAIN = Columns()


def _lookup(record: dict[str, Any], theirs: str) -> Any:
    """The value of the export's key `theirs`, or, when no key bears that name, of its dotted path into nested
    objects, as APIs export them (`user.followers_count`)."""
    if theirs in record or "." not in theirs:
        return record.get(theirs)
    value: Any = record
    for part in theirs.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


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
    magic = buffered.peek(2)[:2]
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=buffered, mode="rb"), raw  # type: ignore[return-value]
    if name.lower().endswith(".gz"):
        raw.close()
        raise ContentError(f"{name}: named .gz but not gzip (it starts with {magic!r}, not the gzip signature b'\\x1f\\x8b')",
                           hint="re-download or re-export it; if it is plain JSON Lines or CSV, rename it without .gz")
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
    for number, line in enumerate(iter(partial(stream.readline, MAX_LINE + 1), b""), 1):
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
            record = _parsed(text)
        except (ValueError, RecursionError) as exc:
            why = getattr(exc, "msg", None) or ("too deeply nested" if isinstance(exc, RecursionError) else str(exc)[:80])
            yield Reject(label, number, "line", f"not JSON ({why})", text.rstrip("\n"))
            continue
        if not isinstance(record, dict):
            yield Reject(label, number, "line", f"a JSON {type(record).__name__}, expected an object with {', '.join(REQUIRED)}", text.rstrip("\n"))
            continue
        yield _validated(record, label, number, text.rstrip("\n"), columns)

def _parsed(text: str) -> Any:
    """The JSON value of a line: orjson's, or json's wherever the two could differ (orjson refuses NaN, lone surrogates
    and overflowing floats, which json reads, and reads integers past 64 bits as floats), so that a record is read,
    and a bad one rejected, in the very words json gives. Raises ValueError, RecursionError."""
    try:
        record = orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
    return json.loads(text) if _widened(record) else record


def _widened(value: Any) -> bool:
    """Whether orjson may have read an integer past 64 bits as a float somewhere in `value`."""
    kind = type(value)
    if kind is float:
        return not -_INT64 < value < _INT64
    if kind is dict:
        value = value.values()
    elif kind is not list:
        return False
    return any(_widened(v) for v in value if type(v) in _WIDENABLE)


_INT64 = 2.0 ** 63
_WIDENABLE = (float, dict, list)


class _CsvLines:
    """The decoded lines of a CSV stream for csv.reader, numbered. The lines of the row being read are kept
    (`row`), so that a row that breaks over several lines (an unclosed quote) can be rejected alone and its
    other lines read again as rows of their own (`resync`)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._lines, self._pending = _lines(stream), deque[tuple[int, str, bool]]()
        self.row: list[tuple[int, str, bool]] = []  # (number, text, broken: not UTF-8 or too long)

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        if self._pending:
            entry = self._pending.popleft()
        else:
            number, line = next(self._lines)
            if line is None:
                entry = (number, "\n", True)
            else:
                try:
                    entry = (number, line.decode("utf-8"), False)
                except UnicodeDecodeError:
                    entry = (number, line.decode("utf-8", "replace"), True)
        self.row.append(entry)
        return entry[1]

    def resync(self) -> None:
        """Read again, as rows of their own, the lines of the current row after its first."""
        self._pending.extendleft(reversed(self.row[1:]))
        self.row = []


def _read_csv(stream: BinaryIO, label: str, columns: Columns) -> Iterator[Mention | Reject]:
    lines = _CsvLines(stream)
    reader = csv.reader(lines, strict=True)
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
    while True:
        lines.row = []
        try:
            row = next(reader)
            result = _csv_record(row, lines.row, header, label, columns)
        except StopIteration:
            return
        except csv.Error as exc:
            first = lines.row[0] if lines.row else (0, "", False)
            result = Reject(label, first[0], "line", f"not valid CSV ({exc})", first[1].rstrip("\r\n"))
        if result is None:
            continue
        if isinstance(result, Reject) and len(lines.row) > 1:  # an unclosed quote must not swallow the rows after it
            lines.resync()
            reader = csv.reader(lines, strict=True)
        yield result


def _csv_record(row: list[str], spanned: list[tuple[int, str, bool]], header: list[str], label: str,
                columns: Columns) -> Mention | Reject | None:
    line, raw = spanned[0][0], ",".join(row)
    if any(broken for _, _, broken in spanned):
        return Reject(label, line, "line", f"not valid UTF-8, or longer than {MAX_LINE:,} bytes", raw)
    if not row or row == [""]:
        return None
    if len(row) != len(header):
        return Reject(label, line, "line", f"{len(row)} columns, the header has {len(header)}", raw)
    return _validated({k: v for k, v in zip(header, row) if v != ""}, label, line, raw, columns)


def _validated(record: dict[str, Any], label: str, line: int, raw: str, columns: Columns) -> Mention | Reject:
    try:
        return Mention(source=label, line=line, **fields(columns.apply(record)))
    except BadField as bad:
        return Reject(label, line, columns.named(bad.field), bad.problem, raw)


def write_rejects(path: Path, rejects: list[Reject]) -> None:
    """One JSON line per rejected record: where, field, problem and the record as read. Raises ContentError."""
    try:
        with path.open("w", encoding="utf-8", errors="backslashreplace") as out:  # a lone surrogate stays visible
            for reject in rejects:
                out.write(json.dumps({"where": f"{reject.source}:{reject.line}", "field": reject.field, "problem": reject.problem,
                                      "raw": reject.raw}, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise ContentError(f"--rejects {path}: cannot be written ({exc.strerror})") from None
