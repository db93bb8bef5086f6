"""The HTTP client: what is retried, for how long, and what errors say."""

from __future__ import annotations

import time

import pytest

from components.mail.postmark.client import HttpTimeouts, PostmarkClient, RetryPolicy
from components.mail.postmark.errors import MissingCredentialsError, PostmarkError
from tests.postmark.conftest import FAST_CONNECTION, SLOWER_THAN_CLIENT
from tests.postmark.helpers import NOT_POSTMARK_404S
from tools.localcloud.postmark_server import FakePostmark


def account_client(**retry_overrides: float) -> PostmarkClient:
    retry = FAST_CONNECTION.retry
    if retry_overrides:
        retry = RetryPolicy(**{**retry.__dict__, **retry_overrides})
    return PostmarkClient.for_account(retry=retry, timeouts=FAST_CONNECTION.timeouts)


LIST = {"count": 10, "offset": 0}


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_statuses_are_retried_until_success(fake_postmark: FakePostmark, status: int):
    fake_postmark.fail_next(status, times=3, path="/servers")
    with account_client() as client:
        assert client.get("/servers", params=LIST) == {"TotalCount": 0, "Servers": []}
    assert fake_postmark.count_requests("GET", "/servers") == 4


@pytest.mark.parametrize(("status", "code"), [(401, 10), (422, 603), (404, 404), (400, 400)])
def test_other_client_errors_are_not_retried(fake_postmark: FakePostmark, status: int, code: int):
    fake_postmark.fail_next(status, error_code=code, path="/servers")
    with account_client() as client, pytest.raises(PostmarkError) as caught:
        client.get("/servers", params=LIST)
    assert fake_postmark.count_requests("GET", "/servers") == 1
    assert (caught.value.http_status, caught.value.error_code) == (status, code)


def test_retries_stop_after_max_attempts_with_the_last_status(fake_postmark: FakePostmark):
    fake_postmark.fail_next(503, error_code=100, times=50, path="/servers")
    with account_client(max_attempts=3) as client, pytest.raises(PostmarkError) as caught:
        client.get("/servers", params=LIST)
    assert fake_postmark.count_requests("GET", "/servers") == 3
    assert caught.value.http_status == 503 and caught.value.attempts == 3
    assert "after 3 attempts" in str(caught.value) and "retry later" in str(caught.value)


def test_retries_stop_when_the_time_budget_is_spent(fake_postmark: FakePostmark):
    fake_postmark.fail_next(500, times=1000, path="/servers")
    started = time.monotonic()
    with (
        account_client(
            max_attempts=1000, max_total_seconds=0.5, initial_wait_seconds=0.1, max_wait_seconds=0.2
        ) as client,
        pytest.raises(PostmarkError) as caught,
    ):
        client.get("/servers", params=LIST)
    assert time.monotonic() - started < 1.5
    assert 1 < caught.value.attempts <= 5  # the budget, not max_attempts, ended the retries


def test_a_slow_answer_times_out_and_the_retry_succeeds(fake_postmark: FakePostmark):
    fake_postmark.slow_next(SLOWER_THAN_CLIENT, path="/servers")
    started = time.monotonic()
    with account_client() as client:
        assert client.get("/servers", params=LIST)["TotalCount"] == 0
    assert time.monotonic() - started < SLOWER_THAN_CLIENT
    assert fake_postmark.count_requests("GET", "/servers") == 2


def test_a_dropped_connection_is_retried(fake_postmark: FakePostmark):
    fake_postmark.drop_next(times=2, path="/servers")
    with account_client() as client:
        assert client.get("/servers", params=LIST)["TotalCount"] == 0
    assert fake_postmark.count_requests("GET", "/servers") == 3


def test_no_answer_at_all_gives_a_network_error_with_guidance(fake_postmark: FakePostmark):
    fake_postmark.drop_next(times=10, path="/servers")
    with account_client(max_attempts=2) as client, pytest.raises(PostmarkError) as caught:
        client.get("/servers", params=LIST)
    err = caught.value
    assert err.http_status is None and err.attempts == 2
    assert "got no response" in str(err) and "POSTMARK_API_URL" in str(err)
    assert err.outcome_of_earlier_attempt_unknown


