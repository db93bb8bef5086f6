"""Reading request bodies: required fields, enumerations and ranges, refused like the API."""

from __future__ import annotations

from typing import Any

from tools.localcloud.cloudflare.emulator import errors


def required_str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise errors.bad_request(f"'{key}' is required and must be a non-empty string")
    return value


def optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise errors.bad_request(f"'{key}' must be a string")
    return value


def one_of(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str | None:
    value = optional_str(body, key)
    if value is not None and value.lower() not in allowed:
        raise errors.bad_request(f"'{key}' must be one of {', '.join(allowed)}")
    return value


def number_in(body: dict[str, Any], key: str, low: float, high: float) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise errors.bad_request(f"'{key}' must be a number")
    if not low <= value <= high:
        raise errors.bad_request(f"'{key}' must be between {low:g} and {high:g}")
    return value


def string_list(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise errors.bad_request(f"'{key}' must be a list of strings")
    return value


def pick(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The given keys of a body that are set: a null means "the default", as for an omission."""
    return {k: body[k] for k in keys if body.get(k) is not None}
