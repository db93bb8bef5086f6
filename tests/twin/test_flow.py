"""The seed's staging validation, run locally: register on auth -> auth calls MAIL_SERVICE ->
the mail worker enqueues -> its consumer sends through Postmark (the local Postmark-compatible
server records the message); a message failing every retry lands in the dead-letter queue;
with MAIL_SERVICE repointed to the external worker, mail goes there."""

from __future__ import annotations

import pytest

from tests.support.program import plan_subprocess
from tests.twin.harness import get_json, post_json, scratch_project, wait_until
from tools.localcloud.postmark_server import FakePostmark

MAIL = "bookmarks-mail-worker-staging"
AUTH = "auth-staging"
STUB = "cosmos-mail-worker-staging"
DLQ = "mail-outbox-dlq-staging"


@pytest.fixture
def postmark(tmp_path):
    """The local Postmark, a server on it, and a --secrets file holding that server's token as
    the local value of POSTMARK_SERVER_TOKEN."""
    with FakePostmark() as fake:
        server = fake.add_server("edge-staging-example-bookmarks-mail")
        token = server["ApiTokens"][0]
        secrets = tmp_path / "twin.secrets"
        secrets.write_text(f"# local values\nPOSTMARK_SERVER_TOKEN={token}\n")
        fake.token = token
        fake.twin_args = ["--secrets", str(secrets), "--var", f"POSTMARK_API_URL={fake.url}"]
        yield fake


def messages_to(fake: FakePostmark, address: str) -> list[dict]:
    return [m for m in fake.messages if m["To"] == address]


def test_registration_mail_goes_through_the_queue_to_postmark(dev, postmark):
    twin = dev("dev", "staging", "--port", "0", *postmark.twin_args)
    # Every worker the stack declares, and a stub for the external one, each on loopback.
    assert {AUTH, MAIL, "dispatcher-staging", STUB} <= set(twin.urls)

    answer = post_json(f"{twin.url(AUTH)}/register", {"email": "ada@example.com"})
    assert answer.status_code == 201, answer.text
    queued = answer.json()["mail"]
    assert queued["queued"] is True

    # The consumer's batch closes after the stack's maxWaitTimeMs (5 s), then sends.
    (sent,) = wait_until(lambda: messages_to(postmark, "ada@example.com"), what="the mail")
    assert sent["Subject"] == "Welcome to Bookmarks"
    assert sent["MessageStream"] == "outbound"
    assert sent["Metadata"] == {"messageId": queued["id"]}
    # The fake accepted the server token: the Secrets Store binding held the local value.
    status = wait_until(
        lambda: (
            (s := get_json(f"{twin.url(MAIL)}/messages/{queued['id']}"))["status"] == "sent" and s
        ),
        what="the message marked sent",
    )
    assert status["attempts"] == 1 and status["postmarkId"] == sent["MessageID"]
    assert status["lastSentToRecipient"]  # written to the KV namespace by the consumer

    reset = post_json(f"{twin.url(AUTH)}/reset", {"email": "ada@example.com"})
    assert reset.status_code == 202, reset.text
    wait_until(lambda: len(messages_to(postmark, "ada@example.com")) == 2, what="the reset mail")
    assert messages_to(postmark, "ada@example.com")[1]["Subject"].startswith("Reset your")

    assert postmark.token not in twin.output  # a local secret value never shows


def test_a_message_failing_every_retry_lands_in_the_dead_letter_queue(dev, postmark, tmp_path):
    def quick_retries(platform):
        consumer = platform["workers"]["bookmarks-mail-worker"]["consumes"][0]
        consumer.update(maxRetries=2, retryDelaySeconds=0, maxWaitTimeMs=200)

    project = scratch_project(tmp_path / "project", quick_retries)
    twin = dev("--config-dir", str(project), "dev", "staging", "--port", "0", *postmark.twin_args)
    postmark.failing_recipients.add("doomed@example.com")

    doomed = post_json(f"{twin.url(AUTH)}/register", {"email": "doomed@example.com"}).json()
    fine = post_json(f"{twin.url(AUTH)}/register", {"email": "fine@example.com"}).json()

    held = wait_until(
        lambda: get_json(f"{twin.url('twin-queue-inspector')}/queues/{DLQ}"),
        what=f"a message in {DLQ}",
    )
    assert [m["body"]["id"] for m in held] == [doomed["mail"]["id"]]
    assert held[0]["body"]["to"] == "doomed@example.com"
    # maxRetries 2 of the stack's consumer: the first delivery and two retries, then the DLQ.
    sends = [
        r for r in postmark.requests if r.path == "/email" and r.body["To"] == "doomed@example.com"
    ]
    assert [r.status for r in sends] == [500, 500, 500]
    assert messages_to(postmark, "doomed@example.com") == []
    state = get_json(f"{twin.url(MAIL)}/messages/{doomed['mail']['id']}")
    assert state["status"] == "retrying" and state["attempts"] == 3
    # The other message of the same queue went out once.
    wait_until(lambda: messages_to(postmark, "fine@example.com"), what="the healthy mail")
    assert fine["mail"]["queued"] is True


def test_mail_service_repointed_to_the_external_worker(dev, postmark, tmp_path):
    def repoint(platform):
        (binding,) = [
            b for b in platform["workers"]["auth"]["bindings"] if b["name"] == "MAIL_SERVICE"
        ]
        binding["service"] = STUB

    project = scratch_project(tmp_path / "project", repoint)
    twin = dev("--config-dir", str(project), "dev", "staging", "--port", "0", *postmark.twin_args)

    answer = post_json(f"{twin.url(AUTH)}/register", {"email": "grace@example.com"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["mail"]["stub"] == STUB

    calls = get_json(f"{twin.url(STUB)}/__twin/calls")
    assert calls == [
        {
            "method": "POST",
            "path": "/send",
            "body": {"to": "grace@example.com", "template": "welcome"},
        }
    ]
    # Nothing reached the stack's own mail worker, so nothing reaches Postmark.
    assert postmark.count_requests("POST", "/email") == 0


def test_plan_verify_runs_the_stacks_smoke_checks_against_the_twin(dev, postmark):
    twin = dev("dev", "staging", "--port", "0", *postmark.twin_args)

    result = plan_subprocess("verify", "staging", "--base-url", f"auth={twin.url(AUTH)}")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "GET /health" in result.stdout
    assert "stack 'staging': 1 of 1 smoke checks passed" in result.stdout
