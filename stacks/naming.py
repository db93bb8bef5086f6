"""Physical names per environment: prod names are bare, staging names carry a suffix.

One place decides how a logical name becomes the name Cloudflare, Postmark or wrangler sees,
and how to tell that a name belongs to another environment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # keeps this module free of pydantic for the policy pack's own virtualenv
    from stacks.schema import Environment

# Hyphenated names (workers, KV titles, D1, queues, dispatch namespaces) and Secrets Store
# secret names (upper snake case) get different suffix styles.
_SUFFIX = {"prod": "", "staging": "-staging"}
_SECRET_SUFFIX = {"prod": "", "staging": "_STAGING"}


def physical(logical: str, env: Environment) -> str:
    """`bookmarks-mail-worker` -> `bookmarks-mail-worker-staging` in staging, bare in prod."""
    return logical + _SUFFIX[env]


def secret_name(logical: str, env: Environment) -> str:
    """`RESEND_API_KEY` -> `RESEND_API_KEY_STAGING` in staging, bare in prod."""
    return logical + _SECRET_SUFFIX[env]


def foreign_environment(name: str, env: Environment) -> Environment | None:
    """The other environment a script name belongs to, or None if it fits `env`.

    A staging stack must only use `-staging` names; prod must use none of them.
    """
    is_staging_name = name.endswith(_SUFFIX["staging"])
    if env == "prod" and is_staging_name:
        return "staging"
    if env == "staging" and not is_staging_name:
        return "prod"
    return None


def for_environment(name: str, env: Environment) -> str:
    """The name `name` should have in `env` (for error hints)."""
    bare = name.removesuffix(_SUFFIX["staging"])
    return physical(bare, env)


def postmark_server_name(prefix: str, env: Environment, sending_domain: str) -> str:
    """`{prefix}-{env}-{slug}`; slug is the domain's labels reversed, TLD dropped.

    `mail.bookmarks.example.com` -> `example-bookmarks-mail`.
    """
    labels = sending_domain.lower().split(".")
    slug = "-".join(reversed(labels[:-1]))
    return f"{prefix}-{env}-{slug}"
