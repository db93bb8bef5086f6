"""Drive a dynamic provider the way Pulumi's engine does: check, then create/update."""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import ResourceProvider

from components.mail.postmark.provider_base import PROVIDER_KEY

# 404 answers that did not come from Postmark's API (a wrong base URL, a proxy, a captive portal):
# fail_next keyword arguments by name.
NOT_POSTMARK_404S: dict[str, dict[str, Any]] = {
    "empty body": {"empty_body": True},
    "HTML page (proxy)": {
        "raw_body": "<html><body><h1>Sign in to the Wi-Fi</h1></body></html>",
        "headers": {"Content-Type": "text/html"},
    },
    "JSON of another shape (gateway)": {
        "raw_body": '{"message": "no route"}',
        "headers": {"Content-Type": "application/json"},
    },
}

# Stands in for the pickled provider the engine adds to every input/output bag.
PROVIDER_PLACEHOLDER = "serialized-provider-placeholder"


def checked(provider: ResourceProvider, props: dict[str, Any], olds: dict[str, Any] | None = None):
    result = provider.check(olds or {}, {**props, PROVIDER_KEY: PROVIDER_PLACEHOLDER})
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def create(provider: ResourceProvider, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """check + create; returns (id, outputs as the engine stores them)."""
    inputs = checked(provider, props)
    result = provider.create(inputs)
    return result.id, {**result.outs, PROVIDER_KEY: PROVIDER_PLACEHOLDER}


def failures_by_property(provider: ResourceProvider, props: dict[str, Any]) -> dict[str, str]:
    result = provider.check({}, props)
    return {f.property: f.reason for f in result.failures}
