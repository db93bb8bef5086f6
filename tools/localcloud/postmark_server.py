"""A local, in-memory, Postmark-compatible HTTP server for tests (stdlib only).

It speaks the subset of Postmark's API the project's provider uses: servers and domains (account
token), webhooks and message streams (server token), and sending one message (``POST /email``,
server token; what the example mail worker of the local twin uses), with Postmark's error bodies
``{"ErrorCode", "Message"}``. It is modelled on the documented API and community clients, not on
recordings of the real service; behaviours the docs leave open are configurable (see
``not_found_style``) so tests can cover each variant.

Usage::

    with FakePostmark() as fake:            # account token generated unless given
        os.environ.update(fake.env())       # POSTMARK_API_URL + POSTMARK_ACCOUNT_TOKEN
        fake.fail_next(429, times=3, method="POST", path="/servers")
        ...
        assert len(fake.servers) == 1
        assert fake.count_requests("POST", "/servers") == 4

Fault injection (queued, matched by method and an fnmatch path pattern, consumed in order):
``fail_next`` (status/ErrorCode, an empty or non-Postmark body, optionally after applying the
request: a 503 or 429 that hides a create), ``drop_next`` (close without answering, optionally
after applying the request), ``slow_next`` (answer later than the client waits, applying the
request first by default), ``before_next`` (run a callback, e.g. delete a server mid-operation).
"""

from __future__ import annotations

import base64
import copy
import fnmatch
import json
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

NotFoundStyle = Literal["422", "404", "404-empty"]
FaultKind = Literal["error", "drop", "slow", "hook"]

COLORS = ("purple", "blue", "turquoise", "green", "red", "yellow", "grey", "orange")
TRACK_LINKS = ("None", "HtmlAndText", "HtmlOnly", "TextOnly")
STREAM_TYPES = ("Transactional", "Broadcasts", "Inbound")
DEFAULT_STREAMS = (
    ("outbound", "Transactional", "Default Transactional Stream"),
    ("inbound", "Inbound", "Default Inbound Stream"),
    ("broadcast", "Broadcasts", "Default Broadcast Stream"),
)
RETURN_PATH_CNAME = "pm.mtasv.net"

_SERVER_FIELDS = frozenset(
    {
        "Name",
        "Color",
        "SmtpApiActivated",
        "RawEmailEnabled",
        "DeliveryType",
        "InboundHookUrl",
        "BounceHookUrl",
        "OpenHookUrl",
        "DeliveryHookUrl",
        "ClickHookUrl",
        "PostFirstOpenOnly",
        "InboundDomain",
        "InboundSpamThreshold",
        "TrackOpens",
        "TrackLinks",
        "IncludeBounceContentInHook",
        "EnableSmtpApiErrorHooks",
    }
)
_SERVER_EDIT_FIELDS = _SERVER_FIELDS - {"DeliveryType"}  # create-only per the Server API docs
_SERVER_BOOL_FIELDS = (
    "SmtpApiActivated",
    "RawEmailEnabled",
    "PostFirstOpenOnly",
    "TrackOpens",
    "IncludeBounceContentInHook",
    "EnableSmtpApiErrorHooks",
)
_HOOK_URL_FIELDS = (
    "InboundHookUrl",
    "BounceHookUrl",
    "OpenHookUrl",
    "DeliveryHookUrl",
    "ClickHookUrl",
)
_TRIGGER_OPTIONS = {
    "Open": ("Enabled", "PostFirstOpenOnly"),
    "Click": ("Enabled",),
    "Delivery": ("Enabled",),
    "Bounce": ("Enabled", "IncludeContent"),
    "SpamComplaint": ("Enabled", "IncludeContent"),
    "SubscriptionChange": ("Enabled",),
}
_DOMAIN_NAME = re.compile(
    r"^(?=.{1,255}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$", re.IGNORECASE
)
_STREAM_ID = re.compile(r"^[a-z][a-z0-9_-]{0,29}$")
# DER prefixes of RSA SubjectPublicKeyInfo for 1024- and 2048-bit keys (what "MIGf"/"MIIB" are).
_SPKI_PREFIX = {
    1024: (bytes.fromhex("30819f300d06092a864886f70d010101050003818d00"), 140),
    2048: (bytes.fromhex("30820122300d06092a864886f70d01010105000382010f00"), 270),
}


def fake_token(kind: str) -> str:
    """An obviously fake token value (never mistakable for a real credential)."""
    return f"fake-{kind}-token-{secrets.token_hex(8)}"


