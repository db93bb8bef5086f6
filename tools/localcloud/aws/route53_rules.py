"""Route 53's ChangeResourceRecordSets semantics, applied to moto's record store.

moto 5.2.5 applies a change batch one change at a time and refuses a CREATE only when it has
journaled the very same change before, so a second CREATE of a record set silently duplicates
it, a DELETE with a SetIdentifier removes every set with that identifier, and names keep the
case they were sent in. Route 53 instead checks the whole batch against the zone as it would be
after each change and applies all of it or nothing; the rules below are those of its API
reference (ChangeResourceRecordSets, "InvalidChangeBatch") and DNS domain name format (names
are stored in lower case). `install()` puts them in place of moto's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.route53.exceptions import InvalidInput, Route53ClientError
from moto.route53.models import FakeZone, RecordSet, Route53Backend
from moto.route53.utils import validate_domain_name


class InvalidChangeBatch(Route53ClientError):
    def __init__(self, message: str):
        super().__init__("InvalidChangeBatch", message)


@dataclass(frozen=True)
class SetKey:
    """A record set is identified by name, type and set identifier, never by its values."""

    name: str
    type: str
    set_identifier: str | None

    def describe(self) -> str:
        ident = f", set-identifier='{self.set_identifier}'" if self.set_identifier else ""
        return f"[name='{self.name}', type='{self.type}'{ident}]"


def _stored_name(name: str) -> str:
    return name.lower().rstrip(".") + "."


def _key_of_change(rrset: dict[str, Any]) -> SetKey:
    return SetKey(_stored_name(rrset["Name"]), rrset["Type"], rrset.get("SetIdentifier"))


def _key_of_set(rrset: RecordSet) -> SetKey:
    return SetKey(_stored_name(rrset.name), rrset.type, rrset.set_identifier)


def _values_of_change(rrset: dict[str, Any]) -> tuple[Any, ...]:
    values = sorted(r["Value"] for r in rrset.get("ResourceRecords") or [])
    return (str(rrset.get("TTL")), tuple(values), rrset.get("Weight"))


def _values_of_set(rrset: RecordSet) -> tuple[Any, ...]:
    values = sorted(r if isinstance(r, str) else r["Value"] for r in rrset.records or [])
    return (str(rrset.ttl), tuple(values), rrset.weight)


def check_change_batch(zone: FakeZone, changes: list[dict[str, Any]]) -> None:
    """Raise InvalidChangeBatch as Route 53 would, before any change is applied."""
    zone_name = _stored_name(zone.name)
    after: dict[SetKey, tuple[Any, ...]] = {_key_of_set(s): _values_of_set(s) for s in zone.rrsets}
    for change in changes:
        rrset = change["ResourceRecordSet"]
        validate_domain_name(rrset["Name"], code="InvalidChangeBatch")
        key = _key_of_change(rrset)
        if not (key.name == zone_name or key.name.endswith(f".{zone_name}")):
            raise InvalidChangeBatch(
                f"RRSet with DNS name {key.name} is not permitted in zone {zone_name}"
            )
        action = change["Action"]
        _check_routing(action, rrset, key)
        if action == "DELETE":
            if key not in after:
                raise InvalidChangeBatch(
                    f"Tried to delete resource record set {key.describe()} but it was not found"
                )
            if after.pop(key) != _values_of_change(rrset):
                raise InvalidChangeBatch(
                    f"Tried to delete resource record set {key.describe()} but the values "
                    "provided do not match the current values"
                )
            continue
        if action == "CREATE" and key in after:
            raise InvalidChangeBatch(
                f"Tried to create resource record set {key.describe()} but it already exists"
            )
        _check_cname_exclusive(key, after, zone_name)
        after[key] = _values_of_change(rrset)


_ROUTING_FIELDS = (
    "Weight", "Region", "Failover", "GeoLocation", "MultiValueAnswer", "GeoProximityLocation",
    "CidrRoutingConfig",
)  # fmt: skip


def _check_routing(action: str, rrset: dict[str, Any], key: SetKey) -> None:
    """A set identifier comes with exactly one routing policy, and a routing policy with one."""
    policies = [f for f in _ROUTING_FIELDS if rrset.get(f) is not None]
    where = (
        f"in Change with [Action={action}, Name={key.name}, Type={key.type}, "
        f"SetIdentifier={key.set_identifier or 'null'}]"
    )
    if policies and not key.set_identifier:
        raise InvalidInput(f"Invalid request: Missing field 'SetIdentifier' {where}")
    if key.set_identifier and len(policies) != 1:
        found = "none" if not policies else "more than one"
        raise InvalidInput(
            f"Invalid request: Expected exactly one of [{', '.join(_ROUTING_FIELDS)}], but "
            f"found {found} {where}"
        )


def _check_cname_exclusive(key: SetKey, after: dict[SetKey, Any], zone_name: str) -> None:
    """A CNAME cannot share its name with a set of any other type (RFC 1034 3.6.2)."""
    others = {k.type for k in after if k.name == key.name and k.type != key.type}
    if key.type == "CNAME" and others:
        raise InvalidChangeBatch(
            f"RRSet of type CNAME with DNS name {key.name} is not permitted as it conflicts "
            f"with other records with the same DNS name in zone {zone_name}"
        )
    if "CNAME" in others:
        raise InvalidChangeBatch(
            f"RRSet of type {key.type} with DNS name {key.name} is not permitted because a "
            f"conflicting RRSet of type CNAME with the same DNS name already exists in zone "
            f"{zone_name}"
        )


def apply_change_batch(zone: FakeZone, changes: list[dict[str, Any]]) -> None:
    """Apply a batch `check_change_batch` accepted: each set stored under its lower-case name."""
    for change in changes:
        rrset = dict(change["ResourceRecordSet"])
        rrset["Name"] = _stored_name(rrset["Name"])
        key = _key_of_change(rrset)
        if change["Action"] == "DELETE":
            zone.rrsets = [s for s in zone.rrsets if _key_of_set(s) != key]
            continue
        rrset["ResourceRecords"] = [r["Value"] for r in rrset.get("ResourceRecords") or []]
        zone.upsert_rrset(rrset)  # CREATE of a new key and UPSERT both end in one set per key


def _change_resource_record_sets(
    backend: Route53Backend, zoneid: str, change_list: list[dict[str, Any]]
) -> None:
    zone = backend.get_hosted_zone(zoneid)
    check_change_batch(zone, change_list)
    apply_change_batch(zone, change_list)


def install() -> None:
    """Serve ChangeResourceRecordSets with Route 53's rules in this process's moto backend."""
    Route53Backend.change_resource_record_sets = _change_resource_record_sets  # type: ignore[method-assign]
