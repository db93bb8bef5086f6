"""The lifecycle of `aws:route53/record:Record`, on plain values (UNKNOWN for preview unknowns).

Inputs and outputs use the pulumi-aws schema's camelCase names. The behaviour is upstream's
resourceRecordCreate/Read/Update/Delete (see `records` for the source): CREATE, or UPSERT when
`allowOverwrite`; an update UPSERTs, or DELETEs and CREATEs in one batch when `type` or
`setIdentifier` changes; a delete removes exactly the set it finds; a read reports a set that no
longer exists as gone. Records with aliases or routing policies other than weighted are not
served here and are refused by `check`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.localcloud.aws.record_sets import ChangeRefused, RecordSets, ZoneNotFound
from tools.localcloud.aws.records import (
    REBUILT_IN_PLACE,
    REPLACE_ON_CHANGE,
    RR_TYPES,
    clean_zone_id,
    expand_record_name,
    from_api_value,
    parse_record_id,
    record_id,
    state_name,
    to_api_value,
)


class Unknown:
    """A value the engine will only know after an earlier resource is created."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()

UNSUPPORTED_INPUTS = (
    "aliases", "cidrRoutingPolicy", "failoverRoutingPolicies", "geolocationRoutingPolicies",
    "geoproximityRoutingPolicy", "latencyRoutingPolicies", "multivalueAnswerRoutingPolicy",
)  # fmt: skip
DIFFED_INPUTS = (
    "zoneId", "name", "type", "ttl", "records", "setIdentifier", "healthCheckId",
    "weightedRoutingPolicies", "allowOverwrite",
)  # fmt: skip


class RecordError(RuntimeError):
    """An operation failed the way the real provider's would; the message says why."""


@dataclass(frozen=True)
class Diff:
    changed: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)


def check(news: dict[str, Any]) -> list[tuple[str, str]]:
    """Schema validation (required, enum, ExactlyOneOf, RequiredWith): (property, reason)."""
    failures = [(k, "required") for k in ("zoneId", "name", "type") if news.get(k) is None]
    type_ = news.get("type")
    if isinstance(type_, str) and type_ not in RR_TYPES:
        failures.append(("type", f"expected one of {', '.join(RR_TYPES)}, got {type_!r}"))
    if news.get("zoneId") == "":
        failures.append(("zoneId", "must not be empty"))
    for key in UNSUPPORTED_INPUTS:
        if news.get(key) not in (None, [], False):
            failures.append((key, "not served by the local Route 53 provider"))
    if news.get("records") is None:
        failures.append(("records", "exactly one of aliases or records must be set"))
    elif news.get("ttl") is None:
        failures.append(("ttl", "ttl is required with records"))
    if news.get("weightedRoutingPolicies") and not news.get("setIdentifier"):
        failures.append(("weightedRoutingPolicies", "requires setIdentifier"))
    return failures


def _comparable(key: str, value: Any) -> Any:
    """A value in the form the provider stores it, so equal meanings compare equal."""
    if value is UNKNOWN:
        return value
    if key == "zoneId":
        return clean_zone_id(value or "")
    if key == "name":
        return state_name(value or "")
    if key == "records":
        return frozenset(value or ())  # a set upstream: order never matters
    if key == "ttl":
        return int(value or 0)
    if key == "weightedRoutingPolicies":
        return tuple(int(p["weight"]) for p in value or ())
    if key == "allowOverwrite":
        return bool(value)
    return value or ""


