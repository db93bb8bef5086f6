"""The fake's own contract, which other suites rely on: auth scopes, error bodies, strictness."""

from __future__ import annotations

import httpx
import pytest

from tools.localcloud.postmark_server import FakePostmark, fake_dkim_value

JSON = {"Accept": "application/json", "Content-Type": "application/json"}


def call(fake: FakePostmark, method: str, path: str, *, header: str, token: str, **kw):
    return httpx.request(method, fake.url + path, headers={**JSON, header: token}, **kw)


def test_account_and_server_tokens_are_not_interchangeable(fake_postmark: FakePostmark):
    server = fake_postmark.add_server("s")
    server_token = server["ApiTokens"][0]
    account = ("X-Postmark-Account-Token", fake_postmark.account_token)
    as_server = ("X-Postmark-Server-Token", server_token)
    ok = call(fake_postmark, "GET", "/message-streams", header=as_server[0], token=as_server[1])
    assert ok.status_code == 200
    for path, (header, token) in [
        ("/message-streams", ("X-Postmark-Server-Token", fake_postmark.account_token)),
        ("/servers?count=1&offset=0", ("X-Postmark-Account-Token", server_token)),
        ("/webhooks", account),
    ]:
        response = call(fake_postmark, "GET", path, header=header, token=token)
        assert response.status_code == 401 and response.json()["ErrorCode"] == 10
    fake_postmark.remove_server(server["ID"])  # a deleted server's token stops working
    gone = call(fake_postmark, "GET", "/webhooks", header=as_server[0], token=as_server[1])
    assert gone.status_code == 401


def test_unknown_fields_and_create_only_fields_are_rejected(fake_postmark: FakePostmark):
    auth = {"header": "X-Postmark-Account-Token", "token": fake_postmark.account_token}
    typo = call(fake_postmark, "POST", "/servers", json={"Name": "a", "Colour": "red"}, **auth)
    assert typo.status_code == 422 and typo.json()["ErrorCode"] == 403
    server_id = fake_postmark.add_server("b")["ID"]
    edit = call(
        fake_postmark, "PUT", f"/servers/{server_id}", json={"DeliveryType": "Live"}, **auth
    )
    assert edit.json()["ErrorCode"] == 403


def test_listing_requires_count_and_offset(fake_postmark: FakePostmark):
    auth = {"header": "X-Postmark-Account-Token", "token": fake_postmark.account_token}
    response = call(fake_postmark, "GET", "/servers", **auth)
    assert response.status_code == 422 and response.json()["ErrorCode"] == 600


@pytest.mark.parametrize(
    ("style", "status", "body"),
    [
        ("422", 422, {"ErrorCode": 601, "Message": "Server not found."}),
        ("404", 404, {"ErrorCode": 601, "Message": "Server not found."}),
        ("404-empty", 404, None),
    ],
)
def test_not_found_styles(fake_postmark: FakePostmark, style: str, status: int, body):
    fake_postmark.not_found_style = style
    response = call(
        fake_postmark,
        "GET",
        "/servers/999",
        header="X-Postmark-Account-Token",
        token=fake_postmark.account_token,
    )
    assert response.status_code == status
    assert (response.json() if response.content else None) == body


def test_dkim_values_have_realistic_lengths():
    assert 200 < len(fake_dkim_value(1024)) < 255 < 380 < len(fake_dkim_value(2048)) < 420
