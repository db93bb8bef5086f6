"""A scripted HTTP server on 127.0.0.1 standing in for a deployed worker (smoke-check tests).

`answers[path]` is consumed in order and its last answer repeats; a request pinned to a version
(Cloudflare's version-override header) gets `by_override[header value]` if set.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OVERRIDE_HEADER = "Cloudflare-Workers-Version-Overrides"


@dataclass
class Answer:
    status: int = 200
    body: str = '{"ok":true}'
    delay: float = 0.0


@dataclass
class FakeWorker:
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    overrides: list[str | None] = field(default_factory=list)
    """The version-override header of each request (None: not sent)."""
    by_override: dict[str, Answer] = field(default_factory=dict)
    """An answer for requests pinned to one version, whatever the path."""
    stopping: threading.Event = field(default_factory=threading.Event)
    url: str = ""


@contextmanager
def serve_fake_worker() -> Iterator[FakeWorker]:
    fake = FakeWorker()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            fake.requests.append(self.path)
            override = self.headers.get(OVERRIDE_HEADER)
            fake.overrides.append(override)
            queue = fake.answers.get(self.path) or [Answer(404, "not found")]
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
            answer = fake.by_override.get(override or "", answer)
            if answer.delay and fake.stopping.wait(answer.delay):
                return
            body = answer.body.encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Set-Cookie", "session=do-not-print")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        fake.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
