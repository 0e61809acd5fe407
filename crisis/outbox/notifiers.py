"""Notifiers: the outbound edge that hands one message to the console, an SMTP server or a webhook.

Each notifier has a `channel` and a `send(message)` that returns when the peer accepted the
message and raises `DeliveryError` otherwise (`permanent` when retrying cannot help). Every
message carries its idempotency key (`Idempotency-Key` header, `Message-ID`), so a receiver can
recognise a retry after an unknown outcome. Each exchange has a total deadline, not only a
timeout per read. Webhooks are signed when CRISIS_WEBHOOK_SECRET is set. Settings come from the
environment only; addresses are redacted (crisis.outbox.urls) in every message we write.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol
from urllib.parse import urlsplit

from crisis.errors import ContentError
from crisis.outbox.urls import TRUE, check_url, http_allowed, is_loopback, redact_text, redact_url

SMTP_ENV = ("CRISIS_SMTP_HOST", "CRISIS_SMTP_PORT", "CRISIS_SMTP_STARTTLS", "CRISIS_SMTP_USER", "CRISIS_SMTP_PASSWORD", "CRISIS_SMTP_FROM",
            "CRISIS_SMTP_ALLOW_PLAINTEXT")
SECRET_ENV = "CRISIS_WEBHOOK_SECRET"
DEADLINE_ENV = "CRISIS_DELIVERY_DEADLINE"  # seconds one delivery may take in all (connect, send, answer)
SIGNATURE_HEADER, TIMESTAMP_HEADER = "X-Crisis-Signature", "X-Crisis-Timestamp"
DEADLINE_S, DEADLINE_MAX_S = 20.0, 120.0
ANSWER_LIMIT = 64 * 1024  # what we read of a webhook's answer body: we only need its status


class DeliveryError(Exception):
    """The peer did not take the message; `permanent` when the same message will never be taken."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(redact_text(message))
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    """One message as a notifier sees it: no database row, nothing to change. `at` is the Clock's instant."""

    key: str  # idempotency key
    target: str  # an e-mail address, a URL, a person id for the console
    subject: str
    body: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    is_drill: bool = False
    at: datetime | None = None


class Notifier(Protocol):
    channel: str

    def send(self, message: Outgoing) -> None:
        """Deliver `message` or raise DeliveryError."""
        ...


class ConsoleNotifier:
    """Writes each page to a terminal (the one running `crisis tick` or `crisis watch`)."""

    channel = "console"

    def __init__(self, write: Callable[[str], None] = print) -> None:
        self.write = write
        self._lock = threading.Lock()  # deliveries run in parallel: one page at a time on the terminal

    def send(self, message: Outgoing) -> None:
        text = f"PAGE for {message.target}: {one_line(message.subject)}\n" + "".join(f"    {line}\n" for line in message.body.splitlines())
        with self._lock:
            self.write(text)


class Deadline:
    """Cuts a connection when the whole exchange outlasts `seconds`: socket timeouts bound each read, so a
    peer dribbling one byte at a time would otherwise hold a delivery (and a worker) for ever."""

    def __init__(self, seconds: float, sock: Callable[[], socket.socket | None]) -> None:
        self.seconds, self._sock, self.expired = seconds, sock, False
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def _cut(self) -> None:
        self.expired = True
        sock = self._sock()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed: the exchange ended as the deadline came

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


