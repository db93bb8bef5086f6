"""The local aws provider's methods, called as the engine calls them, against a local Route 53."""

from __future__ import annotations

import asyncio
import base64
import itertools
import os

import pytest
from pulumi.provider.experimental import provider as p
from pulumi.provider.experimental.property_value import PropertyValue

from components.mail.route53 import split_txt
from tools.localcloud.aws.config import ConfigError
from tools.localcloud.aws.provider import LocalAwsProvider, plain, wire
from tools.localcloud.aws.record_resource import UNKNOWN
from tools.localcloud.aws.route53_server import client, running_server, seed_zone

DOMAIN = "bookmarks.example.com"
URN = "urn:pulumi:test::edge-platform::aws:route53/record:Record::"
_zone_ids = (f"Z0TEST{n:06d}" for n in itertools.count())


@pytest.fixture(scope="module")
def endpoint():
    with running_server() as url:
        yield url


def local_config(endpoint: str) -> dict:
    return {
        "region": "us-east-1",
        "endpoints": [{"route53": endpoint}],
        "skipCredentialsValidation": True,
        "skipRequestingAccountId": True,
        "skipMetadataApiCheck": True,
        "accessKey": "testing",
        "secretKey": "testing",
    }


def configured(config: dict) -> LocalAwsProvider:
    provider = LocalAwsProvider()
    asyncio.run(provider.configure(p.ConfigureRequest({}, wire(config), True, True)))
    return provider


@pytest.fixture
def zone_id(endpoint):
    """A fresh hosted zone for DOMAIN (each test its own, so tests never see each other)."""
    zone_id = next(_zone_ids)
    seed_zone(zone_id, DOMAIN)
    return zone_id


@pytest.fixture
def provider(endpoint):
    return configured(local_config(endpoint))


@pytest.fixture
def route53(endpoint):
    """What Route 53 itself holds, asked directly."""
    return client(endpoint)


def record_sets(route53, zone_id: str) -> dict[tuple[str, str], dict]:
    listed = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {(r["Name"], r["Type"]): r for r in listed if r["Type"] not in ("NS", "SOA")}


def dkim_value() -> str:
    """A 2048-bit DKIM key as Postmark publishes it: one TXT value of about 400 characters."""
    return "k=rsa;p=" + base64.b64encode(os.urandom(294)).decode()


def inputs(zone_id: str, name: str, type_: str, records: list[str], **extra) -> dict:
    return {"zoneId": zone_id, "name": name, "type": type_, "ttl": 300, "records": records,
            "allowOverwrite": False, **extra}  # fmt: skip


def sent(values: dict) -> dict[str, PropertyValue]:
    """Plain values as the engine sends them: encoded for gRPC and decoded by the SDK server."""
    return PropertyValue.unmarshal_map(PropertyValue.marshal_map(wire(values)))


def received(values: dict[str, PropertyValue]) -> dict:
    """A response's values as the engine gets them, back in plain form."""
    return plain(PropertyValue.unmarshal_map(PropertyValue.marshal_map(values)))


def create(provider, name: str, props: dict, preview: bool = False) -> tuple[str, dict]:
    response = asyncio.run(provider.create(p.CreateRequest(URN + name, sent(props), 0, preview)))
    return response.resource_id, received(response.properties)


def read(provider, name: str, resource_id: str, state: dict) -> tuple[str | None, dict]:
    request = p.ReadRequest(URN + name, resource_id, sent(state), {})
    response = asyncio.run(provider.read(request))
    return response.resource_id, received(response.properties)


def update(provider, name: str, resource_id: str, olds: dict, news: dict) -> dict:
    request = p.UpdateRequest(URN + name, resource_id, sent(olds), sent(news), 0, [], False)
    return received(asyncio.run(provider.update(request)).properties)


def delete(provider, name: str, resource_id: str, state: dict) -> None:
    asyncio.run(provider.delete(p.DeleteRequest(URN + name, resource_id, sent(state), 0)))