def fake_dkim_value(bits: int = 1024) -> str:
    """A ``k=rsa; p=...`` value shaped like a real key of that size (random, not a real key).
    1024 bits gives ~225 characters, 2048 bits ~400 (needs splitting for Route 53)."""
    prefix, body_len = _SPKI_PREFIX.get(bits, (b"\x30\x82", bits // 8 + 14))
    return "k=rsa; p=" + base64.b64encode(prefix + secrets.token_bytes(body_len)).decode()


@dataclass
class RecordedRequest:
    """One request the fake received (tokens are not recorded, only which kind was used)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    auth: str | None
    """'account', 'server' or None: which token header was present."""
    status: int | None = None
    """HTTP status sent, or None when the connection was dropped / the answer not delivered."""


@dataclass
class Fault:
    """A queued fault; see FakePostmark.fail_next/drop_next/slow_next/before_next."""

    kind: FaultKind
    remaining: int
    method: str | None = None
    path: str | None = None
    status: int = 0
    error_code: int | None = None
    message: str | None = None
    empty_body: bool = False
    raw_body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    apply: bool = False
    delay: float = 0.0
    action: Callable[[FakePostmark], None] | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (
            self.path is None or fnmatch.fnmatchcase(path, self.path)
        )


@dataclass
class _Reply:
    status: int
    body: Any = None  # None: empty body
    headers: dict[str, str] = field(default_factory=dict)
    raw: str | None = None  # sent as is (not JSON), with the Content-Type in headers


class _ApiError(Exception):
    def __init__(self, reply: _Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def _error(code: int, message: str, status: int = 422) -> _ApiError:
    return _ApiError(_Reply(status, {"ErrorCode": code, "Message": message}))


_INVALID_JSON = object()  # marks a request body that failed to parse


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FakePostmark:
    """In-memory Postmark on 127.0.0.1 with an OS-chosen port. Thread-safe."""

    def __init__(
        self,
        account_token: str | None = None,
        *,
        dkim_key_bits: int = 1024,
        not_found_style: NotFoundStyle = "422",
        server_deletion_enabled: bool = True,
        dns_published: bool = True,
        verification_delay_polls: int = 0,
    ) -> None:
        self.account_token = account_token or fake_token("account")
        self.dkim_key_bits = dkim_key_bits
        """Key size new domains get (1024 or 2048 give realistic value lengths)."""
        self.not_found_style: NotFoundStyle = not_found_style
        """How missing objects answer: '422' (ErrorCode 601/510/1226), '404' (JSON body) or
        '404-empty' (no body at all). Postmark's docs leave this open."""
        self.server_deletion_enabled = server_deletion_enabled
        """False: DELETE /servers/{id} answers ErrorCode 604 like an account without the
        permission."""
        self.dns_published = dns_published
        """False: verify endpoints never verify (records not in DNS)."""
        self.verification_delay_polls = verification_delay_polls
        """Number of GET /domains/{id} after a verify call before the record counts as verified
        (Postmark checks asynchronously)."""
        self.failing_webhook_urls: set[str] = set()
        """Webhook URLs whose endpoint "fails verification" (ErrorCode 1364 on create/edit)."""
        self.failing_recipients: set[str] = set()
        """Recipients whose sends (POST /email) answer 500 every time, like a Postmark outage for
        them; the request is recorded, the message is not."""

        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._servers: dict[int, dict[str, Any]] = {}
        self._domains: dict[int, dict[str, Any]] = {}
        self._webhooks: dict[int, dict[str, Any]] = {}
        self._streams: dict[int, dict[str, dict[str, Any]]] = {}
        self._pending_checks: dict[tuple[int, str], int] = {}
        self._faults: list[Fault] = []
        self._requests: list[RecordedRequest] = []
        self._messages: list[dict[str, Any]] = []
        self._ids = {"server": 1000, "domain": 2000, "webhook": 3000}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakePostmark:
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},  # fast shutdown between tests
            name="fake-postmark",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in slow faults
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakePostmark:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "FakePostmark is not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def env(self) -> dict[str, str]:
        """Environment variables that point the provider at this fake."""
        return {"POSTMARK_API_URL": self.url, "POSTMARK_ACCOUNT_TOKEN": self.account_token}

    # -- fault injection -----------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        error_code: int | None = None,
        message: str | None = None,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
        empty_body: bool = False,
        raw_body: str | None = None,
        headers: dict[str, str] | None = None,
        after_apply: bool = False,
    ) -> None:
        """The next ``times`` matching requests get this status, with ``{"ErrorCode",
        "Message"}`` unless ``empty_body`` or ``raw_body`` (sent as is, e.g. a proxy's HTML page;
        set its Content-Type in ``headers``). With ``after_apply`` the request is applied first,
        like a Postmark that did the work and then answered 503 or 429; otherwise nothing is
        applied."""
        self._queue(
            Fault(
                "error",
                times,
                method,
                path,
                status=status,
                error_code=error_code,
                message=message,
                empty_body=empty_body,
                raw_body=raw_body,
                headers=dict(headers or {}),
                apply=after_apply,
            )
        )

    def drop_next(
        self,
        *,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
        after_apply: bool = False,
    ) -> None:
        """Close the connection without answering; ``after_apply`` applies the request first
        (the client cannot know it succeeded)."""
        self._queue(Fault("drop", times, method, path, apply=after_apply))

    def slow_next(
        self,
        seconds: float,
        *,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
        after_apply: bool = True,
    ) -> None:
        """Answer only after ``seconds`` (longer than the client's timeout). With
        ``after_apply`` (default) the request is applied at once, like a server that did the work
        but answered late; otherwise nothing is applied and the connection is closed."""
        self._queue(Fault("slow", times, method, path, apply=after_apply, delay=seconds))

    def before_next(
        self,
        action: Callable[[FakePostmark], None],
        *,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Run ``action(fake)`` just before handling the next matching request normally."""
        self._queue(Fault("hook", times, method, path, action=action))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> list[Fault]:
        with self._lock:
            return [copy.copy(f) for f in self._faults if f.remaining > 0]

    def _queue(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.matches(method, path):
                    fault.remaining -= 1
                    return fault
        return None

    # -- inspection ----------------------------------------------------------------------------

    @property
    def servers(self) -> dict[int, dict[str, Any]]:
        """Snapshot of all servers by ID (Postmark's JSON shape)."""
        with self._lock:
            return copy.deepcopy(self._servers)

    def server_named(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            found = next((s for s in self._servers.values() if s["Name"] == name), None)
            return copy.deepcopy(found)

    def server_token(self, server_id: int | str) -> str:
        with self._lock:
            return self._servers[int(server_id)]["ApiTokens"][0]

    @property
    def domains(self) -> dict[int, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._domains)

    @property
    def webhooks(self) -> dict[int, dict[str, Any]]:
        """Snapshot of all webhooks by ID; each also carries ``ServerID``."""
        with self._lock:
            return copy.deepcopy(self._webhooks)

    def message_streams(self, server_id: int | str) -> dict[str, dict[str, Any]]:
        """Snapshot of a server's streams by ID, archived ones included."""
        with self._lock:
            return copy.deepcopy(self._streams.get(int(server_id), {}))

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every message accepted by POST /email, oldest first; each also carries ``ServerID``."""
        with self._lock:
            return copy.deepcopy(self._messages)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def count_requests(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests matched ``method`` and the fnmatch ``path`` pattern."""
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (path is None or fnmatch.fnmatchcase(r.path, path))
        )

    # -- out-of-band changes (what someone clicking in Postmark's UI would do) ------------------

    def add_server(self, name: str, **fields: Any) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._create_server({"Name": name, **fields}))

    def edit_server(self, server_id: int | str, **fields: Any) -> None:
        with self._lock:
            server = self._servers[int(server_id)]
            server.update(fields)
            if "Color" in fields:
                server["Color"] = str(fields["Color"]).lower()

    def remove_server(self, server_id: int | str) -> None:
        with self._lock:
            self._delete_server(int(server_id))

    def add_domain(self, name: str, return_path_domain: str | None = None) -> dict[str, Any]:
        with self._lock:
            body = {"Name": name}
            if return_path_domain:
                body["ReturnPathDomain"] = return_path_domain
            return copy.deepcopy(self._create_domain(body))

    def edit_domain(self, domain_id: int | str, **fields: Any) -> None:
        with self._lock:
            self._domains[int(domain_id)].update(fields)

    def remove_domain(self, domain_id: int | str) -> None:
        with self._lock:
            self._domains.pop(int(domain_id), None)

    def edit_webhook(self, webhook_id: int | str, **fields: Any) -> None:
        with self._lock:
            self._webhooks[int(webhook_id)].update(fields)

    def remove_webhook(self, webhook_id: int | str) -> None:
        with self._lock:
            self._webhooks.pop(int(webhook_id), None)

    def archive_stream(self, server_id: int | str, stream_id: str) -> None:
        with self._lock:
            self._archive(self._streams[int(server_id)][stream_id])

    # -- request handling ----------------------------------------------------------------------

    def _handle(self, request: _Handler) -> None:
        split = urlsplit(request.path)
        path = split.path.rstrip("/") or "/"
        method = request.command
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        raw = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = _INVALID_JSON
        record = RecordedRequest(
            method=method, path=path, query=query, body=body, auth=self._auth_kind(request)
        )
        with self._lock:
            self._requests.append(record)

        fault = self._take_fault(method, path)
        if fault is not None and fault.kind == "hook" and fault.action is not None:
            fault.action(self)
            fault = None
        if fault is not None and fault.kind == "error":
            if fault.apply:
                self._route(request, method, path, query, body)  # its answer is lost
            body_out = None
            if not fault.empty_body and fault.raw_body is None:
                default_code = {401: 10, 503: 100}.get(fault.status, fault.status)
                body_out = {
                    "ErrorCode": default_code if fault.error_code is None else fault.error_code,
                    "Message": fault.message or f"Injected HTTP {fault.status}.",
                }
            record.status = fault.status
            request.send_reply(_Reply(fault.status, body_out, fault.headers, fault.raw_body))
            return
        if fault is not None and not fault.apply:
            if fault.kind == "slow":
                self._stopping.wait(fault.delay)
            request.close_connection = True  # answer nothing
            return

        reply = self._route(request, method, path, query, body)
        if fault is not None:  # applied; now drop or answer too late
            if fault.kind == "slow":
                self._stopping.wait(fault.delay)
                request.send_reply(reply, ignore_disconnect=True)
            request.close_connection = True
            return
        record.status = reply.status
        request.send_reply(reply)

    @staticmethod
    def _auth_kind(request: _Handler) -> str | None:
        if request.headers.get("X-Postmark-Account-Token"):
            return "account"
        if request.headers.get("X-Postmark-Server-Token"):
            return "server"
        return None

    def _route(
        self, request: _Handler, method: str, path: str, query: dict[str, str], body: Any
    ) -> _Reply:
        segments = [s for s in path.split("/") if s]
        try:
            if "application/json" not in (request.headers.get("Accept") or ""):
                raise _error(409, "Accept: application/json is required.", status=415)
            if body is _INVALID_JSON:
                raise _error(402, "Received invalid JSON input.")
            if (
                method in ("POST", "PUT", "PATCH")
                and body is not None
                and not isinstance(body, dict)
            ):
                raise _error(402, "Expected a JSON object.")
            if body is not None and "application/json" not in (
                request.headers.get("Content-Type") or ""
            ):
                raise _error(409, "Content-Type: application/json is required.", status=415)
            root = segments[0].lower() if segments else ""
            with self._lock:
                if root in ("servers", "domains"):
                    self._require_account_token(request)
                    if root == "servers":
                        return self._servers_api(method, segments[1:], query, body or {})
                    return self._domains_api(method, segments[1:], query, body or {})
                if root in ("server", "webhooks", "message-streams", "email"):
                    server = self._require_server_token(request)
                    if root == "email" and method == "POST" and len(segments) == 1:
                        return self._send_email(server, body or {})
                    if root == "server" and method == "GET" and len(segments) == 1:
                        return _Reply(200, copy.deepcopy(server))
                    if root == "webhooks":
                        return self._webhooks_api(server, method, segments[1:], query, body or {})
                    if root == "message-streams":
                        return self._streams_api(server, method, segments[1:], query, body or {})
            return _Reply(404)
        except _ApiError as err:
            return err.reply

    def _require_account_token(self, request: _Handler) -> None:
        if request.headers.get("X-Postmark-Account-Token") != self.account_token:
            raise _error(10, "Request does not contain a valid Account token.", status=401)

    def _require_server_token(self, request: _Handler) -> dict[str, Any]:
        token = request.headers.get("X-Postmark-Server-Token")
        for server in self._servers.values():
            if token and token in server["ApiTokens"]:
                return server
        raise _error(10, "Request does not contain a valid Server token.", status=401)

    def _not_found(self, code: int, what: str) -> _ApiError:
        if self.not_found_style == "404-empty":
            return _ApiError(_Reply(404))
        status = 404 if self.not_found_style == "404" else 422
        return _error(code, f"{what} not found.", status=status)

    @staticmethod
    def _reject_unknown_fields(body: dict[str, Any], allowed: frozenset[str]) -> None:
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise _error(403, f"The request contains invalid field(s): {', '.join(unknown)}.")

    def _next_id(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    # -- servers -------------------------------------------------------------------------------

    def _servers_api(
        self, method: str, rest: list[str], query: dict[str, str], body: dict[str, Any]
    ) -> _Reply:
        if not rest:
            if method == "GET":
                return _Reply(200, self._list_servers(query))
            if method == "POST":
                self._reject_unknown_fields(body, _SERVER_FIELDS)
                return _Reply(200, copy.deepcopy(self._create_server(body)))
            return _Reply(405)
        server = self._servers.get(int(rest[0])) if rest[0].isdigit() else None
        if server is None or len(rest) > 1:
            raise self._not_found(601, "Server")
        if method == "GET":
            return _Reply(200, copy.deepcopy(server))
        if method == "PUT":
            self._reject_unknown_fields(body, _SERVER_EDIT_FIELDS)
            if not body:
                raise _error(609, "No server data was provided.")
            self._validate_server(body, creating=False, server_id=server["ID"])
            self._apply_server_fields(server, body)
            return _Reply(200, copy.deepcopy(server))
        if method == "DELETE":
            if not self.server_deletion_enabled:
                raise _error(
                    604, "You don't have delete access on servers. Please contact support."
                )
            self._delete_server(server["ID"])
            return _Reply(200, {"ErrorCode": 0, "Message": f"Server {server['ID']} removed."})
        return _Reply(405)

    def _list_servers(self, query: dict[str, str]) -> dict[str, Any]:
        count, offset = self._paging(query)
        wanted = query.get("name", "").casefold()
        matching = [s for _, s in sorted(self._servers.items()) if wanted in s["Name"].casefold()]
        page = matching[offset : offset + count]
        return {"TotalCount": len(matching), "Servers": copy.deepcopy(page)}

    @staticmethod
    def _paging(query: dict[str, str]) -> tuple[int, int]:
        try:
            count, offset = int(query["count"]), int(query["offset"])
        except (KeyError, ValueError):
            raise _error(600, "The 'count' and 'offset' query parameters are required.") from None
        if not 0 < count <= 500 or offset < 0:
            raise _error(600, "'count' must be 1..500 and 'offset' not negative.")
        return count, offset

    def _validate_server(self, body: dict[str, Any], *, creating: bool, server_id: int) -> None:
        name = body.get("Name")
        if (creating or "Name" in body) and (not isinstance(name, str) or not name.strip()):
            raise _error(608, "Server name is missing or invalid.")
        if isinstance(name, str) and any(
            s["Name"].casefold() == name.casefold() and s["ID"] != server_id
            for s in self._servers.values()
        ):
            raise _error(603, f"This server name already exists: '{name}'.")
        if "Color" in body and str(body["Color"]).lower() not in COLORS:
            raise _error(607, "Invalid server color.")
        if "DeliveryType" in body and body["DeliveryType"] not in ("Live", "Sandbox"):
            raise _error(403, "Invalid DeliveryType.")
        if "TrackLinks" in body and body["TrackLinks"] not in TRACK_LINKS:
            raise _error(403, "Invalid TrackLinks value.")
        for key in _SERVER_BOOL_FIELDS:
            if key in body and not isinstance(body[key], bool):
                raise _error(403, f"{key} must be a boolean.")
        for key in _HOOK_URL_FIELDS:
            url = body.get(key)
            if url and not str(url).startswith(("http://", "https://")):
                raise _error(606, f"Invalid {key}.")
        threshold = body.get("InboundSpamThreshold")
        if threshold is not None and (
            not isinstance(threshold, int) or not 0 <= threshold <= 30 or threshold % 5
        ):
            raise _error(611, "InboundSpamThreshold must be 0..30 in steps of 5.")
        inbound = body.get("InboundDomain")
        if inbound and any(
            s.get("InboundDomain", "").casefold() == str(inbound).casefold()
            and s["ID"] != server_id
            for s in self._servers.values()
        ):
            raise _error(602, "This inbound domain is already in use.")

    def _create_server(self, body: dict[str, Any]) -> dict[str, Any]:
        self._validate_server(body, creating=True, server_id=-1)
        server_id = self._next_id("server")
        inbound_hash = secrets.token_hex(16)
        server: dict[str, Any] = {
            "ID": server_id,
            "Name": "",
            "ApiTokens": [fake_token("server")],
            "ServerLink": f"https://account.postmarkapp.com/servers/{server_id}/streams",
            "Color": "purple",
            # Users report Postmark defaults SMTP to off when the field is omitted.
            "SmtpApiActivated": False,
            "RawEmailEnabled": False,
            "DeliveryType": "Live",
            "InboundAddress": f"{inbound_hash}@inbound.postmarkapp.com",
            "InboundHash": inbound_hash,
            "InboundDomain": "",
            "InboundSpamThreshold": 0,
            "TrackOpens": False,
            "TrackLinks": "None",
            "PostFirstOpenOnly": False,
            "IncludeBounceContentInHook": False,
            "EnableSmtpApiErrorHooks": False,
            **dict.fromkeys(_HOOK_URL_FIELDS, ""),
        }
        self._apply_server_fields(server, body)
        self._servers[server_id] = server
        now = _now()
        self._streams[server_id] = {
            stream_id: {
                "ID": stream_id,
                "ServerID": server_id,
                "Name": name,
                "Description": None,
                "MessageStreamType": stream_type,
                "CreatedAt": now,
                "UpdatedAt": None,
                "ArchivedAt": None,
                "ExpectedPurgeDate": None,
                "SubscriptionManagementConfiguration": {
                    "UnsubscribeHandlingType": "Postmark" if stream_type == "Broadcasts" else "None"
                },
                "_default": True,
            }
            for stream_id, stream_type, name in DEFAULT_STREAMS
        }
        return server

    @staticmethod
    def _apply_server_fields(server: dict[str, Any], body: dict[str, Any]) -> None:
        server.update(body)
        if "Color" in body:
            server["Color"] = str(body["Color"]).lower()  # Postmark answers in lowercase

    def _delete_server(self, server_id: int) -> None:
        self._servers.pop(server_id, None)
        self._streams.pop(server_id, None)
        for hook_id in [h for h, w in self._webhooks.items() if w["ServerID"] == server_id]:
            del self._webhooks[hook_id]

    # -- domains -------------------------------------------------------------------------------

    def _domains_api(
        self, method: str, rest: list[str], query: dict[str, str], body: dict[str, Any]
    ) -> _Reply:
        if not rest:
            if method == "GET":
                count, offset = self._paging(query)
                items = [d for _, d in sorted(self._domains.items())]
                page = [
                    {
                        k: d[k]
                        for k in (
                            "ID",
                            "Name",
                            "SPFVerified",
                            "DKIMVerified",
                            "WeakDKIM",
                            "ReturnPathDomainVerified",
                        )
                    }
                    for d in items[offset : offset + count]
                ]
                return _Reply(200, {"TotalCount": len(items), "Domains": page})
            if method == "POST":
                self._reject_unknown_fields(body, frozenset({"Name", "ReturnPathDomain"}))
                return _Reply(200, copy.deepcopy(self._create_domain(body)))
            return _Reply(405)
        domain = self._domains.get(int(rest[0])) if rest[0].isdigit() else None
        if domain is None:
            raise self._not_found(510, "Domain")
        action = rest[1].lower() if len(rest) > 1 else ""
        if method == "GET" and not action:
            self._advance_pending_checks(domain)
            return _Reply(200, copy.deepcopy(domain))
        if method == "PUT" and not action:
            self._reject_unknown_fields(body, frozenset({"ReturnPathDomain"}))
            self._validate_return_path(domain["Name"], body.get("ReturnPathDomain"))
            domain["ReturnPathDomain"] = body.get("ReturnPathDomain") or ""
            domain["ReturnPathDomainVerified"] = False
            return _Reply(200, copy.deepcopy(domain))
        if method == "DELETE" and not action:
            del self._domains[domain["ID"]]
            return _Reply(200, {"ErrorCode": 0, "Message": f"Domain {domain['ID']} removed."})
        if method == "PUT" and action in ("verifydkim", "verifyreturnpath"):
            kind = "dkim" if action == "verifydkim" else "returnpath"
            if self.dns_published:
                self._pending_checks[(domain["ID"], kind)] = self.verification_delay_polls
                self._advance_pending_checks(domain, consume=False)
            return _Reply(200, copy.deepcopy(domain))
        raise self._not_found(510, "Domain")

    def _create_domain(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("Name")
        if not isinstance(name, str) or not name:
            raise _error(514, "Name is required.")
        if len(name) > 255:
            raise _error(515, "Name is too long.")
        if not _DOMAIN_NAME.match(name):
            raise _error(516, "Name is not a valid domain.")
        if any(d["Name"].casefold() == name.casefold() for d in self._domains.values()):
            raise _error(512, "This domain already exists.")
        self._validate_return_path(name, body.get("ReturnPathDomain"))
        domain_id = self._next_id("domain")
        selector = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        domain = {
            "ID": domain_id,
            "Name": name,
            "SPFVerified": False,
            "SPFHost": name,
            "SPFTextValue": "v=spf1 a mx include:spf.mtasv.net ~all",
            "DKIMVerified": False,
            "WeakDKIM": False,
            "DKIMHost": "",
            "DKIMTextValue": "",
            "DKIMPendingHost": f"{selector}pm._domainkey.{name}",
            "DKIMPendingTextValue": fake_dkim_value(self.dkim_key_bits),
            "DKIMRevokedHost": "",
            "DKIMRevokedTextValue": "",
            "SafeToRemoveRevokedKeyFromDNS": False,
            "DKIMUpdateStatus": "Pending",
            "ReturnPathDomain": body.get("ReturnPathDomain") or "",
            "ReturnPathDomainVerified": False,
            "ReturnPathDomainCNAMEValue": RETURN_PATH_CNAME,
        }
        self._domains[domain_id] = domain
        return domain

    @staticmethod
    def _validate_return_path(name: str, return_path: Any) -> None:
        if return_path and not str(return_path).casefold().endswith("." + name.casefold()):
            raise _error(511, "ReturnPathDomain must be a subdomain of the domain.")

    def _advance_pending_checks(self, domain: dict[str, Any], *, consume: bool = True) -> None:
        for kind in ("dkim", "returnpath"):
            key = (domain["ID"], kind)
            if key not in self._pending_checks or not self.dns_published:
                continue
            if consume and self._pending_checks[key] > 0:
                self._pending_checks[key] -= 1
            if self._pending_checks[key] > 0:
                continue
            del self._pending_checks[key]
            if kind == "dkim" and domain["DKIMPendingHost"]:
                domain.update(
                    DKIMHost=domain["DKIMPendingHost"],
                    DKIMTextValue=domain["DKIMPendingTextValue"],
                    DKIMPendingHost="",
                    DKIMPendingTextValue="",
                    DKIMVerified=True,
                    DKIMUpdateStatus="Verified",
                )
            elif kind == "returnpath" and domain["ReturnPathDomain"]:
                domain["ReturnPathDomainVerified"] = True

    # -- webhooks (server token) ---------------------------------------------------------------

    def _webhooks_api(
        self,
        server: dict[str, Any],
        method: str,
        rest: list[str],
        query: dict[str, str],
        body: dict[str, Any],
    ) -> _Reply:
        streams = self._streams.get(server["ID"], {})
        if not rest:
            if method == "GET":
                stream = query.get("MessageStream")
                if stream is not None and stream not in streams:
                    raise _error(1226, f"The message stream '{stream}' was not found.")
                hooks = [
                    self._public_webhook(w)
                    for _, w in sorted(self._webhooks.items())
                    if w["ServerID"] == server["ID"]
                    and (stream is None or w["MessageStream"] == stream)
                ]
                return _Reply(200, {"Webhooks": hooks})
            if method == "POST":
                allowed = frozenset({"Url", "MessageStream", "HttpAuth", "HttpHeaders", "Triggers"})
                self._reject_unknown_fields(body, allowed)
                stream = body.get("MessageStream") or "outbound"
                if stream not in streams or streams[stream]["ArchivedAt"]:
                    raise _error(1226, f"The message stream '{stream}' was not found.")
                hook = {
                    "ID": self._next_id("webhook"),
                    "ServerID": server["ID"],
                    "Url": "",
                    "MessageStream": stream,
                    "HttpAuth": None,
                    "HttpHeaders": [],
                    "Triggers": {t: dict.fromkeys(o, False) for t, o in _TRIGGER_OPTIONS.items()},
                }
                self._apply_webhook_fields(hook, body)
                self._webhooks[hook["ID"]] = hook
                return _Reply(200, self._public_webhook(hook))
            return _Reply(405)
        hook = self._webhooks.get(int(rest[0])) if rest[0].isdigit() else None
        if hook is None or hook["ServerID"] != server["ID"] or len(rest) > 1:
            # Webhooks have no documented not-found ErrorCode: answer 404 in every style.
            if self.not_found_style == "404-empty":
                raise _ApiError(_Reply(404))
            raise _error(404, "Webhook not found.", status=404)
        if method == "GET":
            return _Reply(200, self._public_webhook(hook))
        if method == "PUT":
            # MessageStream cannot be changed (postmark.js never sends it on edit).
            editable = frozenset({"Url", "HttpAuth", "HttpHeaders", "Triggers"})
            self._reject_unknown_fields(body, editable)
            updated = copy.deepcopy(hook)
            self._apply_webhook_fields(updated, body)
            self._webhooks[hook["ID"]] = updated  # only saved once verification passed
            return _Reply(200, self._public_webhook(updated))
        if method == "DELETE":
            del self._webhooks[hook["ID"]]
            return _Reply(200, {"ErrorCode": 0, "Message": f"Webhook {hook['ID']} removed."})
        return _Reply(405)

    def _apply_webhook_fields(self, hook: dict[str, Any], body: dict[str, Any]) -> None:
        if "Url" in body:
            hook["Url"] = body["Url"]
        if not str(hook["Url"]).startswith(("http://", "https://")):
            raise _error(606, "Invalid webhook URL.")
        if "HttpAuth" in body:
            auth = body["HttpAuth"] or {}
            if not isinstance(auth, dict) or set(auth) - {"Username", "Password"}:
                raise _error(403, "Invalid HttpAuth.")
            hook["HttpAuth"] = (
                {"Username": auth.get("Username", ""), "Password": auth.get("Password", "")}
                if auth.get("Username") or auth.get("Password")
                else None
            )
        if "HttpHeaders" in body:
            headers = body["HttpHeaders"] or []
            if not isinstance(headers, list) or any(
                not isinstance(h, dict) or set(h) != {"Name", "Value"} for h in headers
            ):
                raise _error(403, "Invalid HttpHeaders.")
            hook["HttpHeaders"] = [dict(h) for h in headers]
        if "Triggers" in body:
            for trigger, options in (body["Triggers"] or {}).items():
                if trigger not in _TRIGGER_OPTIONS or not isinstance(options, dict):
                    raise _error(403, f"Invalid trigger '{trigger}'.")
                for option, value in options.items():
                    if option not in _TRIGGER_OPTIONS[trigger] or not isinstance(value, bool):
                        raise _error(403, f"Invalid option '{option}' of trigger '{trigger}'.")
                    hook["Triggers"][trigger][option] = value
        enabled = any(t["Enabled"] for t in hook["Triggers"].values())
        if enabled and hook["Url"] in self.failing_webhook_urls:
            raise _error(1364, "Webhook URL verification failed: the endpoint did not return 200.")

    @staticmethod
    def _public_webhook(hook: dict[str, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in hook.items() if k != "ServerID"}

    # -- sending (server token) -----------------------------------------------------------------

    _EMAIL_FIELDS = frozenset(
        {"From", "To", "Cc", "Bcc", "Subject", "Tag", "HtmlBody", "TextBody", "ReplyTo"}
        | {"Headers", "TrackOpens", "TrackLinks", "Metadata", "Attachments", "MessageStream"}
    )

    def _send_email(self, server: dict[str, Any], body: dict[str, Any]) -> _Reply:
        """POST /email: one message, as Postmark's Email API documents it."""
        self._reject_unknown_fields(body, self._EMAIL_FIELDS)
        if not body.get("From") or not body.get("To"):
            raise _error(300, "Invalid email request: 'From' and 'To' are required.")
        if not body.get("TextBody") and not body.get("HtmlBody"):
            raise _error(300, "Provide either email TextBody or HtmlBody or both.")
        stream_id = body.get("MessageStream") or "outbound"
        stream = self._streams.get(server["ID"], {}).get(stream_id)
        if stream is None or stream["ArchivedAt"] or stream["MessageStreamType"] == "Inbound":
            raise _error(1235, f"The message stream '{stream_id}' was not found.")
        if body["To"] in self.failing_recipients:
            raise _error(500, "Injected HTTP 500 for this recipient.", status=500)
        message = {
            **copy.deepcopy(body),
            "MessageStream": stream_id,
            "ServerID": server["ID"],
            "MessageID": str(uuid.uuid4()),
            "SubmittedAt": _now(),
        }
        self._messages.append(message)
        return _Reply(
            200,
            {
                "To": body["To"],
                "SubmittedAt": message["SubmittedAt"],
                "MessageID": message["MessageID"],
                "ErrorCode": 0,
                "Message": "OK",
            },
        )

    # -- message streams (server token) --------------------------------------------------------

    def _streams_api(
        self,
        server: dict[str, Any],
        method: str,
        rest: list[str],
        query: dict[str, str],
        body: dict[str, Any],
    ) -> _Reply:
        streams = self._streams.setdefault(server["ID"], {})
        if not rest:
            if method == "GET":
                wanted = query.get("MessageStreamType", "All")
                archived = query.get("IncludeArchivedStreams", "false").lower() == "true"
                items = [
                    self._public_stream(s)
                    for s in streams.values()
                    if (wanted == "All" or s["MessageStreamType"] == wanted)
                    and (archived or not s["ArchivedAt"])
                ]
                return _Reply(200, {"MessageStreams": items, "TotalCount": len(items)})
            if method == "POST":
                return _Reply(200, self._public_stream(self._create_stream(server, body)))
            return _Reply(405)
        stream = streams.get(rest[0])
        if stream is None:
            raise self._not_found(1226, "Message stream")
        action = rest[1].lower() if len(rest) > 1 else ""
        if method == "GET" and not action:
            return _Reply(200, self._public_stream(stream))
        if method == "PATCH" and not action:
            self._reject_unknown_fields(
                body, frozenset({"Name", "Description", "SubscriptionManagementConfiguration"})
            )
            self._validate_stream_text(body)
            for key in ("Name", "Description", "SubscriptionManagementConfiguration"):
                if key in body:
                    stream[key] = body[key] if body[key] != "" else None
            stream["UpdatedAt"] = _now()
            return _Reply(200, self._public_stream(stream))
        if method == "POST" and action == "archive":
            if stream.get("_default"):
                raise _error(1229, "Default message streams cannot be archived.")
            self._archive(stream)
            return _Reply(
                200,
                {
                    "ID": stream["ID"],
                    "ServerID": server["ID"],
                    "ExpectedPurgeDate": stream["ExpectedPurgeDate"],
                },
            )
        if method == "POST" and action == "unarchive":
            stream["ArchivedAt"] = None
            stream["ExpectedPurgeDate"] = None
            return _Reply(200, self._public_stream(stream))
        raise self._not_found(1226, "Message stream")

    def _create_stream(self, server: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        allowed = frozenset({"ID", "Name", "MessageStreamType", "Description"}) | {
            "SubscriptionManagementConfiguration"
        }
        self._reject_unknown_fields(body, allowed)
        streams = self._streams[server["ID"]]
        stream_id = body.get("ID")
        if not isinstance(stream_id, str) or not _STREAM_ID.match(stream_id):
            raise _error(1227, "Invalid message stream ID.")
        if stream_id.startswith("pm-"):
            raise _error(1233, "Message stream IDs cannot start with 'pm-'.")
        if stream_id == "all":
            raise _error(1237, "'all' is a reserved message stream ID.")
        if stream_id in streams:  # archived IDs stay reserved until purge
            raise _error(1230, "A message stream with this ID already exists.")
        stream_type = body.get("MessageStreamType")
        if stream_type not in STREAM_TYPES:
            raise _error(403, "Invalid MessageStreamType.")
        if stream_type == "Inbound":
            raise _error(1228, "A server can only have one inbound message stream.")
        if len(streams) >= 10:
            raise _error(1225, "Maximum number of message streams reached.")
        if not body.get("Name"):
            raise _error(1224, "Message stream name is required.")
        self._validate_stream_text(body)
        stream = {
            "ID": stream_id,
            "ServerID": server["ID"],
            "Name": body["Name"],
            "Description": body.get("Description") or None,
            "MessageStreamType": stream_type,
            "CreatedAt": _now(),
            "UpdatedAt": None,
            "ArchivedAt": None,
            "ExpectedPurgeDate": None,
            "SubscriptionManagementConfiguration": body.get("SubscriptionManagementConfiguration")
            or {"UnsubscribeHandlingType": "Postmark" if stream_type == "Broadcasts" else "None"},
        }
        streams[stream_id] = stream
        return stream

    @staticmethod
    def _validate_stream_text(body: dict[str, Any]) -> None:
        if "Name" in body and (not body["Name"] or len(str(body["Name"])) > 100):
            raise _error(1224, "Message stream name must be 1..100 characters.")
        description = body.get("Description") or ""
        if len(description) > 1000:
            raise _error(1231, "Description is too long.")
        if "<" in description or ">" in description:
            raise _error(1234, "Description cannot contain '<' or '>'.")

    @staticmethod
    def _archive(stream: dict[str, Any]) -> None:
        if not stream["ArchivedAt"]:
            now = datetime.now(UTC)
            stream["ArchivedAt"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
            stream["ExpectedPurgeDate"] = (now + timedelta(days=45)).strftime("%Y-%m-%dT%H:%M:%SZ")

    @staticmethod
    def _public_stream(stream: dict[str, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in stream.items() if not k.startswith("_")}


class _Handler(BaseHTTPRequestHandler):
    fake: FakePostmark  # bound per server instance in FakePostmark.start
    server_version = "FakePostmark/1.0"

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self.fake._handle(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def send_reply(self, reply: _Reply, *, ignore_disconnect: bool = False) -> None:
        if reply.raw is not None:
            payload = reply.raw.encode()
        else:
            payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if payload and reply.raw is None:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            if not ignore_disconnect:
                raise

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        """Silence per-request logging."""


def iter_tokens(fake: FakePostmark) -> Iterator[str]:
    """Every token the fake knows (account + all server tokens), for leak assertions."""
    yield fake.account_token
    for server in fake.servers.values():
        yield from server["ApiTokens"]