class SmtpNotifier:
    """Sends e-mail through an SMTP server, with STARTTLS and login when configured; never sends a password
    over plain TCP to a server off this machine unless `allow_plaintext`."""

    channel = "smtp"

    def __init__(self, host: str, port: int = 25, *, sender: str = "crisis@localhost", starttls: bool = False,
                 username: str | None = None, password: str | None = None, timeout: float = 10.0,
                 deadline: float = DEADLINE_S, allow_plaintext: bool = False) -> None:
        self.host, self.port, self.sender, self.starttls = host, port, sender, starttls
        self.username, self.password, self.timeout, self.deadline = username, password, timeout, deadline
        self.allow_plaintext = allow_plaintext

    def send(self, message: Outgoing) -> None:
        where = f"SMTP {self.host}:{self.port}"
        if self.username and not self.starttls and not self.allow_plaintext and not is_loopback(self.host):
            raise DeliveryError(f"{where}: refusing to send the SMTP password over plain TCP; set CRISIS_SMTP_STARTTLS=yes "
                                "(or CRISIS_SMTP_ALLOW_PLAINTEXT=yes on a trusted network)")
        mail = self._mail(message)
        server: smtplib.SMTP | None = None
        try:
            with Deadline(self.deadline, lambda: server.sock if server else None) as deadline:
                try:
                    server = smtplib.SMTP(self.host, self.port, timeout=min(self.timeout, self.deadline))
                    with server:
                        if self.starttls:
                            server.starttls(context=ssl.create_default_context())
                        if self.username:
                            server.login(self.username, self.password or "")
                        server.send_message(mail, from_addr=self.sender, to_addrs=[message.target])
                except smtplib.SMTPRecipientsRefused as exc:
                    codes = [code for code, _ in exc.recipients.values()]
                    raise DeliveryError(f"{where} refused {message.target} ({codes[0] if codes else '?'})",
                                        permanent=all(500 <= code < 600 for code in codes)) from exc
                except smtplib.SMTPResponseException as exc:
                    raise DeliveryError(f"{where} answered {exc.smtp_code}", permanent=exc.smtp_code in (530, 535, 550, 553)) from exc
                except (smtplib.SMTPException, OSError) as exc:
                    if deadline.expired:
                        raise DeliveryError(f"{where} did not finish within the {self.deadline:g} s deadline") from exc
                    raise DeliveryError(f"{where} unreachable: {exc.__class__.__name__}: {exc}") from exc
        finally:
            if server is not None:
                server.close()

    def _mail(self, message: Outgoing) -> EmailMessage:
        """The e-mail, every header one line whatever the title holds (a CR/LF would inject headers)."""
        if not message.target or any(ch.isspace() or ord(ch) < 32 for ch in message.target):
            raise DeliveryError(f"{message.target!r} is not an e-mail address", permanent=True)
        try:
            mail = EmailMessage()
            mail["From"], mail["To"], mail["Subject"] = self.sender, message.target, one_line(message.subject)
            mail["Message-ID"] = make_msgid(idstring=_safe_id(message.key), domain="crisis.invalid")
            mail["X-Crisis-Idempotency-Key"] = one_line(message.key)
            if message.is_drill:
                mail["X-Crisis-Drill"] = "yes"
            mail.set_content(message.body)
        except (ValueError, TypeError, MessageError) as exc:
            raise DeliveryError(f"cannot write the e-mail to {message.target}: {exc}", permanent=True) from exc
        return mail


class WebhookNotifier:
    """POSTs JSON to the target URL: a Slack-compatible `text`, the idempotency key, and the payload.

    Redirects are not followed (a POST redirected loses its body): a 3xx is a failure. With a `secret`,
    `X-Crisis-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">` and `X-Crisis-Timestamp` sign it.
    """

    channel = "webhook"

    def __init__(self, *, timeout: float = 10.0, deadline: float = DEADLINE_S, secret: str | None = None,
                 allow_http: bool = False) -> None:
        self.timeout, self.deadline, self.secret, self.allow_http = timeout, deadline, secret, allow_http

    def send(self, message: Outgoing) -> None:
        shown = redact_url(message.target)
        problem = check_url(message.target, allow_http=self.allow_http)
        if problem:
            raise DeliveryError(f"webhook {shown} refused: {problem}", permanent=True)
        document = {"text": f"{message.subject}\n{message.body}", "idempotency_key": message.key,
                    "is_drill": message.is_drill, **message.payload}
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": one_line(message.key), "User-Agent": "crisis",
                   **self.signature(body, message.at)}
        status, location = self._post(message.target, body, headers, shown)
        if 300 <= status < 400:
            moved = f" to {redact_url(location)}" if location else ""
            raise DeliveryError(f"webhook {shown} answered HTTP {status} (redirect{moved}): a POST is never redirected; "
                                "set the final URL in the configuration", permanent=True)
        if status >= 400:
            # 4xx means the request itself is wrong, except the statuses that ask to come back later
            permanent = 400 <= status < 500 and status not in (408, 409, 425, 429)
            raise DeliveryError(f"webhook {shown} answered HTTP {status}", permanent=permanent)

    def signature(self, body: bytes, at: datetime | None) -> dict[str, str]:
        """The signing headers for `body` sent at `at` (none without a secret)."""
        if not self.secret or at is None:
            return {}
        stamp = str(int(at.timestamp()))
        digest = hmac.new(self.secret.encode("utf-8"), stamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
        return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: f"v1={digest}"}

    def _post(self, url: str, body: bytes, headers: dict[str, str], shown: str) -> tuple[int, str | None]:
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if parts.username is not None:  # user:password@ in the URL: HTTP Basic, never in the request line
            token = base64.b64encode(f"{parts.username}:{parts.password or ''}".encode()).decode("ascii")
            headers = {**headers, "Authorization": f"Basic {token}"}
        timeout = min(self.timeout, self.deadline)
        conn = (http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context())
                if parts.scheme.lower() == "https" else http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout))
        try:
            with Deadline(self.deadline, lambda: conn.sock) as deadline:
                try:
                    conn.request("POST", path, body=body, headers=headers)
                    response = conn.getresponse()
                    response.read(ANSWER_LIMIT)
                    return response.status, response.getheader("Location")
                except (http.client.HTTPException, OSError, ValueError) as exc:
                    if deadline.expired:
                        raise DeliveryError(f"webhook {shown} did not answer within the {self.deadline:g} s deadline") from exc
                    raise DeliveryError(f"webhook {shown} unreachable: {exc.__class__.__name__}: {exc}") from exc
        finally:
            conn.close()