def diff(provider, name: str, olds: dict, news: dict) -> p.DiffResponse:
    request = p.DiffRequest(URN + name, "id", sent(olds), sent(news), [])
    return asyncio.run(provider.diff(request))


def check(provider, name: str, news: dict) -> list[tuple[str, str]]:
    response = asyncio.run(provider.check(p.CheckRequest(URN + name, {}, sent(news), b"")))
    return [(f.property, f.reason) for f in response.failures or []]


# -- TXT: a DKIM key over 255 characters --------------------------------------------------------


def test_dkim_txt_over_255_characters_is_one_record_of_quoted_strings(provider, route53, zone_id):
    value = split_txt(dkim_value())
    host = f"20260101pm._domainkey.mail.{DOMAIN}"
    rid, outputs = create(provider, "dkim", inputs(zone_id, host, "TXT", [value]))

    assert rid == f"{zone_id}_{host}_TXT"
    assert outputs["fqdn"] == host
    assert outputs["records"] == [value]
    chunks = value.split('""')
    assert len(chunks) == 2 and all(len(c) <= 255 for c in chunks)
    # One record whose text is two quoted strings: "<first 255>""<rest>".
    stored = record_sets(route53, zone_id)[(f"{host}.", "TXT")]["ResourceRecords"]
    assert stored == [{"Value": f'"{chunks[0]}""{chunks[1]}"'}]

    gone_id, again = read(provider, "dkim", rid, outputs)
    assert gone_id == rid and again == outputs
    assert diff(provider, "dkim", outputs, inputs(zone_id, host, "TXT", [value])).changes is False


def test_txt_update_upserts_the_new_value(provider, route53, zone_id):
    host = f"_dmarc.mail.{DOMAIN}"
    props = inputs(zone_id, host, "TXT", ["v=DMARC1; p=none"])
    rid, outputs = create(provider, "dmarc", props)
    news = {**props, "records": ["v=DMARC1; p=reject"]}

    assert diff(provider, "dmarc", outputs, news).diffs == ["records"]
    assert diff(provider, "dmarc", outputs, news).replaces == []
    outputs = update(provider, "dmarc", rid, outputs, news)

    assert outputs["records"] == ["v=DMARC1; p=reject"]
    stored = record_sets(route53, zone_id)[(f"{host}.", "TXT")]
    assert stored["ResourceRecords"] == [{"Value": '"v=DMARC1; p=reject"'}]


# -- CNAME and MX ------------------------------------------------------------------------------


def test_cname_lifecycle(provider, route53, zone_id):
    host = f"pm-bounces.mail.{DOMAIN}"
    rid, outputs = create(provider, "rp", inputs(zone_id, host, "CNAME", ["pm.mtasv.net"]))
    assert outputs["records"] == ["pm.mtasv.net"]
    assert read(provider, "rp", rid, outputs) == (rid, outputs)

    news = {**inputs(zone_id, host, "CNAME", ["pm.mtasv.net"]), "ttl": 60}
    assert diff(provider, "rp", outputs, news).diffs == ["ttl"]
    outputs = update(provider, "rp", rid, outputs, news)
    assert record_sets(route53, zone_id)[(f"{host}.", "CNAME")]["TTL"] == 60

    delete(provider, "rp", rid, outputs)
    assert record_sets(route53, zone_id) == {}


def test_mx_reads_back_without_a_diff(provider, route53, zone_id):
    host = f"mail.{DOMAIN}"
    props = inputs(zone_id, host, "MX", ["10 inbound.postmarkapp.com", "20 backup.example.net"])
    rid, outputs = create(provider, "mx", props)

    assert sorted(outputs["records"]) == sorted(props["records"])
    reordered = {**props, "records": list(reversed(props["records"]))}
    assert diff(provider, "mx", outputs, reordered).changes is False  # records are a set
    delete(provider, "mx", rid, outputs)
    assert record_sets(route53, zone_id) == {}


