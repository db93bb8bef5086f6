"""Where the provider finds its credentials and API endpoint: the environment, at call time.

These functions are called inside each provider operation, never at import time or in a
constructor, so no token is captured when Pulumi pickles a provider into the state.
"""

from __future__ import annotations

import os

from components.mail.postmark.errors import (
    ACCOUNT_TOKEN_ENV,
    API_URL_ENV,
    MissingCredentialsError,
)

DEFAULT_API_URL = "https://api.postmarkapp.com"


def account_token() -> str:
    """The account API token from POSTMARK_ACCOUNT_TOKEN; a clear error when it is unset."""
    token = os.environ.get(ACCOUNT_TOKEN_ENV, "").strip()
    if not token:
        raise MissingCredentialsError(ACCOUNT_TOKEN_ENV)
    return token


def api_base_url() -> str:
    """The API base URL from POSTMARK_API_URL (tests point it at a local fake server)."""
    return (os.environ.get(API_URL_ENV, "").strip() or DEFAULT_API_URL).rstrip("/")
