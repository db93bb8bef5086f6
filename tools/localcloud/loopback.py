"""The one rule every local plugin applies to the endpoint it is given: loopback, http(s).

These plugins hold test credentials and must never reach a real cloud, whatever the stack
config says (`cloudflare:baseUrl`, `aws:endpoints`)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_url(url: str) -> bool:
    """An http(s) URL whose host is `localhost` or a loopback address (127.0.0.0/8, ::1)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