# -- names ---------------------------------------------------------------------------------------


def test_zone_relative_upper_case_name_is_completed_and_normalised(provider, route53, zone_id):
    rid, outputs = create(provider, "rel", inputs(zone_id, "Mail.", "TXT", ["x"]))

    assert rid == f"{zone_id}_mail_TXT"
    assert outputs["name"] == "mail"
    assert outputs["fqdn"] == f"mail.{DOMAIN}"
    assert (f"mail.{DOMAIN}.", "TXT") in record_sets(route53, zone_id)
    same = inputs(zone_id, "mail", "TXT", ["x"])
    assert diff(provider, "rel", outputs, same).changes is False


# -- overwrite protection ----------------------------------------------------------------------


def test_create_refuses_an_existing_record_unless_allow_overwrite(provider, route53, zone_id):
    host = f"mail.{DOMAIN}"
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": host, "Type": "TXT", "TTL": 300,
            "ResourceRecords": [{"Value": '"managed elsewhere"'}]}}]},
    )  # fmt: skip

    with pytest.raises(Exception, match="already exists"):
        create(provider, "spf", inputs(zone_id, host, "TXT", ["v=spf1 -all"]))
    stored = record_sets(route53, zone_id)[(f"{host}.", "TXT")]
    assert stored["ResourceRecords"] == [{"Value": '"managed elsewhere"'}]

    _, outputs = create(provider, "spf", inputs(zone_id, host, "TXT", ["v=spf1 -all"],
                                                allowOverwrite=True))  # fmt: skip
    assert outputs["records"] == ["v=spf1 -all"]


# -- refresh -----------------------------------------------------------------------------------


def test_read_reports_a_record_deleted_outside_as_gone(provider, route53, zone_id):
    host = f"gone.{DOMAIN}"
    rid, outputs = create(provider, "gone", inputs(zone_id, host, "CNAME", ["x.example.net"]))
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": record_sets(
            route53, zone_id)[(f"{host}.", "CNAME")]}]},
    )  # fmt: skip

    assert read(provider, "gone", rid, outputs) == (None, {})
    delete(provider, "gone", rid, outputs)  # deleting what is already gone succeeds


def test_refresh_reports_drift_made_outside(provider, route53, zone_id):
    host = f"drift.{DOMAIN}"
    props = inputs(zone_id, host, "TXT", ["before"])
    rid, outputs = create(provider, "drift", props)
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
            "Name": host, "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": '"after"'}]}}]},
    )  # fmt: skip

    request = p.ReadRequest(URN + "drift", rid, sent(outputs), sent(props))
    response = asyncio.run(provider.read(request))
    refreshed, recorded_inputs = received(response.properties), received(response.inputs)

    assert refreshed["records"] == ["after"]
    assert recorded_inputs == {**props, "records": ["after"]}  # preview shows "after" => "before"
    assert diff(provider, "drift", refreshed, props).diffs == ["records"]


def test_import_reads_a_record_by_its_id(provider, zone_id):
    host = f"_dmarc.mail.{DOMAIN}"
    rid, outputs = create(provider, "dmarc", inputs(zone_id, host, "TXT", ["v=DMARC1; p=none"]))

    imported_id, imported = read(provider, "dmarc", rid, {})
    assert imported_id == rid
    assert imported["records"] == ["v=DMARC1; p=none"] and imported["fqdn"] == host


# -- replacement and in-place rebuilds ---------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [("name", f"other.{DOMAIN}"), ("zoneId", "Z0ANOTHERZONE")],
)
def test_name_or_zone_change_replaces(provider, zone_id, key, value):
    props = inputs(zone_id, f"mail.{DOMAIN}", "TXT", ["x"])
    _, outputs = create(provider, "r", props)

    response = diff(provider, "r", outputs, {**props, key: value})
    assert response.replaces == [key]
    assert response.detailed_diff[key].kind == p.PropertyDiffKind.UPDATE_REPLACE


