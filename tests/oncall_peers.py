"""Real peers on loopback for the notifier tests: an SMTP server (aiosmtpd) and a webhook receiver
(http.server), each able to be down (nothing listening) and come back up on the same port."""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class SmtpPeer:
    """An SMTP server on loopback that keeps every message it accepts."""

    def __init__(self, *, credentials: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self.messages: list[tuple[list[str], Message]] = []
        self.logins: list[tuple[str, bool]] = []  # (user, accepted)
        self.credentials = credentials
        self._controller: Controller | None = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == self.credentials
        self.logins.append((auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "?", ok))
        return AuthResult(success=ok, handled=False)  # let aiosmtpd answer 235 or 535

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def start(self) -> None:
        auth = {"authenticator": self._authenticate, "auth_require_tls": False, "auth_required": True} if self.credentials else {}
        self._controller = Controller(self, hostname=HOST, port=self.port, **auth)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def env(self) -> dict[str, str]:
        return {"CRISIS_SMTP_HOST": HOST, "CRISIS_SMTP_PORT": str(self.port), "CRISIS_SMTP_FROM": "crisis@acme.example"}


class WebhookPeer:
    """An HTTP server on loopback that records every POST and answers `status` (200 by default)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.posts: list[tuple[dict[str, str], dict]] = []
        self.status = 200
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/hook"

    def start(self) -> None:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if peer.status < 300:
                    peer.posts.append((dict(self.headers), json.loads(body)))
                self.send_response(peer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
