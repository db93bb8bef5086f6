"""A stateful emulator of the Cloudflare v4 API subset this project deploys to, on loopback.

    python -m tools.localcloud.cloudflare.api --port 0 [--seed FILE] [--token-file FILE]

prints `listening on http://127.0.0.1:<port>` once it accepts connections and serves until
SIGTERM. Every `/client/v4/...` request needs `Authorization: Bearer <token>`: the token in
`--token-file` if given, else any token of Cloudflare's format. Answers use Cloudflare's envelope
`{success, errors: [{code, message}], messages, result}`. `GET /__emulator/state` (same token)
dumps what the emulator holds, without any write-only value (secrets, secret texts, code).

Nothing is logged per request: bodies can hold secrets, and the log is kept by the tests.
"""

from __future__ import annotations

import argparse
import hmac
import json
import re
import signal
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tools.localcloud.cloudflare.emulator import (
    domains,
    errors,
    queues,
    scripts,
    secrets_store,
    storage,
    workers,
)
from tools.localcloud.cloudflare.emulator.routing import Request, Router
from tools.localcloud.cloudflare.emulator.state import State, dump, load_seed

API_PREFIX = "/client/v4"
STATE_PATH = "/__emulator/state"
TOKEN_FORMAT = re.compile(r"^[0-9A-Za-z\-_]{40,80}$")


def build_router() -> Router:
    router = Router()
    for family in (storage, queues, secrets_store, scripts, domains, workers):
        family.register(router)
    return router


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, state: State, token: str | None) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.state = state
        self.token = token
        self.router = build_router()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class _Handler(BaseHTTPRequestHandler):
    server: EmulatorServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        try:
            self._authenticate()
            if url.path == STATE_PATH and self.command == "GET":
                self._send(200, "application/json", json.dumps(dump(self.server.state)).encode())
                return
            if not url.path.startswith(API_PREFIX + "/"):
                raise errors.no_route(url.path)
            request = Request(
                method=self.command,
                path=url.path[len(API_PREFIX) :],
                query=dict(parse_qsl(url.query)),
                content_type=self.headers.get("Content-Type", ""),
                body=body,
                state=self.server.state,
            )
            status, result = self.server.router.dispatch(request)
        except errors.ApiError as refusal:
            self._send_json(refusal.status, refusal.envelope())
            return
        except Exception:  # noqa: BLE001 - an emulator bug must answer, not hang the client
            traceback.print_exc(file=sys.stderr)
            self._send_json(500, errors.failure([{"code": 10000, "message": "Internal error"}]))
            return
        if isinstance(result, scripts.RawBody):
            self._send(status, result.content_type, result.data)
        else:
            self._send_json(status, errors.success(result))

    def _authenticate(self) -> None:
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        if scheme != "Bearer" or not token:
            raise errors.missing_token()
        expected = self.server.token
        if expected is None:
            if not TOKEN_FORMAT.match(token):
                raise errors.invalid_token()
        elif not hmac.compare_digest(token.encode(), expected.encode()):
            raise errors.invalid_token()

    def _send_json(self, status: int, envelope: dict[str, Any]) -> None:
        self._send(status, "application/json", json.dumps(envelope).encode())

    def _send(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", type=Path, help="JSON: accounts, Secrets Stores, zones")
    parser.add_argument("--token-file", type=Path, help="file holding the one accepted token")
    args = parser.parse_args(argv)
    token = args.token_file.read_text(encoding="utf-8").strip() if args.token_file else None
    server = EmulatorServer(args.port, load_seed(args.seed), token)

    def stop(signum: int, frame: object) -> None:
        # shutdown() waits for serve_forever to return: call it off the serving thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    print(f"listening on {server.url}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
