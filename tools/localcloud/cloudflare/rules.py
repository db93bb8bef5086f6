"""Cloudflare's rules for names and settings: the emulator refuses what breaks them and the
provider's check reports it first, from this one table.

Consumer limits are Cloudflare's documented ones (the project README lists the same). Name
rules are modelled on wrangler's and the dashboard's messages; where Cloudflare documents none
(D1, Secrets Store), the rule is the emulator's conservative choice.
"""

from __future__ import annotations

import re

ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")
SCRIPT_NAME = re.compile(r"^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$")
SCRIPT_NAME_RULE = "1-63 lowercase letters, digits, dashes and underscores"
QUEUE_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
QUEUE_NAME_RULE = "1-63 lowercase letters, digits and dashes, alphanumeric at both ends"
D1_NAME = re.compile(r"^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$")
D1_NAME_RULE = "1-63 lowercase letters, digits, dashes and underscores"
SECRET_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
SECRET_NAME_RULE = "1-255 letters, digits, underscores and dashes"  # noqa: S105 - wording
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

SECRET_SCOPES = ("access", "ai_gateway", "dex", "workers")
D1_LOCATIONS = ("wnam", "enam", "weur", "eeur", "apac", "oc")
D1_JURISDICTIONS = ("eu", "fedramp")
KV_JURISDICTIONS = ("eu", "fedramp", "us")
READ_REPLICATION_MODES = ("auto", "disabled")
CONSUMER_TYPES = ("worker", "http_pull", "notification")

CONSUMER_LIMITS = {
    "batch_size": (1, 100),
    "max_retries": (0, 100),
    "max_wait_time_ms": (0, 60_000),
    "retry_delay": (0, 86_400),
    "max_concurrency": (1, 250),
    "visibility_timeout_ms": (0, 43_200_000),
}
QUEUE_LIMITS = {"delivery_delay": (0, 43_200), "message_retention_period": (60, 1_209_600)}
