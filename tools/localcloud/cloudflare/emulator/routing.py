"""Requests, multipart bodies, and the route table the handler modules register into."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from tools.localcloud.cloudflare.emulator import errors
from tools.localcloud.cloudflare.emulator.state import Account, State

Reply = tuple[int, Any]
"""HTTP status and the envelope's `result`."""


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class Request:
    method: str
    path: str
    """Below /client/v4, as the route table sees it."""
    query: dict[str, str]
    content_type: str
    body: bytes
    state: State

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            raise errors.bad_request("Request body is not valid JSON") from None

    def json_object(self) -> dict[str, Any]:
        body = self.json()
        if not isinstance(body, dict):
            raise errors.bad_request("Request body must be a JSON object")
        return body

    def multipart(self) -> list[Part]:
        if not self.content_type.startswith("multipart/form-data"):
            raise errors.bad_request("Expected a multipart/form-data body")
        head = f"Content-Type: {self.content_type}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + self.body)
        parts = []
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                raise errors.bad_request("A multipart part has no name")
            parts.append(
                Part(
                    name=str(name),
                    filename=part.get_filename(),
                    content_type=part.get_content_type(),
                    data=part.get_payload(decode=True) or b"",
                )
            )
        return parts


Handler = Callable[..., Reply]


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        """Register a handler; `{account_id}` in the pattern is resolved to `account=`."""
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "/?$")

        def register(handler: Handler) -> Handler:
            self._routes.append((method, regex, handler))
            return handler

        return register

    def dispatch(self, request: Request) -> Reply:
        path_matched = False
        for method, regex, handler in self._routes:
            match = regex.match(request.path)
            if not match:
                continue
            path_matched = True
            if method != request.method:
                continue
            params = match.groupdict()
            with request.state.lock:
                if "account_id" in params:
                    account: Account = request.state.account(
                        params.pop("account_id"), f"/client/v4{request.path}"
                    )
                    return handler(request, account=account, **params)
                return handler(request, **params)
        if path_matched:
            raise errors.method_not_allowed()
        raise errors.no_route(f"/client/v4{request.path}")
