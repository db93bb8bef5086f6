"""No token may reach pickled provider state, exceptions or logs; missing credentials are clear."""

from __future__ import annotations

import base64
import logging
import traceback

import dill
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from components.mail.postmark import (
    DomainProvider,
    DomainVerificationProvider,
    MessageStreamProvider,
    MissingCredentialsError,
    PostmarkError,
    ServerProvider,
    WebhookProvider,
)
from components.mail.postmark.provider_base import ConnectionSettings
from components.mail.postmark.webhook import PostmarkWebhookArgs, Trigger, WebhookTriggers
from tests.postmark.helpers import create
from tools.localcloud.postmark_server import FakePostmark, iter_tokens

DISTINCTIVE = "fake-account-token-DISTINCTIVE-7f3a9c1e5b"
PROVIDERS = [
    ServerProvider,
    DomainProvider,
    DomainVerificationProvider,
    WebhookProvider,
    MessageStreamProvider,
]


@pytest.fixture
def distinctive_fake(monkeypatch: pytest.MonkeyPatch):
    with FakePostmark(account_token=DISTINCTIVE) as fake:
        monkeypatch.setenv("POSTMARK_API_URL", fake.url)
        monkeypatch.setenv("POSTMARK_ACCOUNT_TOKEN", DISTINCTIVE)
        yield fake


def exercise_every_provider(fake: FakePostmark, connection: ConnectionSettings) -> list:
    """Run real operations first, so any token a provider cached would be on it."""
    servers = ServerProvider(connection)
    server_id, _ = create(servers, {"name": "acme-prod-pickle"})
    hook_props = PostmarkWebhookArgs(
        server_id=server_id,
        url="https://example.com/h",
        triggers=WebhookTriggers(delivery=Trigger(enabled=True)),
    ).to_props()
    hooks = WebhookProvider(connection)
    create(hooks, hook_props)
    streams = MessageStreamProvider(connection)
    create(
        streams,
        {"server_id": server_id, "stream_id": "s1", "stream_type": "Transactional", "name": "S"},
    )
    domains = DomainProvider(connection)
    create(domains, {"name": "pickle.example.com"})
    return [servers, hooks, streams, domains, DomainVerificationProvider(connection)]


@pytest.mark.parametrize("provider_class", PROVIDERS, ids=lambda c: c.__name__)
def test_pickled_fresh_provider_holds_no_token(
    distinctive_fake: FakePostmark, provider_class, connection
):
    for provider in (provider_class(), provider_class(connection)):
        pickled = dill.dumps(provider, recurse=True)
        assert DISTINCTIVE.encode() not in pickled
        # What Pulumi stores in state is base64 of the same bytes.
        assert base64.b64decode(serialize_provider(provider)).find(DISTINCTIVE.encode()) == -1


def test_providers_used_for_real_still_pickle_without_any_token(
    distinctive_fake: FakePostmark, connection
):
    providers = exercise_every_provider(distinctive_fake, connection)
    tokens = list(iter_tokens(distinctive_fake))
    assert DISTINCTIVE in tokens and len(tokens) == 2  # account + one server token
    for provider in providers:
        state = base64.b64decode(serialize_provider(provider))
        for token in tokens:
            assert token.encode() not in state, type(provider).__name__
        # and it still unpickles (our own bytes, just made)
        assert type(dill.loads(state)) is type(provider)  # noqa: S301


def test_no_token_in_errors_or_logs(
    distinctive_fake: FakePostmark, connection, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)  # httpx/httpcore debug logs included
    servers = ServerProvider(connection)
    server_id, _ = create(servers, {"name": "acme-prod-logs"})
    server_token = distinctive_fake.server_token(server_id)
    distinctive_fake.fail_next(503, times=2, path="/servers/*")  # retried: logs warnings
    distinctive_fake.fail_next(
        422, error_code=403, path="/webhooks", message=f"echo {server_token} {DISTINCTIVE}"
    )
    distinctive_fake.fail_next(429, times=10, path="/message-streams")
    failures: list[BaseException] = []
    hook_props = PostmarkWebhookArgs(
        server_id=server_id,
        url="https://example.com/h",
        triggers=WebhookTriggers(delivery=Trigger(enabled=True)),
    ).to_props()
    for operation in (
        lambda: create(WebhookProvider(connection), hook_props),
        lambda: create(
            MessageStreamProvider(connection),
            {"server_id": server_id, "stream_id": "s", "stream_type": "Broadcasts", "name": "n"},
        ),
    ):
        with pytest.raises(PostmarkError) as caught:
            operation()
        failures.append(caught.value)
    assert "HTTP 503" in caplog.text  # the retries were logged
    texts = [caplog.text] + ["".join(traceback.format_exception(f)) + repr(f) for f in failures]
    for text in texts:
        assert DISTINCTIVE not in text and server_token not in text


@pytest.mark.parametrize("provider_class", PROVIDERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("operation", ["create", "read", "update", "delete"])
def test_missing_account_token_is_a_clear_error_in_every_operation(
    monkeypatch: pytest.MonkeyPatch, provider_class, operation
):
    monkeypatch.delenv("POSTMARK_ACCOUNT_TOKEN", raising=False)
    props = {
        "name": "x.example.com",
        "server_id": "1",
        "domain_id": "1",
        "url": "https://example.com",
        "stream_id": "s",
        "stream_type": "Transactional",
        "dkim_host": "h",
        "dkim_text_value": "v",
        "timeout_seconds": 1,
        "poll_interval_seconds": 1,
    }
    provider = provider_class()
    calls = {
        "create": lambda: provider.create(props),
        "read": lambda: provider.read("1", props),
        "update": lambda: provider.update("1", props, props),
        "delete": lambda: provider.delete("1", props),
    }
    if provider_class is DomainVerificationProvider and operation == "delete":
        calls[operation]()  # delete is a no-op: needs no credentials
        return
    with pytest.raises(MissingCredentialsError) as caught:
        calls[operation]()
    assert "POSTMARK_ACCOUNT_TOKEN is not set" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_provider_instances_hold_no_client_or_token_attributes(connection):
    for provider_class in PROVIDERS:
        state = vars(provider_class(connection))
        assert set(state) == {"_connection"}
