"""Where a message may go and how its address is shown: which URLs a notifier accepts, and redaction of
the credentials and webhook tokens an address carries, so that no log, tick output or record keeps them.

>>> check_url("https://hooks.slack.com/services/T0/B0/XyZ") is None
True
>>> check_url("file:///etc/passwd")
"scheme 'file' is not allowed; use an https:// URL"
>>> redact_url("http://admin:hunter2@hooks.example.com/services/T01ABC/B02DEF/a1b2c3d4e5?token=s3cret")
'http://***@hooks.example.com/services/***/***/***?***'
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

ALLOW_HTTP_ENV = "CRISIS_WEBHOOK_ALLOW_HTTP"  # yes: plain http:// to hosts other than loopback (a trusted network)
TRUE = ("yes", "true", "1", "on")
_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>()]*[^\s'\"<>().,;:!?]")  # not the closing punctuation
_WORD = re.compile(r"^[a-z][a-z_-]{0,15}$")  # a path segment shown as is: a short lowercase word, no digits


def http_allowed(env: Mapping[str, str]) -> bool:
    """Whether the environment explicitly allows plain http:// to hosts other than loopback."""
    return env.get(ALLOW_HTTP_ENV, "").strip().lower() in TRUE


def is_loopback(host: str | None) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: a peer on this machine, where plain TCP is not on the network."""
    if not host:
        return False
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_http: bool = False) -> str | None:
    """What is wrong with `url` as a webhook address, or None: only https, plus http to loopback or when
    `allow_http` (see ALLOW_HTTP_ENV); a host is required; no whitespace or control character."""
    if not isinstance(url, str) or not url:
        return "expected a URL such as https://hooks.example.com/crisis"
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return "a URL cannot contain spaces, line breaks or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return "not a valid URL; expected https://host/path"
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        return f"scheme {scheme!r} is not allowed; use an https:// URL" if scheme else "expected https://host/path"
    if not parts.hostname:
        return "the URL names no host; expected https://host/path"
    if scheme == "http" and not allow_http and not is_loopback(parts.hostname):
        return (f"plain http:// to {parts.hostname} would send pages unencrypted; use https:// "
                f"(or set {ALLOW_HTTP_ENV}=yes on a trusted network)")
    return None


def redact_url(url: str) -> str:
    """`url` fit to show or record: no user:password, no query, and from the first path segment that is not a
    short lowercase word on, every segment as *** (ids and tokens)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unreadable URL)"
    if ":" in host:
        host = f"[{host}]"
    userinfo = "***@" if "@" in parts.netloc else ""
    segments, hiding = [], False
    for segment in parts.path.split("/"):
        hiding = hiding or bool(segment and not _WORD.match(segment))  # after an id, every segment may be its token
        segments.append("***" if hiding and segment else segment)
    query = "?***" if parts.query else ""
    return f"{parts.scheme}://{userinfo}{host}{port}{'/'.join(segments)}{query}"


def redact_text(text: str) -> str:
    """`text` with every URL in it redacted (an error message from a library may quote the address)."""
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)
