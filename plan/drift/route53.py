"""Reading the live Route 53 records of a sending domain (boto3), with one-line errors.

The endpoint is Route 53's unless `--route53-endpoint-url` (or boto3's own
`AWS_ENDPOINT_URL_ROUTE_53`) points elsewhere, e.g. a local moto server. Credentials come from
boto3's usual chain (environment, profile, role); only read calls are made.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

from plan.drift.findings import CheckUnavailable

# boto3 is imported where it is used: every `python -m plan` command (a `plan show` too)
# registers `drift`, and loading boto3 costs about 0.1 s.

# A scheduled check should fail fast and clearly, not retry for minutes.
CLIENT_SETTINGS = {
    "retries": {"max_attempts": 3, "mode": "standard"},
    "connect_timeout": 5,
    "read_timeout": 15,
}
CLIENT_CONFIG = None
"""A botocore `Config` to use instead of CLIENT_SETTINGS (tests shorten the retries)."""
_REFUSED_CREDENTIALS = frozenset(
    {"AccessDenied", "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken"}
)
_TXT_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(r"\\(.)")


def txt_text(value: str) -> str:
    """A TXT record value as resolvers see it: its quoted strings joined (`"a" "b"` -> `ab`)."""
    strings = _TXT_STRING.findall(value)
    if not strings:
        return value
    return "".join(_ESCAPE.sub(r"\1", s) for s in strings)


def fqdn(name: str) -> str:
    """Lower case, without the trailing dot (how records are compared)."""
    return name.rstrip(".").lower()


class Route53:
    """Read-only access to one account's hosted zones."""

    def __init__(self, endpoint_url: str | None = None) -> None:
        # Route 53 is global and signs in us-east-1 unless the environment says otherwise.
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        import boto3
        from botocore.config import Config

        config = CLIENT_CONFIG or Config(**CLIENT_SETTINGS)
        # A session of its own: boto3's default one caches credentials across calls.
        self._client = boto3.session.Session().client(
            "route53", endpoint_url=endpoint_url or None, region_name=region, config=config
        )
        self.endpoint = self._client.meta.endpoint_url

    def zone_name(self, zone_id: str) -> str:
        """The domain of a hosted zone (e.g. `bookmarks.example.com`)."""
        with self._errors(f"reading hosted zone {zone_id}"):
            zone = self._client.get_hosted_zone(Id=zone_id)["HostedZone"]
        return fqdn(zone["Name"])

    def values(self, zone_id: str, name: str, type_: str) -> list[str] | None:
        """The values of the record set `name`/`type_`, or None when there is none (alias
        records have no values: an empty list)."""
        with self._errors(f"reading {type_} {name} in hosted zone {zone_id}"):
            page = self._client.list_resource_record_sets(
                HostedZoneId=zone_id, StartRecordName=name, StartRecordType=type_, MaxItems="1"
            )
        for record in page.get("ResourceRecordSets", []):
            if fqdn(record["Name"]) == fqdn(name) and record["Type"] == type_:
                return [r["Value"] for r in record.get("ResourceRecords", [])]
        return None

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
        )

        try:
            yield
        except NoCredentialsError:
            raise CheckUnavailable(
                f"Route 53: no AWS credentials found while {doing}: configure them (environment, "
                "profile or role) with read access to the hosted zone."
            ) from None
        except EndpointConnectionError:
            raise CheckUnavailable(
                f"Route 53 is unreachable at {self.endpoint} while {doing}: check network access, "
                "or --route53-endpoint-url / AWS_ENDPOINT_URL_ROUTE_53."
            ) from None
        except ClientError as err:
            error = err.response.get("Error", {})
            code = error.get("Code", "error")
            message = " ".join(str(error.get("Message", "")).split())
            if code in _REFUSED_CREDENTIALS:
                hint = "check the AWS credentials and that they may read the hosted zone."
            elif code == "NoSuchHostedZone":
                hint = "check mail.hostedZoneId and that the credentials are for its AWS account."
            else:
                hint = "see the AWS error above."
            raise CheckUnavailable(
                f"Route 53 refused {doing} ({code}: {message}): {hint}"
            ) from None
        except BotoCoreError as err:
            raise CheckUnavailable(
                f"Route 53 failed while {doing} ({type(err).__name__}): check "
                f"{self.endpoint} is reachable."
            ) from None
