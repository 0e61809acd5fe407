"""Real peers on loopback for the notifier tests: an SMTP server (aiosmtpd) and a webhook receiver
(http.server), each able to be down (nothing listening) and come back up on the same port."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
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

    def __init__(self, *, credentials: tuple[str, str] | None = None, host: str = HOST) -> None:
        self.host, self.port = host, free_port()
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
        self._controller = Controller(self, hostname=self.host, port=self.port, **auth)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def env(self) -> dict[str, str]:
        return {"CRISIS_SMTP_HOST": self.host, "CRISIS_SMTP_PORT": str(self.port), "CRISIS_SMTP_FROM": "crisis@acme.example"}


class WebhookPeer:
    """An HTTP server on loopback that records every POST and answers `status` (200 by default).

    `keys` counts every POST by its Idempotency-Key, whatever the answer; `gets` records GETs (a followed
    redirect); `location` goes with a 3xx; `delay` slows each answer; `on_post(headers, document)` runs
    before answering (a responder acting meanwhile); `raw` keeps each body as received, for signatures.
    """

    def __init__(self, *, host: str = HOST) -> None:
        self.host, self.port = host, free_port()
        self.posts: list[tuple[dict[str, str], dict]] = []
        self.raw: list[tuple[dict[str, str], bytes]] = []
        self.keys: Counter[str] = Counter()
        self.gets: list[str] = []
        self.status, self.location, self.delay = 200, None, 0.0
        self.on_post: Callable[[dict[str, str], dict], None] | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    def start(self) -> None:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers, document = dict(self.headers), json.loads(body)
                with peer._lock:
                    peer.keys[headers.get("Idempotency-Key", "")] += 1
                    peer.raw.append((headers, body))
                    if peer.status < 300:
                        peer.posts.append((headers, document))
                if peer.on_post is not None:
                    peer.on_post(headers, document)
                time.sleep(peer.delay)
                self.send_response(peer.status)
                if peer.location:
                    self.send_header("Location", peer.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                peer.gets.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class DribblingPeer:
    """An HTTP server on loopback that takes a POST, then answers 200 one byte every `every` seconds (with
    `count` bytes of padding in a header): each read is quick, the whole answer is slow. `cut_at` records, for
    each connection, what `watch()` returned when the client hung up (or None if it waited to the end)."""

    def __init__(self, *, every: float = 0.25, count: int = 40, watch: Callable[[], Any] = lambda: None) -> None:
        self.port, self.every, self.count, self.watch = free_port(), every, count, watch
        self.cut_at: list[Any] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/slow"

    def start(self) -> None:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"." * peer.count + b"\r\nContent-Length: 0\r\n\r\n"
                try:
                    for i in range(len(answer)):
                        time.sleep(peer.every)
                        self.wfile.write(answer[i:i + 1])
                        self.wfile.flush()
                except OSError:
                    peer.cut_at.append(peer.watch())
                    return
                peer.cut_at.append(None)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