def test_type_change_swaps_the_set_in_place_in_one_batch(provider, route53, zone_id):
    host = f"pm-bounces.mail.{DOMAIN}"
    props = inputs(zone_id, host, "TXT", ["placeholder"])
    rid, outputs = create(provider, "rp", props)
    news = inputs(zone_id, host, "CNAME", ["pm.mtasv.net"])

    response = diff(provider, "rp", outputs, news)
    assert response.replaces == [] and set(response.diffs) == {"type", "records"}
    # A CNAME cannot share its name with the TXT: only one batch of DELETE + CREATE works.
    outputs = update(provider, "rp", rid, outputs, news)

    assert outputs["type"] == "CNAME"
    assert set(record_sets(route53, zone_id)) == {(f"{host}.", "CNAME")}
    assert read(provider, "rp", rid, outputs) == (rid, outputs)


# -- preview -----------------------------------------------------------------------------------


def test_preview_touches_nothing_and_leaves_computed_outputs_unknown(provider, route53, zone_id):
    props = inputs(zone_id, f"mail.{DOMAIN}", "TXT", ["x"])
    rid, outputs = create(provider, "pv", props, preview=True)

    assert rid == "" and outputs["fqdn"] is UNKNOWN
    assert record_sets(route53, zone_id) == {}


def test_preview_with_inputs_not_known_yet(provider, zone_id):
    """The DKIM host and value come from the Postmark domain, unknown until it exists."""
    props = inputs(zone_id, UNKNOWN, "TXT", [UNKNOWN])
    assert check(provider, "dkim", props) == []

    _, planned = create(provider, "dkim", props, preview=True)
    assert planned["name"] is UNKNOWN and planned["records"] == [UNKNOWN]
    _, outputs = create(provider, "dkim", inputs(zone_id, f"old._domainkey.{DOMAIN}", "TXT", ["k"]))
    assert diff(provider, "dkim", outputs, props).replaces == ["name"]


# -- check -------------------------------------------------------------------------------------


def test_check_reports_what_the_schema_requires(provider, zone_id):
    no_ttl = {k: v for k, v in inputs(zone_id, "mail", "TXT", ["x"]).items() if k != "ttl"}
    assert check(provider, "c", no_ttl) == [("ttl", "ttl is required with records")]
    bad_type = inputs(zone_id, "mail", "TEXT", ["x"])
    assert [prop for prop, _ in check(provider, "c", bad_type)] == ["type"]
    alias = {**inputs(zone_id, "mail", "A", ["x"]), "aliases": [{"name": "lb", "zoneId": "Z"}]}
    assert check(provider, "c", alias)[0][0] == "aliases"


# -- configuration -----------------------------------------------------------------------------


def test_refuses_to_configure_without_a_route53_endpoint(endpoint):
    config = {k: v for k, v in local_config(endpoint).items() if k != "endpoints"}
    with pytest.raises(ConfigError, match="aws:endpoints"):
        configured(config)


def test_refuses_an_endpoint_that_is_not_loopback(endpoint):
    config = {**local_config(endpoint), "endpoints": [{"route53": "https://route53.amazonaws.com"}]}
    with pytest.raises(ConfigError, match="loopback"):
        configured(config)


def test_accepts_config_as_the_engine_sends_it_json_text_and_env_credentials(
    endpoint, zone_id, monkeypatch
):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    config = {
        "region": "us-east-1",
        "endpoints": f'[{{"route53": "{endpoint}"}}]',
        "skipCredentialsValidation": "true",
        "skipRequestingAccountId": "true",
    }
    provider = configured(config)
    _, outputs = create(provider, "cfg", inputs(zone_id, f"mail.{DOMAIN}", "TXT", ["x"]))
    assert outputs["fqdn"] == f"mail.{DOMAIN}"
