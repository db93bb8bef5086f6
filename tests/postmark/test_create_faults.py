"""Creates under faults that hide an applied request: one object, and it is the one in state.

A 503, 500 or 429 answered after Postmark applied the POST, like a dropped connection, leaves the
outcome unknown: every create looks its object up by natural key before it retries.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from components.mail.postmark.domain import DomainProvider
from components.mail.postmark.errors import PostmarkError
from components.mail.postmark.provider_base import ConnectionSettings
from components.mail.postmark.server import ServerProvider
from tests.postmark.helpers import create
from tests.postmark.kinds import BEARER, DOMAIN, KIND_IDS, KINDS, SERVER_NAME, Kind
from tools.localcloud.postmark_server import FakePostmark

# fault name -> (inject on the create path, POSTs the create should take)
Inject = Callable[[FakePostmark, str], None]
APPLIED_FAULTS: dict[str, tuple[Inject, int]] = {
    "applied, then 503": (
        lambda f, p: f.fail_next(503, error_code=100, after_apply=True, method="POST", path=p),
        1,
    ),
    "applied, then 500": (
        lambda f, p: f.fail_next(500, after_apply=True, method="POST", path=p),
        1,
    ),
    "applied, then 429": (
        lambda f, p: f.fail_next(429, error_code=429, after_apply=True, method="POST", path=p),
        1,
    ),
    "applied, then an empty-body 503 (proxy)": (
        lambda f, p: f.fail_next(503, empty_body=True, after_apply=True, method="POST", path=p),
        1,
    ),
    "503 three times, the last attempt applied, then 503": (
        lambda f, p: (
            f.fail_next(503, times=3, method="POST", path=p),
            f.fail_next(503, after_apply=True, method="POST", path=p),
        ),
        4,  # every attempt spent: found after the last one
    ),
    "applied, then dropped": (lambda f, p: f.drop_next(after_apply=True, method="POST", path=p), 1),
}


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
@pytest.mark.parametrize(
    ("inject", "posts"), APPLIED_FAULTS.values(), ids=list(APPLIED_FAULTS.keys())
)
def test_create_answered_with_an_error_after_applying_makes_one_object_in_state(
    fake_postmark: FakePostmark, connection: ConnectionSettings, kind: Kind, inject, posts: int
):
    props = kind.props(fake_postmark)
    inject(fake_postmark, kind.create_path)

    created_id, _ = create(kind.provider(connection), props)

    assert kind.live_ids(fake_postmark, props) == [created_id]
    assert fake_postmark.count_requests("POST", kind.create_path) == posts
    assert fake_postmark.pending_faults == []  # the fault really happened


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_a_create_postmark_never_applied_is_retried(
    fake_postmark: FakePostmark, connection: ConnectionSettings, kind: Kind
):
    props = kind.props(fake_postmark)
    fake_postmark.fail_next(503, times=2, method="POST", path=kind.create_path)
    created_id, _ = create(kind.provider(connection), props)
    assert kind.live_ids(fake_postmark, props) == [created_id]
    assert fake_postmark.count_requests("POST", kind.create_path) == 3


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_a_create_that_keeps_failing_creates_nothing_and_leaks_no_credential(
    fake_postmark: FakePostmark, connection: ConnectionSettings, kind: Kind
):
    props = kind.props(fake_postmark)
    # Postmark echoing every secret this create handles.
    secrets = [fake_postmark.account_token]
    if "server_id" in props:
        secrets.append(fake_postmark.server_token(props["server_id"]))
    if kind.name == "webhook":
        secrets.append(BEARER)
    echo = "echo " + " ".join(secrets)
    fake_postmark.fail_next(503, times=10, message=echo, method="POST", path=kind.create_path)
    with pytest.raises(PostmarkError) as caught:
        create(kind.provider(connection), props)
    assert kind.live_ids(fake_postmark, props) == []
    assert caught.value.http_status == 503 and caught.value.attempts == 4
    assert "echo [redacted]" in str(caught.value)
    for secret in secrets:
        assert secret not in str(caught.value)


def test_a_server_that_existed_before_is_not_adopted_after_a_timeout(
    fake_postmark: FakePostmark, connection: ConnectionSettings
):
    existing = fake_postmark.add_server(SERVER_NAME, Color="blue")
    fake_postmark.slow_next(2.0, after_apply=False, method="POST", path="/servers")
    with pytest.raises(PostmarkError, match="adopt=True") as caught:
        create(ServerProvider(connection), {"name": SERVER_NAME, "color": "Red"})
    assert str(existing["ID"]) in str(caught.value)
    assert fake_postmark.servers[existing["ID"]]["Color"] == "blue"  # not taken over
    assert fake_postmark.count_requests("PUT") == 0


def test_a_server_someone_else_creates_meanwhile_is_not_adopted(
    fake_postmark: FakePostmark, connection: ConnectionSettings
):
    # It appears between our look-up and our POST, which Postmark then refuses with 603.
    fake_postmark.before_next(
        lambda fake: fake.add_server(SERVER_NAME), method="POST", path="/servers"
    )
    with pytest.raises(PostmarkError, match="adopt=True"):
        create(ServerProvider(connection), {"name": SERVER_NAME})
    assert len(fake_postmark.servers) == 1
    assert fake_postmark.count_requests("PUT") == 0


def test_a_server_someone_else_creates_during_our_retries_is_not_adopted(
    fake_postmark: FakePostmark, connection: ConnectionSettings
):
    # Our first POST gets a 503 (not applied); before the retry, someone else takes the name.
    fake_postmark.fail_next(503, method="POST", path="/servers")
    fake_postmark.before_next(
        lambda fake: fake.add_server(SERVER_NAME), method="POST", path="/servers"
    )
    with pytest.raises(PostmarkError, match="adopt=True"):
        create(ServerProvider(connection), {"name": SERVER_NAME})
    assert fake_postmark.count_requests("PUT") == 0


def test_a_domain_that_existed_before_is_not_taken_over_after_a_timeout(
    fake_postmark: FakePostmark, connection: ConnectionSettings
):
    existing = fake_postmark.add_domain(DOMAIN)
    fake_postmark.slow_next(2.0, after_apply=False, method="POST", path="/domains")
    with pytest.raises(PostmarkError) as caught:
        create(DomainProvider(connection), {"name": DOMAIN})
    assert caught.value.error_code == 512 and str(existing["ID"]) in str(caught.value)
    assert list(fake_postmark.domains) == [existing["ID"]]
