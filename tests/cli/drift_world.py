"""What `plan drift` looks at, set up as a deployed stack would leave it: Postmark (the local fake)
and Route 53 (the project's local Route 53, a moto server on loopback started and stopped by
the tests).

`World.deploy(stack)` creates the stack's Postmark server, domain and webhook and publishes the
DKIM, Return-Path and DMARC records exactly as the program would (components.mail.route53), so
a test starts from "no drift" and changes one thing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from components.mail.postmark.domain import dkim_record_to_publish
from components.mail.route53 import POSTMARK_RETURN_PATH_TARGET, dmarc_value, split_txt
from tests.support.project import platform_of
from tools.localcloud.aws.route53_server import client, running_server, seed_zone
from tools.localcloud.postmark_server import FakePostmark

AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": None,
    "AWS_PROFILE": None,
    # Never pick up a developer's own AWS config or an instance role.
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ENDPOINT_URL": None,
    "AWS_ENDPOINT_URL_ROUTE_53": None,
}
# Zone names per stack (the stack files hold the zone ids).
ZONES = {"staging": "staging.bookmarks.example.com", "prod": "bookmarks.example.com"}
HOOK_PASSWORD = "fake-basic-password-91c3e7"  # noqa: S105 (test value)
HOOK_BEARER = "fake-bearer-drift-4d8a1b"


@contextmanager
def moto_route53() -> Iterator[str]:
    """Route 53 on 127.0.0.1 (OS-chosen port); yields its URL; always stopped."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    with running_server() as url:
        yield url


@dataclass
class World:
    fake: FakePostmark
    route53_url: str

    def __post_init__(self) -> None:
        httpx.post(f"{self.route53_url}/moto-api/reset").raise_for_status()  # a fresh account
        self.r53 = client(self.route53_url)
        self.zone_ids: dict[str, str] = {}

    @staticmethod
    def mail(stack: str) -> dict[str, Any]:
        return platform_of(stack)["mail"]

    def server_name(self, stack: str) -> str:
        return {
            "staging": "edge-staging-example-bookmarks-staging-mail",
            "prod": "edge-prod-example-bookmarks-mail",
        }[stack]

    def zone(self, stack: str) -> str:
        """The stack's hosted zone (created once, with the id its stack file names)."""
        if stack not in self.zone_ids:
            zone_id = self.mail(stack)["hostedZoneId"]
            seed_zone(zone_id, ZONES[stack])
            self.zone_ids[stack] = zone_id
        return self.zone_ids[stack]

    def deploy(self, stack: str) -> dict[str, Any]:
        """Postmark objects and DNS records as a `pulumi up` of `stack` leaves them."""
        mail = self.mail(stack)
        domain_name = mail["sendingDomain"]
        server = self.fake.add_server(self.server_name(stack))
        self.add_webhook(server["ID"], mail["webhook"]["url"])
        domain = self.fake.add_domain(domain_name, f"pm-bounces.{domain_name}")
        host, value = dkim_record_to_publish(domain)
        self.put(stack, host, "TXT", _txt(split_txt(value)))
        self.put(stack, f"pm-bounces.{domain_name}", "CNAME", POSTMARK_RETURN_PATH_TARGET)
        dmarc = dmarc_value(mail["dmarc"]["policy"], mail["dmarc"].get("rua"))
        self.put(stack, f"_dmarc.{domain_name}", "TXT", _txt(split_txt(dmarc)))
        return {"server": server, "domain": domain, "dkim_host": host, "dkim_value": value}

    def add_webhook(self, server_id: int, url: str) -> int:
        """A webhook as the stack declares it: delivery events, bearer and basic auth."""
        with httpx.Client(base_url=self.fake.url) as http:
            response = http.post(
                "/webhooks",
                headers={
                    "Accept": "application/json",
                    "X-Postmark-Server-Token": self.fake.server_token(server_id),
                },
                json={
                    "Url": url,
                    "HttpAuth": {"Username": "postmark", "Password": HOOK_PASSWORD},
                    "HttpHeaders": [{"Name": "Authorization", "Value": f"Bearer {HOOK_BEARER}"}],
                    "Triggers": {"Delivery": {"Enabled": True}},
                },
            )
        response.raise_for_status()
        return int(response.json()["ID"])

    def put(self, stack: str, name: str, type_: str, *values: str) -> None:
        """Create or replace a record set (values as Route 53 stores them: TXT quoted)."""
        self.r53.change_resource_record_sets(
            HostedZoneId=self.zone(stack),
            ChangeBatch={
                "Changes": [
                    {
                        "Action": "UPSERT",
                        "ResourceRecordSet": {
                            "Name": name,
                            "Type": type_,
                            "TTL": 300,
                            "ResourceRecords": [{"Value": v} for v in values],
                        },
                    }
                ]
            },
        )

    def remove(self, stack: str, name: str, type_: str) -> None:
        found = self.r53.list_resource_record_sets(
            HostedZoneId=self.zone(stack), StartRecordName=name, StartRecordType=type_, MaxItems="1"
        )["ResourceRecordSets"][0]
        assert found["Name"].rstrip(".") == name
        self.r53.change_resource_record_sets(
            HostedZoneId=self.zone(stack),
            ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": found}]},
        )


def _txt(value: str) -> str:
    """What pulumi-aws sends Route 53 for one TXT value: the value wrapped in quotes."""
    return f'"{value}"'
