"""Listing the account's servers (paginated) and finding orphans."""

from __future__ import annotations

from components.mail.postmark.client import PostmarkClient
from components.mail.postmark.inventory import ServerSummary, find_orphan_servers, list_servers
from tests.postmark.conftest import FAST_CONNECTION
from tools.localcloud.postmark_server import FakePostmark


def test_lists_every_server_across_pages(fake_postmark: FakePostmark):
    created = [fake_postmark.add_server(f"acme-prod-{i}") for i in range(5)]
    with PostmarkClient.for_account(retry=FAST_CONNECTION.retry) as client:
        servers = list_servers(client, page_size=2)
    assert servers == [ServerSummary(id=str(s["ID"]), name=s["Name"]) for s in created]
    pages = [r.query for r in fake_postmark.requests if r.path == "/servers"]
    assert [p["offset"] for p in pages] == ["0", "2", "4"]
    assert all(p["count"] == "2" for p in pages)


def test_lists_from_the_environment_without_a_client(fake_postmark: FakePostmark):
    fake_postmark.add_server("solo")
    assert [s.name for s in list_servers()] == ["solo"]


def test_an_empty_account_is_one_request(fake_postmark: FakePostmark):
    assert list_servers() == []
    assert fake_postmark.count_requests("GET", "/servers") == 1


def test_retries_a_page_that_failed(fake_postmark: FakePostmark):
    for i in range(3):
        fake_postmark.add_server(f"s{i}")
    fake_postmark.fail_next(503, method="GET", path="/servers")
    with PostmarkClient.for_account(retry=FAST_CONNECTION.retry) as client:
        assert len(list_servers(client, page_size=2)) == 3


def test_orphans_are_prefixed_servers_nobody_declares():
    servers = [
        ServerSummary("1", "acme-prod-example-bookmarks-mail"),
        ServerSummary("2", "acme-prod-example-old-mail"),
        ServerSummary("3", "acme-staging-example-bookmarks-mail"),
        ServerSummary("4", "acmeprod-not-ours"),
        ServerSummary("5", "other-team-server"),
        ServerSummary("6", "acme-legacy"),
    ]
    declared = {"acme-prod-example-bookmarks-mail", "acme-staging-example-bookmarks-mail"}
    orphans = find_orphan_servers(servers, "acme", declared)
    assert [o.id for o in orphans] == ["6", "2"]  # sorted by name
    assert find_orphan_servers(servers, "acme-prod", declared) == [servers[1]]
