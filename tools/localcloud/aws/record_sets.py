"""The Route 53 calls the upstream record resource makes, through boto3.

findHostedZoneByID (GetHostedZone), findResourceRecordSetByFourPartKey (ListResourceRecordSets
from the record's name and type, filtered to the exact name, type and set identifier),
ChangeResourceRecordSets, and waitChangeInsync (GetChange until INSYNC).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from tools.localcloud.aws.config import Route53Config
from tools.localcloud.aws.records import (
    clean_zone_id,
    expand_record_name,
    fqdn,
    normalize_domain_name,
)

INSYNC_TIMEOUT_SECONDS = 60.0


class ZoneNotFound(LookupError):
    pass


class ChangeRefused(RuntimeError):
    """Route 53 refused a change batch; the message is Route 53's own."""


@dataclass(frozen=True)
class Found:
    rrset: dict[str, Any]
    fqdn: str
    """The record's full name without the trailing dot (the `fqdn` output)."""


class RecordSets:
    def __init__(self, config: Route53Config):
        self._client = boto3.client(
            "route53",
            endpoint_url=config.endpoint,
            region_name=config.region,
            aws_access_key_id=config.access_key,
            aws_secret_access_key=config.secret_key,
            config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5),
        )

    def zone_name(self, zone_id: str) -> str:
        try:
            zone = self._client.get_hosted_zone(Id=clean_zone_id(zone_id))
        except ClientError as e:
            if _code(e) == "NoSuchHostedZone":
                raise ZoneNotFound(f"no Route 53 hosted zone {zone_id}") from e
            raise
        return zone["HostedZone"]["Name"]

    def find(self, zone_id: str, name: str, type_: str, set_identifier: str) -> Found | None:
        """The record set with exactly this name, type and set identifier, or None if it (or
        its zone) no longer exists."""
        try:
            full_name = expand_record_name(name, self.zone_name(zone_id))
        except ZoneNotFound:
            return None
        start = fqdn(full_name.lower())
        pages = self._client.get_paginator("list_resource_record_sets").paginate(
            HostedZoneId=clean_zone_id(zone_id),
            StartRecordName=start,
            StartRecordType=type_,
            PaginationConfig={"PageSize": 100 if set_identifier else 1},
        )
        for page in pages:
            for rrset in page["ResourceRecordSets"]:
                same_name = fqdn(normalize_domain_name(rrset["Name"])) == start
                if not (same_name and rrset["Type"] == type_):
                    return None  # listed in name order: past the record, it is not there
                if rrset.get("SetIdentifier", "") == set_identifier:
                    return Found(rrset, full_name)
        return None

    def change(self, zone_id: str, changes: list[dict[str, Any]]) -> None:
        """One change batch, waited on until Route 53 reports it INSYNC."""
        try:
            response = self._client.change_resource_record_sets(
                HostedZoneId=clean_zone_id(zone_id),
                ChangeBatch={"Changes": changes, "Comment": "Managed by Pulumi"},
            )
        except ClientError as e:
            raise ChangeRefused(f"{_code(e)}: {e.response['Error'].get('Message', '')}") from e
        self._wait_insync(response["ChangeInfo"]["Id"])

    def _wait_insync(self, change_id: str) -> None:
        deadline = time.monotonic() + INSYNC_TIMEOUT_SECONDS
        while self._client.get_change(Id=change_id)["ChangeInfo"]["Status"] != "INSYNC":
            if time.monotonic() > deadline:
                raise TimeoutError(f"Route 53 change {change_id} not INSYNC in time")
            time.sleep(0.5)


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")
