"""The `aws` provider plugin for tests: `aws:route53/record:Record` in a local Route 53.

    python -m tools.localcloud.aws.provider <engine address>

Runs on the Pulumi SDK's experimental provider server, installed as `aws` 7.51.1 by
`plugin.install`, so the engine uses it wherever the program creates Route 53 records. It serves
nothing else: any other aws type or function fails with its name.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi.provider.experimental import provider as p
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.provider.experimental.server import main as serve
from pulumi.runtime import rpc

from tools.localcloud.aws import record_resource
from tools.localcloud.aws.config import route53_config
from tools.localcloud.aws.record_resource import UNKNOWN, Records
from tools.localcloud.aws.record_sets import RecordSets
from tools.localcloud.aws.records import RECORD_TYPE

VERSION = "7.51.1"
_CONFIG_PREFIX = "aws:config:"


# The SDK's experimental PropertyValue (3.272) neither reads nor writes unknowns: on the wire an
# unknown is the plain string rpc.UNKNOWN, and Computed() cannot be marshalled. So unknowns are
# translated here, in both directions.


def plain(values: Mapping[str, PropertyValue]) -> dict[str, Any]:
    """Property values as plain Python: secrets unwrapped, unknowns as UNKNOWN, whole numbers
    as int (the wire only has floats)."""
    return {k: _plain(v) for k, v in values.items()}


def _plain(value: PropertyValue) -> Any:
    v = value.value
    if isinstance(v, Computed) or v == rpc.UNKNOWN:
        return UNKNOWN
    if isinstance(v, Mapping):
        return plain(v)
    if isinstance(v, Sequence) and not isinstance(v, str):
        return [_plain(item) for item in v]
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def wire(
    values: Mapping[str, Any], secret_keys: set[str] = frozenset()
) -> dict[str, PropertyValue]:
    """Plain values back to property values; keys whose input was secret stay secret."""
    return {k: _wire(v).with_secret(k in secret_keys) for k, v in values.items()}


def _wire(value: Any) -> PropertyValue:
    if value is UNKNOWN:
        return PropertyValue(rpc.UNKNOWN)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return PropertyValue(value)
    if isinstance(value, int | float):
        return PropertyValue(float(value))
    if isinstance(value, Mapping):
        return PropertyValue({k: _wire(v) for k, v in value.items()})
    return PropertyValue([_wire(v) for v in value])


def _secret_keys(values: Mapping[str, PropertyValue]) -> set[str]:
    return {k for k, v in values.items() if v.contains_secret()}


def _require_record(urn_type: str) -> None:
    # A URN's type names its parents' types first: `edge:mail:MailDnsRecords$aws:route53/...`.
    urn_type = urn_type.split("$")[-1]
    if urn_type != RECORD_TYPE:
        raise NotImplementedError(
            f"{urn_type} is not served by the local aws provider (only {RECORD_TYPE})"
        )


class LocalAwsProvider(p.Provider):
    def __init__(self) -> None:
        self._records: Records | None = None

    @property
    def records(self) -> Records:
        if self._records is None:
            raise RuntimeError("the aws provider was used before it was configured")
        return self._records

    async def diff_config(self, request: p.DiffRequest) -> p.DiffResponse:
        # A new emulator port is a new endpoint, not a new place for the records: never replace.
        return p.DiffResponse(changes=plain(request.old_state) != plain(request.new_inputs))

    async def configure(self, request: p.ConfigureRequest) -> p.ConfigureResponse:
        config = plain(request.args) or {
            k.removeprefix(_CONFIG_PREFIX): v for k, v in request.variables.items()
        }
        self._records = Records(RecordSets(route53_config(config)))
        return p.ConfigureResponse(accept_secrets=True, supports_preview=True)

    async def check(self, request: p.CheckRequest) -> p.CheckResponse:
        _require_record(request.type)
        failures = record_resource.check(plain(request.new_inputs))
        return p.CheckResponse(
            inputs=request.new_inputs,
            failures=[p.CheckFailure(prop, reason) for prop, reason in failures],
        )

    async def diff(self, request: p.DiffRequest) -> p.DiffResponse:
        _require_record(request.type)
        olds, news = plain(request.old_state), plain(request.new_inputs)
        result = record_resource.diff(olds, news, request.ignore_changes)

        def kind(key: str) -> p.PropertyDiffKind:
            if key not in olds:
                return (
                    p.PropertyDiffKind.ADD_REPLACE
                    if key in result.replaced
                    else p.PropertyDiffKind.ADD
                )
            if news.get(key) is None:
                return p.PropertyDiffKind.DELETE
            if key in result.replaced:
                return p.PropertyDiffKind.UPDATE_REPLACE
            return p.PropertyDiffKind.UPDATE

        return p.DiffResponse(
            changes=bool(result.changed),
            replaces=result.replaced,
            diffs=result.changed,
            detailed_diff={k: p.PropertyDiff(kind(k), True) for k in result.changed},
            delete_before_replace=False,
        )

    async def create(self, request: p.CreateRequest) -> p.CreateResponse:
        _require_record(request.type)
        inputs, secret = plain(request.properties), _secret_keys(request.properties)
        if request.preview:
            return p.CreateResponse("", wire(record_resource.preview_outputs(inputs), secret))
        resource_id, outputs = await asyncio.to_thread(self.records.create, inputs)
        return p.CreateResponse(resource_id, wire(outputs, secret))

    async def read(self, request: p.ReadRequest) -> p.ReadResponse:
        _require_record(request.type)
        state, secret = plain(request.properties), _secret_keys(request.properties)
        if state.get("zoneId") and state.get("type"):
            outputs = await asyncio.to_thread(self.records.read, state)
        else:  # pulumi import: only the id is known
            outputs = await asyncio.to_thread(self.records.read_imported, request.resource_id)
        if outputs is None:
            return p.ReadResponse(None)  # gone: the engine drops it from state
        # As the bridge does: the inputs a refresh records are the old ones with the values
        # Route 53 now holds, so the next preview shows drift as "held => wanted".
        old_inputs = plain(request.inputs)
        inputs = {k: outputs.get(k, v) for k, v in old_inputs.items()} or {
            k: outputs[k] for k in record_resource.DIFFED_INPUTS if k in outputs
        }
        return p.ReadResponse(
            request.resource_id, wire(outputs, secret), wire(inputs, _secret_keys(request.inputs))
        )

    async def update(self, request: p.UpdateRequest) -> p.UpdateResponse:
        _require_record(request.type)
        olds, news = plain(request.olds), plain(request.news)
        secret = _secret_keys(request.news)
        if request.preview:
            outputs = record_resource.preview_outputs(news, fqdn=olds.get("fqdn", UNKNOWN))
        else:
            outputs = await asyncio.to_thread(self.records.update, olds, news)
        return p.UpdateResponse(wire(outputs, secret))

    async def delete(self, request: p.DeleteRequest) -> None:
        _require_record(request.type)
        await asyncio.to_thread(self.records.delete, plain(request.properties))

    async def invoke(self, request: p.InvokeRequest) -> p.InvokeResponse:
        raise NotImplementedError(f"aws function {request.tok} is not served by the local provider")


def main() -> None:
    serve(sys.argv[1:], VERSION, LocalAwsProvider())


if __name__ == "__main__":
    main()
