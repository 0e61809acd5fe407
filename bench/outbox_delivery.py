"""Delivering the outbox: pages per second through 8 parallel deliverers, beside one deliverer at a time,
and the time one tick takes when a peer dribbles its answer, beside the same tick without that peer.

    python bench/outbox_delivery.py [--pages 200] [--latency 0.02]

Both runs send the same pages, on a fresh SQLite file, to a webhook receiver on loopback that answers
after `--latency` seconds; the reference (workers=1) is what delivering one message after the other costs.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from crisis.clock import VirtualClock
from crisis.db import open_engine, transaction
from crisis.outbox.delivery import deliver
from crisis.outbox.notifiers import WebhookNotifier
from crisis.outbox.queue import enqueue

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


def receiver(latency: float, *, dribble: bool = False) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            answer = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
            try:
                for i in range(len(answer)) if dribble else [None]:
                    time.sleep(0.5 if dribble else latency)
                    self.wfile.write(answer[i:i + 1] if dribble else answer)
            except OSError:
                pass

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/hook"


def run(pages: int, urls: list[str], workers: int, deadline: float) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as folder:
        engine, clock = open_engine(f"sqlite:///{Path(folder) / 'bench.db'}"), VirtualClock(T0)
        with transaction(engine) as session:
            for i in range(pages):
                enqueue(session, clock.now(), kind="page", channel="webhook", target=urls[i % len(urls)], subject=f"page {i}",
                        body="Acknowledge.", idempotency_key=f"bench-{i}")
        start = time.perf_counter()
        done = deliver(lambda: transaction(engine), clock, {"webhook": WebhookNotifier(deadline=deadline)}, workers=workers, limit=pages)
        elapsed = time.perf_counter() - start
        engine.dispose()
    return elapsed, sum(d.outcome == "sent" for d in done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.02)
    args = parser.parse_args()
    fast, url = receiver(args.latency)
    slow, slow_url = receiver(args.latency, dribble=True)
    parallel, sent = run(args.pages, [url], 8, 20.0)
    serial, sent_serial = run(args.pages, [url], 1, 20.0)
    print(f"{args.pages} pages, receiver answering in {args.latency * 1000:.0f} ms:")
    print(f"  8 deliverers: {args.pages / parallel:7.1f} pages/s ({sent} sent)   reference, 1 deliverer: "
          f"{args.pages / serial:7.1f} pages/s ({sent_serial} sent)")
    clean, _ = run(50, [url], 8, 2.0)
    dribbled, sent_dribbled = run(50, [slow_url] * 2 + [url] * 48, 8, 2.0)
    print(f"  tick with 2 of 50 pages to a peer dribbling a byte every 0.5 s (deadline 2 s): {dribbled:.2f} s, "
          f"{sent_dribbled} sent   reference, no slow peer: {clean:.2f} s")
    fast.shutdown()
    slow.shutdown()


if __name__ == "__main__":
    main()
