"""Notifiers: the outbound edge that hands one message to the console, an SMTP server or a webhook.

Each notifier has a `channel` and a `send(message)` that returns when the peer accepted the
message and raises `DeliveryError` otherwise (`permanent` when retrying cannot help). Every
message carries its idempotency key (`Idempotency-Key` header, `Message-ID`), so a receiver can
recognise a retry after an unknown outcome. SMTP settings come from the environment only.
"""

from __future__ import annotations

import http.client
import json
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

from crisis.errors import ContentError

SMTP_ENV = ("CRISIS_SMTP_HOST", "CRISIS_SMTP_PORT", "CRISIS_SMTP_STARTTLS", "CRISIS_SMTP_USER", "CRISIS_SMTP_PASSWORD", "CRISIS_SMTP_FROM")


class DeliveryError(Exception):
    """The peer did not take the message; `permanent` when the same message will never be taken."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    """One message as a notifier sees it: no database row, nothing to change."""

    key: str  # idempotency key
    target: str  # an e-mail address, a URL, a person id for the console
    subject: str
    body: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    is_drill: bool = False


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

    def send(self, message: Outgoing) -> None:
        self.write(f"PAGE for {message.target}: {message.subject}\n" + "".join(f"    {line}\n" for line in message.body.splitlines()))


class SmtpNotifier:
    """Sends e-mail through an SMTP server, with STARTTLS and login when configured."""

    channel = "smtp"

    def __init__(self, host: str, port: int = 25, *, sender: str = "crisis@localhost", starttls: bool = False,
                 username: str | None = None, password: str | None = None, timeout: float = 10.0) -> None:
        self.host, self.port, self.sender, self.starttls = host, port, sender, starttls
        self.username, self.password, self.timeout = username, password, timeout

    def send(self, message: Outgoing) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, message.target, message.subject
        mail["Message-ID"] = make_msgid(idstring=_safe_id(message.key), domain="crisis.invalid")
        mail["X-Crisis-Idempotency-Key"] = message.key
        if message.is_drill:
            mail["X-Crisis-Drill"] = "yes"
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as server:
                if self.starttls:
                    server.starttls(context=ssl.create_default_context())
                if self.username:
                    server.login(self.username, self.password or "")
                server.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(f"SMTP {self.host}:{self.port} refused {message.target} ({codes[0] if codes else '?'})",
                                permanent=all(500 <= code < 600 for code in codes)) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port} answered {exc.smtp_code}", permanent=exc.smtp_code in (530, 535, 550, 553)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port} unreachable: {exc.__class__.__name__}: {exc}") from exc


class WebhookNotifier:
    """POSTs JSON to the target URL: a Slack-compatible `text`, the idempotency key, and the payload."""

    channel = "webhook"

    def __init__(self, *, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def send(self, message: Outgoing) -> None:
        document = {"text": f"{message.subject}\n{message.body}", "idempotency_key": message.key,
                    "is_drill": message.is_drill, **message.payload}
        request = urllib.request.Request(message.target, data=json.dumps(document, ensure_ascii=False).encode("utf-8"), method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": message.key,
                                                  "User-Agent": "crisis"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            # 4xx means the request itself is wrong, except the statuses that ask to come back later
            permanent = 400 <= exc.code < 500 and exc.code not in (408, 409, 425, 429)
            raise DeliveryError(f"webhook {message.target} answered HTTP {exc.code}", permanent=permanent) from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"webhook {message.target} unreachable: {reason}") from exc


def smtp_from_env(env: Mapping[str, str]) -> SmtpNotifier | None:
    """An SmtpNotifier from CRISIS_SMTP_* variables, or None without CRISIS_SMTP_HOST. Raises ContentError."""
    host = env.get("CRISIS_SMTP_HOST")
    if not host:
        return None
    port = env.get("CRISIS_SMTP_PORT", "25")
    if not port.isdigit():
        raise ContentError(f"CRISIS_SMTP_PORT: {port!r} is not a port number", hint="e.g. CRISIS_SMTP_PORT=587")
    starttls = env.get("CRISIS_SMTP_STARTTLS", "no").lower()
    if starttls not in ("yes", "no", "true", "false", "1", "0"):
        raise ContentError(f"CRISIS_SMTP_STARTTLS: {starttls!r}: expected yes or no")
    return SmtpNotifier(host, int(port), sender=env.get("CRISIS_SMTP_FROM", "crisis@localhost"), starttls=starttls in ("yes", "true", "1"),
                        username=env.get("CRISIS_SMTP_USER") or None, password=env.get("CRISIS_SMTP_PASSWORD"))


def notifiers_from_env(env: Mapping[str, str], *, write: Callable[[str], None] = print) -> dict[str, Notifier]:
    """The notifiers this process can use, by channel: console and webhook always, SMTP when configured."""
    found: dict[str, Notifier] = {"console": ConsoleNotifier(write), "webhook": WebhookNotifier()}
    smtp = smtp_from_env(env)
    if smtp is not None:
        found["smtp"] = smtp
    return found


def _safe_id(key: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in key)[:120]
