"""One mention record: its fields, their types, and the checks that keep what the database and the time
windows cannot hold out of them (a NUL or lone surrogate in text, a count past the 32-bit column, a date
outside the years a mention can have). Pure: stdlib only.

`fields(record)` returns the keyword arguments of a `Mention`, or raises `BadField(field, problem)`,
which the readers turn into a `Reject` naming file:line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple

REQUIRED = ("id", "platform", "text", "created_at")
OPTIONAL = ("author", "author_followers", "url", "rating", "lang", "own_account", "thread_id", "in_reply_to", "sentiment")
_OPTIONAL = frozenset(OPTIONAL)
SENTIMENTS = ("positive", "neutral", "negative")
MAX_TEXT = 20_000  # characters: longer than any post or review; a bigger field is an export gone wrong
MAX_COUNT = 2**31 - 1  # author_followers is a 32-bit column; the largest account has under 10^9 followers
EARLIEST, LATEST = datetime(1990, 1, 1, tzinfo=timezone.utc), datetime(2200, 1, 1, tzinfo=timezone.utc)
MAX_ID = 150  # characters of an id: a thread is keyed "platform:id" in a 200-character column; real ids have under 40
MAX_EXACT = 2**53  # a number id above this was rounded by whoever wrote it as a float
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL (PostgreSQL refuses it) and lone surrogates (not UTF-8)
_TWITTER_API = "%a %b %d %H:%M:%S %z %Y"
_MILLISECONDS = 10**11  # seconds since 1970 pass this in the year 5138: a larger number counts milliseconds
_TRUE, _FALSE = ("true", "1", "yes", "oui", "y"), ("false", "0", "no", "non", "n")


class Mention(NamedTuple):
    """One valid mention, and where it was read (`source:line`). A named tuple: immutable, and made four times faster
    than a frozen dataclass (an ingest makes one per record, and spent more on that than on parsing the JSON)."""

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
        record = {k: v for k, v in self._asdict().items() if k not in ("source", "line") and v not in (None, False)}
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


class BadField(Exception):
    """One field of a record is invalid: `field` names it, `problem` says why in the responder's words."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


def fields(record: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of a `Mention` from a record in our field names. Raises BadField."""
    for name in REQUIRED:
        if record.get(name) in (None, ""):
            raise BadField(name, "missing (required)")
    out: dict[str, Any] = {
        "id": _ident(record["id"], "id"),
        "platform": _short(record["platform"], "platform", 40, lower=True),
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
    "lang": lambda v: _short(v, "lang", 8, lower=True),
    "own_account": lambda v: _flag(v),
    "thread_id": lambda v: _ident(v, "thread_id"),
    "in_reply_to": lambda v: _ident(v, "in_reply_to"),
    "sentiment": lambda v: _sentiment(v),
}


def _storable(value: str, field: str) -> str:
    found = _UNSTORABLE.search(value)
    if found:
        what = "a NUL character" if found.group() == "\x00" else f"a lone surrogate (\\u{ord(found.group()):04x})"
        raise BadField(field, f"contains {what} at character {found.start() + 1}: the export is damaged there")
    return value


def _short(value: Any, field: str, limit: int, *, lower: bool = False) -> str:
    if not isinstance(value, str):
        raise BadField(field, f"expected text, got {_kind(value)}")
    value = value.strip().lower() if lower else value.strip()  # lowered first: "İ" becomes two characters
    if not value:
        raise BadField(field, "empty")
    if len(value) > limit:
        raise BadField(field, f"{len(value):,} characters, at most {limit} allowed")
    return _storable(value, field)


def _ident(value: Any, field: str) -> str:
    if isinstance(value, bool):
        raise BadField(field, f"expected text or a number, got {_shown(value)}")
    if isinstance(value, int) and abs(value) < 10**MAX_ID:
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= MAX_EXACT:
            raise BadField(field, f"the number {_shown(value)} cannot be an exact id; write the id as text (in quotes)")
        return str(int(value)) if value.is_integer() else repr(value)
    return _short(value, field, MAX_ID)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise BadField("text", f"expected text, got {_kind(value)}")
    if not value or value.isspace():  # without copying the text, as strip() would
        raise BadField("text", "empty")
    if len(value) > MAX_TEXT:
        raise BadField("text", f"{len(value):,} characters, at most {MAX_TEXT:,} allowed")
    return _storable(value, "text")


def _instant(value: Any) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        instant = _unix_time(value)
    elif isinstance(value, str):
        instant = _written_time(value.strip())
    else:
        raise BadField("created_at", f"expected an ISO 8601 time as text, got {_kind(value)}")
    if instant is None:
        raise BadField("created_at", f"{_shown(value)} is not an ISO 8601 time (e.g. 2026-11-20T10:00:00Z)")
    if not EARLIEST <= instant < LATEST:
        raise BadField("created_at", f"{_shown(value)} is outside {EARLIEST.year}-{LATEST.year - 1}: not the date of a mention")
    return instant


def _written_time(text: str) -> datetime | None:
    """ISO 8601 (UTC when it has no zone), Unix time in digits, else the two unambiguous forms exports also use: RFC 2822, as RSS feeds
    and e-mails date things ("Tue, 05 Mar 2024 14:03:00 +0100"), and the Twitter API's ("Tue Mar 05 14:03:00 +0000
    2024"). A day-first or month-first date ("05/03/2024") is refused: it cannot be told apart."""
    if text.isdigit() and len(text) >= 9:  # Unix time, as a CSV column holds it (an ISO date has at most 8 digits in a row)
        return _unix_time(int(text))
    try:
        instant = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except (OverflowError, ValueError):
        instant = None
    if instant is None and text[:3].isalpha():
        try:
            instant = datetime.strptime(text, _TWITTER_API)
        except ValueError:
            try:
                instant = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError, OverflowError):
                return None
    if instant is None:
        return None
    return instant.replace(tzinfo=timezone.utc) if instant.tzinfo is None else instant.astimezone(timezone.utc)


def _unix_time(value: int | float) -> datetime | None:
    """Seconds since 1970 (UTC), or milliseconds when the number is too large to be seconds of a mention's years."""
    seconds = value / 1000 if abs(value) >= _MILLISECONDS else value
    try:
        return datetime.fromtimestamp(seconds, timezone.utc) if math.isfinite(seconds) else None
    except (OverflowError, OSError, ValueError):
        return None


def _count(value: Any, field: str) -> int:
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii() and len(value.strip()) < 20:
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadField(field, f"expected a whole number ≥ 0, got {_shown(value)}")
    if value > MAX_COUNT:
        raise BadField(field, f"{value:,} is more than any account has (at most {MAX_COUNT:,})")
    return value


def _rating(value: Any) -> int:
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            raise BadField("rating", f"expected a number from 1 to 5, got {_shown(value)}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 5:
        raise BadField("rating", f"expected a number from 1 to 5, got {_shown(value)}")
    return round(value)


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise BadField("own_account", f"expected true or false, got {_shown(value)}")


def _url(value: Any) -> str:
    url = _short(value, "url", 2000)
    if not url.lower().startswith(("http://", "https://")):
        raise BadField("url", f"{url[:60]!r} is not an http(s) address")
    return url


def _sentiment(value: Any) -> str:
    if isinstance(value, str) and value.strip().lower() in SENTIMENTS:
        return value.strip().lower()
    raise BadField("sentiment", f"expected one of {', '.join(SENTIMENTS)}, got {_shown(value)}")


def _kind(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
