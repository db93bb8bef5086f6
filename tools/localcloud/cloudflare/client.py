"""The provider's HTTP client for the Cloudflare v4 API (the emulator, or anything like it).

Errors name the method, the path (ids only) and Cloudflare's `[code] message` pairs; request
bodies, which can hold secrets, never reach an error or a log.
"""

from __future__ import annotations

from typing import Any

import httpx

TIMEOUT_SECONDS = 30.0


class CloudflareApiError(Exception):
    def __init__(self, method: str, path: str, status: int, errors: list[dict[str, Any]]):
        self.status = status
        self.codes = {e.get("code") for e in errors}
        summary = "; ".join(f"[{e.get('code')}] {e.get('message')}" for e in errors)
        super().__init__(
            f"Cloudflare API {method} {path} failed with HTTP {status}: {summary or 'no details'}"
        )

    @property
    def not_found(self) -> bool:
        return self.status == 404


class CloudflareApi:
    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token

    def __repr__(self) -> str:  # the token stays out of any repr
        return f"CloudflareApi({self.base_url!r})"

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        files: Any = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        """The envelope's `result`; CloudflareApiError when `success` is false."""
        response = await self._send(method, path, json=json, files=files, params=params)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise CloudflareApiError(
                method, path, response.status_code, [{"code": 0, "message": "not a JSON body"}]
            )
        if not body.get("success"):
            raise CloudflareApiError(method, path, response.status_code, body.get("errors") or [])
        return body.get("result")

    async def raw(self, method: str, path: str) -> bytes:
        """A non-JSON answer (script content); a JSON error envelope still raises."""
        response = await self._send(method, path)
        if response.is_success:
            return response.content
        try:
            errors = response.json().get("errors") or []
        except ValueError:
            errors = []
        raise CloudflareApiError(method, path, response.status_code, errors)

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async with httpx.AsyncClient(
            headers={"Authorization": f"Bearer {self._token}"}, timeout=TIMEOUT_SECONDS
        ) as client:
            return await client.request(method, self.base_url + path, **kwargs)