def _contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, list | tuple):
        return any(_contains_unknown(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_unknown(v) for v in value.values())
    return False


def diff(olds: dict[str, Any], news: dict[str, Any], ignore: list[str]) -> Diff:
    result = Diff()
    for key in DIFFED_INPUTS:
        if key in ignore or (key == "allowOverwrite" and news.get(key) is None):
            continue  # allowOverwrite is Optional+Computed: unset keeps what state has
        new = news.get(key)
        if _contains_unknown(new) or _comparable(key, olds.get(key)) != _comparable(key, new):
            result.changed.append(key)
            if key in REPLACE_ON_CHANGE:
                result.replaced.append(key)
    return result


def _record_set(inputs: dict[str, Any], zone_name: str) -> dict[str, Any]:
    """expandResourceRecordSet: what one record's inputs mean to the Route 53 API."""
    type_ = inputs["type"]
    rrset: dict[str, Any] = {"Name": expand_record_name(inputs["name"], zone_name), "Type": type_}
    if inputs.get("ttl") is not None:
        rrset["TTL"] = int(inputs["ttl"])
    if inputs.get("records"):
        rrset["ResourceRecords"] = [{"Value": to_api_value(v, type_)} for v in inputs["records"]]
    if inputs.get("healthCheckId"):
        rrset["HealthCheckId"] = inputs["healthCheckId"]
    if inputs.get("setIdentifier"):
        rrset["SetIdentifier"] = inputs["setIdentifier"]
    if inputs.get("weightedRoutingPolicies"):
        rrset["Weight"] = int(inputs["weightedRoutingPolicies"][0]["weight"])
    return rrset


def preview_outputs(inputs: dict[str, Any], fqdn: Any = UNKNOWN) -> dict[str, Any]:
    """Outputs before anything exists: inputs as state holds them, computed values unknown."""
    outputs = {k: inputs[k] for k in DIFFED_INPUTS if inputs.get(k) is not None}
    if isinstance(outputs.get("name"), str):
        outputs["name"] = state_name(outputs["name"])
    outputs["allowOverwrite"] = inputs.get("allowOverwrite", False)
    outputs["fqdn"] = fqdn
    return outputs


class Records:
    def __init__(self, api: RecordSets):
        self._api = api

    def _zone_name(self, zone_id: str) -> str:
        try:
            return self._api.zone_name(zone_id)
        except ZoneNotFound as e:
            raise RecordError(f"reading Route 53 Hosted Zone ({zone_id}): {e}") from e

    def _change(self, zone_id: str, changes: list[dict[str, Any]], verb: str) -> None:
        try:
            self._api.change(zone_id, changes)
        except ChangeRefused as e:
            raise RecordError(f"{verb} Route53 Record: {e}") from e

    def create(self, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        zone_id = inputs["zoneId"]
        action = "UPSERT" if inputs.get("allowOverwrite") else "CREATE"
        rrset = _record_set(inputs, self._zone_name(zone_id))
        self._change(zone_id, [{"Action": action, "ResourceRecordSet": rrset}], "creating")
        rid = record_id(zone_id, inputs["name"], inputs["type"], inputs.get("setIdentifier"))
        outputs = self.read(preview_outputs(inputs))
        if outputs is None:
            raise RecordError(f"reading Route 53 Record ({rid}): not found after create")
        return rid, outputs

    def read(self, state: dict[str, Any]) -> dict[str, Any] | None:
        """Current outputs of the set `state` names, or None if it is gone."""
        found = self._api.find(
            state["zoneId"], state["name"], state["type"], state.get("setIdentifier") or ""
        )
        if found is None:
            return None
        rrset, type_ = found.rrset, state["type"]
        outputs = {k: v for k, v in state.items() if k not in ("setIdentifier", "healthCheckId")}
        outputs["allowOverwrite"] = bool(state.get("allowOverwrite"))
        outputs["fqdn"] = found.fqdn
        outputs["records"] = [from_api_value(r["Value"], type_) for r in rrset["ResourceRecords"]]
        outputs["ttl"] = rrset.get("TTL")
        outputs["weightedRoutingPolicies"] = (
            [{"weight": rrset["Weight"]}] if rrset.get("Weight") is not None else []
        )
        for key, api_key in (
            ("setIdentifier", "SetIdentifier"),
            ("healthCheckId", "HealthCheckId"),
        ):
            if rrset.get(api_key):
                outputs[key] = rrset[api_key]
        return outputs

    def read_imported(self, resource_id: str) -> dict[str, Any] | None:
        """`pulumi import`: the set named by an id `{zoneId}_{name}_{type}[_{setIdentifier}]`."""
        zone, name, type_, set_identifier = parse_record_id(resource_id)
        if not zone or not type_:
            raise RecordError(
                f"unexpected format of ID ({resource_id!r}), expected ZONEID_RECORDNAME_TYPE"
                "_SET-IDENTIFIER (e.g. Z4KAPRWWNC7JR_dev.example.com_NS_dev), where "
                "SET-IDENTIFIER is optional"
            )
        state = {"zoneId": zone, "name": name, "type": type_}
        if set_identifier:
            state["setIdentifier"] = set_identifier
        return self.read(state)

    def update(self, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        zone_id = news["zoneId"]
        zone_name = self._zone_name(zone_id)
        new_set = _record_set(news, zone_name)
        rebuilt = any(
            _comparable(k, olds.get(k)) != _comparable(k, news.get(k)) for k in REBUILT_IN_PLACE
        )
        if rebuilt:
            changes = [
                {"Action": "DELETE", "ResourceRecordSet": _record_set(olds, zone_name)},
                {"Action": "CREATE", "ResourceRecordSet": new_set},
            ]
        else:
            changes = [{"Action": "UPSERT", "ResourceRecordSet": new_set}]
        self._change(zone_id, changes, "updating")
        outputs = self.read({**preview_outputs(news), "fqdn": olds.get("fqdn")})
        if outputs is None:
            raise RecordError("reading Route 53 Record: not found after update")
        return outputs

    def delete(self, state: dict[str, Any]) -> None:
        found = self._api.find(
            state["zoneId"], state["name"], state["type"], state.get("setIdentifier") or ""
        )
        if found is None:
            return  # already gone: nothing to delete
        try:
            self._api.change(
                state["zoneId"], [{"Action": "DELETE", "ResourceRecordSet": found.rrset}]
            )
        except ChangeRefused as e:
            if not str(e).startswith("InvalidChangeBatch"):
                raise RecordError(f"deleting Route53 Record: {e}") from e