def smtp_from_env(env: Mapping[str, str]) -> SmtpNotifier | None:
    """An SmtpNotifier from CRISIS_SMTP_* variables, or None without CRISIS_SMTP_HOST. Raises ContentError."""
    host = env.get("CRISIS_SMTP_HOST")
    if not host:
        return None
    port = env.get("CRISIS_SMTP_PORT", "25")
    if not port.isdigit():
        raise ContentError(f"CRISIS_SMTP_PORT: {port!r} is not a port number", hint="e.g. CRISIS_SMTP_PORT=587")
    return SmtpNotifier(host, int(port), sender=env.get("CRISIS_SMTP_FROM", "crisis@localhost"),
                        starttls=_flag(env, "CRISIS_SMTP_STARTTLS"), username=env.get("CRISIS_SMTP_USER") or None,
                        password=env.get("CRISIS_SMTP_PASSWORD"), deadline=deadline_from_env(env),
                        allow_plaintext=_flag(env, "CRISIS_SMTP_ALLOW_PLAINTEXT"))


def deadline_from_env(env: Mapping[str, str]) -> float:
    """CRISIS_DELIVERY_DEADLINE in seconds (default 20, at most 120: well inside the claim's lease, so that a
    message still in flight is never claimed again). Raises ContentError."""
    value = env.get(DEADLINE_ENV, "").strip()
    try:
        seconds = float(value) if value else DEADLINE_S
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= DEADLINE_MAX_S:
        raise ContentError(f"{DEADLINE_ENV}: {value!r} is not a number of seconds between 0 and {DEADLINE_MAX_S:g}",
                           hint=f"e.g. {DEADLINE_ENV}=20")
    return seconds


def notifiers_from_env(env: Mapping[str, str], *, write: Callable[[str], None] = print) -> dict[str, Notifier]:
    """The notifiers this process can use, by channel: console and webhook always, SMTP when configured.
    Raises ContentError on a malformed setting."""
    found: dict[str, Notifier] = {"console": ConsoleNotifier(write), "webhook": WebhookNotifier(
        deadline=deadline_from_env(env), secret=env.get(SECRET_ENV) or None, allow_http=http_allowed(env))}
    smtp = smtp_from_env(env)
    if smtp is not None:
        found["smtp"] = smtp
    return found


def one_line(value: str) -> str:
    """`value` as one header line: line breaks and control characters become spaces.

    >>> one_line("Ad\\r\\nBcc: x@evil")
    'Ad Bcc: x@evil'
    """
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "no").strip().lower()
    if value not in TRUE + ("no", "false", "0", "off", ""):
        raise ContentError(f"{name}: {value!r}: expected yes or no")
    return value in TRUE


def _safe_id(key: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in key)[:120]