def test_unreachable_endpoint_is_not_an_unknown_outcome(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("POSTMARK_ACCOUNT_TOKEN", "fake-account-token-unreachable")
    monkeypatch.setenv("POSTMARK_API_URL", "http://127.0.0.1:9")  # discard port: refused
    with account_client(max_attempts=2) as client, pytest.raises(PostmarkError) as caught:
        client.post("/servers", json={"Name": "x"})
    assert caught.value.attempts == 2
    assert not caught.value.outcome_of_earlier_attempt_unknown  # never reached Postmark


class VirtualTime:
    """An injected clock and sleep: waits are recorded and advance the clock, nothing sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def virtual_client(
    fake: FakePostmark, time_: VirtualTime, policy: RetryPolicy | None = None, **retry: float
) -> PostmarkClient:
    policy = policy or RetryPolicy(**{"max_attempts": 3, "jitter_seconds": 0.5, **retry})
    return PostmarkClient(
        fake.account_token,
        auth_scope="account",
        base_url=fake.url,
        retry=policy,
        sleep=time_.sleep,
        clock=time_.clock,
    )


def test_retry_after_is_waited_out_in_full_plus_jitter(fake_postmark: FakePostmark):
    fake_postmark.fail_next(429, times=1, path="/servers", headers={"Retry-After": "30"})
    fake_postmark.fail_next(503, times=1, path="/servers", headers={"Retry-After": "0.2"})
    virtual = VirtualTime()
    with virtual_client(fake_postmark, virtual) as client:
        assert client.get("/servers", params=LIST)["TotalCount"] == 0
    first, second = virtual.sleeps
    assert 30 <= first <= 30.5  # not cut to the exponential backoff's few seconds
    assert 0.2 <= second <= 0.7


def test_retry_after_is_bounded(fake_postmark: FakePostmark):
    fake_postmark.fail_next(429, times=1, path="/servers", headers={"Retry-After": "3600"})
    virtual = VirtualTime()
    with virtual_client(fake_postmark, virtual, max_retry_after_seconds=45) as client:
        client.get("/servers", params=LIST)
    assert len(virtual.sleeps) == 1 and 45 <= virtual.sleeps[0] <= 45.5


def test_a_retry_after_past_the_time_budget_ends_the_retries(fake_postmark: FakePostmark):
    fake_postmark.fail_next(429, times=5, path="/servers", headers={"Retry-After": "40"})
    virtual = VirtualTime()
    with (
        virtual_client(fake_postmark, virtual, max_attempts=5, max_total_seconds=100) as client,
        pytest.raises(PostmarkError) as caught,
    ):
        client.get("/servers", params=LIST)
    # Two waits of 40 s fit in 100 s; a third would end after the budget, so it is not started.
    assert len(virtual.sleeps) == 2 and caught.value.attempts == 3
    assert caught.value.http_status == 429
    assert fake_postmark.count_requests("GET", "/servers") == 3


def test_default_policy_waits_out_a_one_minute_retry_after(fake_postmark: FakePostmark):
    fake_postmark.fail_next(429, times=1, path="/servers", headers={"Retry-After": "60"})
    virtual = VirtualTime()
    with virtual_client(fake_postmark, virtual, RetryPolicy()) as client:
        client.get("/servers", params=LIST)
    assert len(virtual.sleeps) == 1 and virtual.sleeps[0] >= 60


def test_backoff_grows_and_stays_bounded(fake_postmark: FakePostmark):
    fake_postmark.fail_next(503, times=5, path="/servers")
    sleeps: list[float] = []
    retry = RetryPolicy(
        max_attempts=6, initial_wait_seconds=0.1, max_wait_seconds=0.5, jitter_seconds=0.05
    )
    with PostmarkClient(
        fake_postmark.account_token,
        auth_scope="account",
        base_url=fake_postmark.url,
        retry=retry,
        sleep=sleeps.append,
    ) as client:
        client.get("/servers", params=LIST)
    assert len(sleeps) == 5
    assert 0.1 <= sleeps[0] <= 0.15 and 0.2 <= sleeps[1] <= 0.25
    assert all(s <= 0.5 for s in sleeps) and sleeps[-1] == pytest.approx(0.5, abs=0.05)


@pytest.mark.parametrize("body", NOT_POSTMARK_404S.values(), ids=NOT_POSTMARK_404S.keys())
def test_a_404_without_postmarks_error_body_does_not_mean_gone(fake_postmark: FakePostmark, body):
    fake_postmark.fail_next(404, path="/servers/*", **body)
    with account_client() as client, pytest.raises(PostmarkError) as caught:
        client.get("/servers/123")
    assert caught.value.http_status == 404 and caught.value.error_code is None
    assert not caught.value.means_gone
    assert "POSTMARK_API_URL" in str(caught.value) and "\n" not in str(caught.value)


def test_a_postmark_shaped_404_means_gone(fake_postmark: FakePostmark):
    fake_postmark.fail_next(404, error_code=404, message="Webhook not found.", path="/webhooks/*")
    server = fake_postmark.add_server("s")
    with account_client() as client, client.for_server(server["ApiTokens"][0]) as hooks:
        with pytest.raises(PostmarkError) as caught:
            hooks.get("/webhooks/1")
    assert caught.value.means_gone


@pytest.mark.parametrize(("code", "gone"), [(601, True), (510, True), (1226, True), (603, False)])
def test_not_found_error_codes_mean_gone(fake_postmark: FakePostmark, code: int, gone: bool):
    fake_postmark.fail_next(422, error_code=code, path="/servers/*")
    with account_client() as client, pytest.raises(PostmarkError) as caught:
        client.get("/servers/123")
    assert caught.value.means_gone is gone


def test_bad_token_is_one_request_with_guidance_and_no_token(
    fake_postmark: FakePostmark, monkeypatch: pytest.MonkeyPatch
):
    wrong = "fake-account-token-WRONG-0123456789"
    monkeypatch.setenv("POSTMARK_ACCOUNT_TOKEN", wrong)
    with account_client() as client, pytest.raises(PostmarkError) as caught:
        client.get("/servers", params=LIST)
    assert fake_postmark.count_requests() == 1
    assert caught.value.http_status == 401 and caught.value.error_code == 10
    assert "POSTMARK_ACCOUNT_TOKEN" in str(caught.value)
    assert wrong not in str(caught.value) and wrong not in repr(caught.value)


def test_a_token_echoed_by_postmark_is_redacted(fake_postmark: FakePostmark):
    fake_postmark.fail_next(
        422, error_code=403, path="/servers", message=f"bad header {fake_postmark.account_token}"
    )
    with account_client() as client, pytest.raises(PostmarkError) as caught:
        client.get("/servers", params=LIST)
    assert fake_postmark.account_token not in str(caught.value)
    assert "[redacted]" in str(caught.value)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_account_token_is_a_one_line_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str | None
):
    if value is None:
        monkeypatch.delenv("POSTMARK_ACCOUNT_TOKEN", raising=False)
    else:
        monkeypatch.setenv("POSTMARK_ACCOUNT_TOKEN", value)
    with pytest.raises(MissingCredentialsError) as caught:
        PostmarkClient.for_account()
    message = str(caught.value)
    assert "POSTMARK_ACCOUNT_TOKEN is not set" in message and "\n" not in message
    assert not isinstance(caught.value, KeyError)


def test_base_url_defaults_to_postmark(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("POSTMARK_ACCOUNT_TOKEN", "fake-account-token-default-url")
    monkeypatch.delenv("POSTMARK_API_URL", raising=False)
    with PostmarkClient.for_account() as client:
        assert "https://api.postmarkapp.com" in repr(client)
        assert "fake-account-token" not in repr(client)


def test_requests_send_json_headers_and_the_right_token_header(fake_postmark: FakePostmark):
    server = fake_postmark.add_server("acme-prod-headers")
    with account_client() as client, client.for_server(server["ApiTokens"][0]) as server_client:
        client.get("/servers", params=LIST)
        server_client.get("/message-streams")
    auths = [r.auth for r in fake_postmark.requests]
    assert auths == ["account", "server"]


def test_short_timeouts_apply_per_attempt(fake_postmark: FakePostmark):
    fake_postmark.slow_next(SLOWER_THAN_CLIENT, times=10, path="/servers")
    timeouts = HttpTimeouts(connect_seconds=1, read_seconds=0.1, write_seconds=1, pool_seconds=1)
    retry = RetryPolicy(max_attempts=2, initial_wait_seconds=0.01, max_wait_seconds=0.01)
    started = time.monotonic()
    with (
        PostmarkClient.for_account(retry=retry, timeouts=timeouts) as client,
        pytest.raises(PostmarkError),
    ):
        client.get("/servers", params=LIST)
    assert time.monotonic() - started < 1.0
