"""The local Route 53: its command line, the seeded zone ids, and Route 53's change rules."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tools.localcloud.aws.route53_server import client

STAGING_ZONE = "Z0EXAMPLESTAGING01"
PROD_ZONE = "Z0EXAMPLEPROD0001"
START_TIMEOUT = 60.0
REPO = Path(__file__).resolve().parents[2]


@contextmanager
def served(*args: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """The server's command line, run until the block ends; always stopped."""
    proc = subprocess.Popen(  # our own module, fixed argv
        [sys.executable, "-m", "tools.localcloud.aws.route53_server", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT)
        line = proc.stdout.readline() if ready else ""
        assert line.startswith("listening on http://127.0.0.1:"), line
        yield proc, line.removeprefix("listening on ").strip()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()


@pytest.fixture(scope="module")
def route53():
    with served(
        "--port", "0",
        "--zone", f"{STAGING_ZONE}=staging.bookmarks.example.com",
        "--zone", f"{PROD_ZONE}=Bookmarks.Example.com.",
    ) as (_, url):  # fmt: skip
        yield client(url)


def change(route53, *changes: tuple[str, str, str, list[str]], **extra) -> None:
    route53.change_resource_record_sets(
        HostedZoneId=PROD_ZONE,
        ChangeBatch={"Changes": [
            {"Action": action, "ResourceRecordSet": {
                "Name": name, "Type": type_, "TTL": 300,
                "ResourceRecords": [{"Value": v} for v in values], **extra}}
            for action, name, type_, values in changes
        ]},
    )  # fmt: skip


def names(route53, zone: str = PROD_ZONE) -> set[tuple[str, str]]:
    listed = route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    return {(r["Name"], r["Type"]) for r in listed if r["Type"] not in ("NS", "SOA")}


def test_seeded_zones_answer_under_their_fixed_ids(route53):
    staging = route53.get_hosted_zone(Id=STAGING_ZONE)["HostedZone"]
    prod = route53.get_hosted_zone(Id=f"/hostedzone/{PROD_ZONE}")["HostedZone"]

    assert staging["Id"] == f"/hostedzone/{STAGING_ZONE}"
    assert staging["Name"] == "staging.bookmarks.example.com."
    assert prod["Name"] == "bookmarks.example.com."  # stored in lower case, as Route 53 does
    listed = {z["Id"] for z in route53.list_hosted_zones()["HostedZones"]}
    assert listed == {f"/hostedzone/{STAGING_ZONE}", f"/hostedzone/{PROD_ZONE}"}


def test_an_unknown_zone_id_is_no_such_hosted_zone(route53):
    with pytest.raises(ClientError, match="NoSuchHostedZone"):
        route53.get_hosted_zone(Id="Z0NOTSEEDED")


def test_create_of_an_existing_set_is_refused(route53):
    change(route53, ("CREATE", "dup.bookmarks.example.com", "TXT", ['"one"']))
    with pytest.raises(ClientError, match="but it already exists"):
        change(route53, ("CREATE", "DUP.bookmarks.example.com.", "TXT", ['"two"']))


def test_a_batch_applies_all_or_nothing(route53):
    with pytest.raises(ClientError, match="not found"):
        change(
            route53,
            ("CREATE", "first.bookmarks.example.com", "TXT", ['"x"']),
            ("DELETE", "missing.bookmarks.example.com", "TXT", ['"x"']),
        )
    assert ("first.bookmarks.example.com.", "TXT") not in names(route53)


def test_delete_must_name_the_current_values(route53):
    change(route53, ("CREATE", "del.bookmarks.example.com", "TXT", ['"current"']))
    with pytest.raises(ClientError, match="do not match the current values"):
        change(route53, ("DELETE", "del.bookmarks.example.com", "TXT", ['"stale"']))
    change(route53, ("DELETE", "del.bookmarks.example.com", "TXT", ['"current"']))
    assert ("del.bookmarks.example.com.", "TXT") not in names(route53)


def test_a_cname_cannot_share_its_name(route53):
    change(route53, ("CREATE", "rp.bookmarks.example.com", "TXT", ['"x"']))
    with pytest.raises(ClientError, match="conflicts with other records"):
        change(route53, ("CREATE", "rp.bookmarks.example.com", "CNAME", ["pm.mtasv.net"]))
    change(
        route53,
        ("DELETE", "rp.bookmarks.example.com", "TXT", ['"x"']),
        ("CREATE", "rp.bookmarks.example.com", "CNAME", ["pm.mtasv.net"]),
    )
    assert ("rp.bookmarks.example.com.", "CNAME") in names(route53)


def test_a_record_outside_the_zone_is_refused(route53):
    with pytest.raises(ClientError, match="not permitted in zone"):
        change(route53, ("CREATE", "mail.example.org", "TXT", ['"x"']))


def test_a_set_identifier_needs_a_routing_policy(route53):
    with pytest.raises(ClientError, match="Expected exactly one of"):
        change(route53, ("CREATE", "w.bookmarks.example.com", "A", ["192.0.2.1"]),
               SetIdentifier="blue")  # fmt: skip
    change(route53, ("CREATE", "w.bookmarks.example.com", "A", ["192.0.2.1"]),
           SetIdentifier="blue", Weight=10)  # fmt: skip
    assert ("w.bookmarks.example.com.", "A") in names(route53)


def test_serves_until_sigterm_and_then_exits_cleanly():
    with served("--port", "0") as (proc, _):
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.returncode == 0


def test_a_malformed_zone_is_refused_before_serving():
    done = subprocess.run(
        [sys.executable, "-m", "tools.localcloud.aws.route53_server", "--zone", "Z0NODOMAIN"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "expected ZONE_ID=domain.name" in done.stderr
