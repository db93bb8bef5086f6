"""The provider configuration of the real `aws` plugin, as far as a local Route 53 needs it.

Keys are those of pulumi-aws (`aws:region`, `aws:endpoints`, `aws:skip…`, `aws:accessKey`,
`aws:secretKey`), with credentials falling back to AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
and the region to AWS_REGION / AWS_DEFAULT_REGION, as the real provider does. This plugin must
never reach AWS itself: it refuses to configure without a `route53` endpoint on loopback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tools.localcloud.loopback import is_loopback_url


class ConfigError(ValueError):
    """The configuration cannot point this plugin at a local Route 53; says what to set."""


@dataclass(frozen=True)
class Route53Config:
    endpoint: str
    region: str
    access_key: str
    secret_key: str

    def __repr__(self) -> str:  # never show the secret key in a traceback or log
        return f"Route53Config(endpoint={self.endpoint!r}, region={self.region!r})"


def _decoded(value: Any) -> Any:
    """Provider config reaches plugins as JSON text for non-string values (default providers
    and the SDK's explicit `aws.Provider` both do this); accept decoded values too."""
    if isinstance(value, str) and value[:1] in "[{":
        return json.loads(value)
    return value


def _flag(config: Mapping[str, Any], key: str) -> bool:
    value = _decoded(config.get(key))
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _endpoint(config: Mapping[str, Any], service: str) -> str | None:
    for entry in _decoded(config.get("endpoints")) or []:
        if isinstance(entry, Mapping) and entry.get(service):
            return str(entry[service])
    return None


def _require_loopback(url: str) -> str:
    if not is_loopback_url(url):
        host = urlsplit(url).hostname or "?"  # the host only: a URL may carry user:pass@
        raise ConfigError(
            f"aws:endpoints route53 points at host {host!r}; this local provider only talks to "
            "a Route 53 on loopback over http(s) (http://127.0.0.1:<port>), never to AWS"
        )
    return url.rstrip("/")


def route53_config(config: Mapping[str, Any], env: Mapping[str, str] = os.environ) -> Route53Config:
    """Parse provider config (keys without the `aws:` prefix) or raise ConfigError."""
    endpoint = _endpoint(config, "route53")
    if not endpoint:
        raise ConfigError(
            "no Route 53 endpoint configured: set aws:endpoints to [{route53: "
            "http://127.0.0.1:<port>}] (this local provider never talks to AWS)"
        )
    # Without these, the real provider calls STS and IAM before any Route 53 request.
    if not _endpoint(config, "sts"):
        for key in ("skipCredentialsValidation", "skipRequestingAccountId"):
            if not _flag(config, key):
                raise ConfigError(
                    f"set aws:{key} to true (or an sts endpoint): the real "
                    "provider would otherwise call AWS STS"
                )
    region = config.get("region") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    access_key = config.get("accessKey") or env.get("AWS_ACCESS_KEY_ID")
    secret_key = config.get("secretKey") or env.get("AWS_SECRET_ACCESS_KEY")
    if not region:
        raise ConfigError("no region: set aws:region or AWS_REGION")
    if not (access_key and secret_key):
        raise ConfigError(
            "no credentials: set aws:accessKey and aws:secretKey, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (any values; the local Route 53 accepts them all)"
        )
    return Route53Config(_require_loopback(endpoint), str(region), str(access_key), str(secret_key))
