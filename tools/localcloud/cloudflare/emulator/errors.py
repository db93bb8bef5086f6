"""Cloudflare's error envelope and the refusals this emulator answers with.

Codes and messages marked *observed* are quoted from public reports of the real API (wrangler
output or API bodies in issue threads); the others are the emulator's own choice, in the same
shape, where no public report was found. Messages never contain request values that could be
secret: only names and ids.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A refusal: HTTP status plus one Cloudflare error `{code, message}`."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def envelope(self) -> dict[str, Any]:
        return failure([{"code": self.code, "message": self.message}])


def success(result: Any) -> dict[str, Any]:
    return {"success": True, "errors": [], "messages": [], "result": result}


def failure(errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"success": False, "errors": errors, "messages": [], "result": None}


# -- authentication ---------------------------------------------------------------------------


def missing_token() -> ApiError:
    # Emulator's choice of code; 401 as for any request without credentials.
    return ApiError(401, 10001, "Unable to authenticate request")


def invalid_token() -> ApiError:
    # Observed: 10000 "Authentication error" for a token the account does not accept.
    return ApiError(403, 10000, "Authentication error")


# -- routing and ids --------------------------------------------------------------------------


def no_route(path: str) -> ApiError:
    # Observed (pulumi/pulumi-cloudflare#296): an unknown account id or path.
    return ApiError(
        404, 7003, f"Could not route to {path}, perhaps your object identifier is invalid?"
    )


def method_not_allowed() -> ApiError:
    return ApiError(405, 10000, "Method not allowed")


def bad_request(message: str) -> ApiError:
    # 7400 is what the D1 API answered for a malformed body (cf-tf #6309); used for every
    # malformed body here.
    return ApiError(400, 7400, message)


def not_found(what: str, ident: str, code: int = 10013) -> ApiError:
    return ApiError(404, code, f"{what} '{ident}' not found")


def duplicate(message: str, code: int) -> ApiError:
    return ApiError(409, code, message)


# -- resource refusals ------------------------------------------------------------------------


def kv_title_exists() -> ApiError:
    # Observed (cloudflare/workers-sdk#13242).
    return duplicate("a namespace with this account ID and title already exists", 10014)


def d1_name_exists() -> ApiError:
    # Observed: code 7502, which wrangler reports as "A database with that name already exists".
    return duplicate("A database with that name already exists", 7502)


def queue_not_found(queue: str) -> ApiError:
    # Observed: 11000 is QueueNotFound on the queues management API; message per Cloudflare's
    # queues error-code table ("Queue does not exist").
    return ApiError(404, 11000, f"Queue does not exist: {queue}")


def queue_name_exists() -> ApiError:
    return duplicate("A queue with this name already exists", 11009)


def queue_has_consumers(queue: str) -> ApiError:
    return ApiError(
        409, 11005, f"Queue '{queue}' has consumers; delete its consumers before the queue"
    )


def consumer_exists() -> ApiError:
    # Observed: workers.api.error.consumer_exists [code: 11004].
    return duplicate("workers.api.error.consumer_exists", 11004)


def script_not_found(script: str) -> ApiError:
    # Observed: 10007 workers.api.error.script_not_found.
    return ApiError(404, 10007, f"workers.api.error.script_not_found: {script}")


def script_is_consumer(script: str) -> ApiError:
    # Observed (cloudflare/workers-sdk#3370).
    return ApiError(409, 10064, f"script '{script}' still in use as a consumer for a queue")


def service_binding_unresolved(binding: str, target: str) -> ApiError:
    # Observed wording and code (e.g. jonbeckman/solstatus#24).
    return ApiError(
        400,
        10143,
        f"Could not resolve service binding '{binding}'. Target script '{target}' not found. "
        "Please verify the target script and try again.",
    )


def binding_target_missing(binding: str, kind: str, target: str) -> ApiError:
    return ApiError(
        400, 10021, f"binding {binding} of type {kind} references {target}, which does not exist"
    )


def duplicate_binding(binding: str) -> ApiError:
    return bad_request(f"Binding name '{binding}' is used more than once")


def wildcard_custom_domain() -> ApiError:
    # Wording as wrangler and the platform report it; code is the emulator's.
    return ApiError(400, 100117, "Wildcard operators are not allowed in Custom Domains")


def hostname_taken(hostname: str) -> ApiError:
    return duplicate(f"Hostname '{hostname}' is already attached to another Worker", 100116)


def name_exists(what: str, name: str, code: int = 10026) -> ApiError:
    return duplicate(f"A {what} named '{name}' already exists", code)
