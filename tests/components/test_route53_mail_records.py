"""Route 53 mail records: TXT splitting for long DKIM keys, Return-Path, DMARC, SPF, MX."""

import base64
import os

import pytest

from components.mail.route53 import MailDnsRecords, MailDnsRecordsArgs, split_txt
from tests.support.mocks import custom, register


def dkim_value(bits: int) -> str:
    # A DER-encoded RSA public key is ~bits/8 + 38 bytes; base64 of random bytes of that size
    # has the length of a real key of that size.
    key = base64.b64encode(os.urandom(bits // 8 + 38)).decode()
    return f"k=rsa; p={key}"


@pytest.mark.parametrize("length", [1, 254, 255])
def test_values_up_to_255_are_untouched(length):
    assert split_txt("x" * length) == "x" * length


@pytest.mark.parametrize("length", [256, 510, 511, 1000])
def test_long_values_split_into_255_strings_without_losing_characters(length):
    value = "".join(chr(ord("a") + i % 26) for i in range(length))
    split = split_txt(value)
    chunks = split.split('""')
    assert all(len(c) <= 255 for c in chunks)
    assert "".join(chunks) == value
    assert len(chunks) == -(-length // 255)


def test_quotes_are_refused():
    with pytest.raises(ValueError, match="quotes"):
        split_txt('"already quoted"')


def records_for(dkim: str, **extra):
    args = MailDnsRecordsArgs(
        zone_id="Z0EXAMPLE",
        sending_domain="mail.example.com",
        dkim_host="20240101pm._domainkey.mail.example.com",
        dkim_value=dkim,
        return_path_domain="pm-bounces.mail.example.com",
        **extra,
    )
    resources = register(lambda: MailDnsRecords("dns", args))
    return {r.name.removeprefix("dns-"): r for r in custom(resources, "route53/record:Record")}


@pytest.mark.parametrize("bits", [1024, 2048])
def test_dkim_is_one_txt_record_of_255_char_strings(bits):
    value = dkim_value(bits)
    dkim = records_for(value)["dkim"]
    assert dkim.inputs["type"] == "TXT"
    assert dkim.inputs["name"] == "20240101pm._domainkey.mail.example.com"
    [record] = dkim.inputs["records"]  # one record value, never several records
    assert not record.startswith('"')  # pulumi-aws adds the outer quotes itself
    assert record.replace('""', "") == value
    assert all(len(chunk) <= 255 for chunk in record.split('""'))
    assert ('""' in record) == (len(value) > 255)
    assert dkim.inputs.get("allowOverwrite") is False


def test_return_path_and_dmarc():
    records = records_for(
        dkim_value(1024), dmarc_policy="quarantine", dmarc_rua="mailto:d@example.com"
    )
    rp = records["return-path"]
    assert (rp.inputs["type"], rp.inputs["name"], rp.inputs["records"]) == (
        "CNAME",
        "pm-bounces.mail.example.com",
        ["pm.mtasv.net"],
    )
    dmarc = records["dmarc"]
    assert dmarc.inputs["name"] == "_dmarc.mail.example.com"
    assert dmarc.inputs["records"] == ["v=DMARC1; p=quarantine; rua=mailto:d@example.com"]
    assert set(records) == {"dkim", "return-path", "dmarc"}


def test_optional_spf_and_inbound_mx():
    records = records_for(dkim_value(1024), spf=True, inbound_mx=True)
    assert records["spf"].inputs["records"] == ["v=spf1 a mx include:spf.mtasv.net ~all"]
    assert records["mx"].inputs["records"] == ["10 inbound.postmarkapp.com"]
    assert records["mx"].inputs["type"] == "MX"
