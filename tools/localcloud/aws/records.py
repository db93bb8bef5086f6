"""What an `aws:route53/record:Record` is, as the upstream Terraform provider defines it.

pulumi-aws bridges hashicorp/terraform-provider-aws, so the real plugin behaves as its
`aws_route53_record` does. Read from that repository:
  internal/service/route53/record.go at commit 6f9f473445500e41170df78104b8770b20fb9f03 and
    its later AWS SDK for Go v2 form (same functions): the schema (ForceNew on `name` and
    `zone_id`), resourceRecordCreate/Read/Update/Delete, recordParseResourceID,
    expandRecordName, expandTxtEntry/flattenTxtEntry;
  internal/service/route53/clean.go at commit 09ca52f596bc3d67bd3c95cac5f1ab0d012dc568:
    cleanZoneID, normalizeDomainName, fqdn.
`type` was ForceNew from v6.0 (issue #43500) until PR #47105 restored the in-place rebuild.
pulumi-aws 7.51.1 documents the batched record reads first released in v6.67, so it builds on
a release after that fix (an inference from release dates: its upstream commit is not pinned
here). `set_identifier` is not ForceNew in v6 (TestAccRoute53Record_Identity_ChangeOnUpdate
expects an in-place update).
"""

from __future__ import annotations

RECORD_TYPE = "aws:route53/record:Record"

# awstypes.RRType values, in the SDK's order; also what recordParseResourceID looks for.
RR_TYPES = (
    "SOA", "A", "TXT", "NS", "CNAME", "MX", "NAPTR", "PTR", "SRV", "SPF", "AAAA", "CAA", "DS",
    "TLSA", "SSHFP", "SVCB", "HTTPS",
)  # fmt: skip

REPLACE_ON_CHANGE = ("name", "zoneId")
"""ForceNew in the upstream schema: a change creates a new record set, then deletes the old."""

REBUILT_IN_PLACE = ("type", "setIdentifier")
"""Route 53 cannot UPSERT across these: an update DELETEs the old set and CREATEs the new one
in one change batch (resourceRecordUpdate), so DNS never answers with neither."""

_TXT_TYPES = ("TXT", "SPF")
_ZONE_ID_PREFIX = "/hostedzone/"


def clean_zone_id(zone_id: str) -> str:
    """cleanZoneID: `/hostedzone/Z123` and `Z123` name the same zone."""
    return zone_id.removeprefix(_ZONE_ID_PREFIX)


def state_name(name: str) -> str:
    """The schema's StateFunc for `name`: one trailing dot stripped, lower case. This, not the
    zone-completed name, is what state (and the id) holds."""
    return name.removesuffix(".").lower()


def normalize_domain_name(name: str) -> str:
    """normalizeDomainName: trailing dot stripped, the API's lower-case, octal-escaped form."""
    if name == ".":
        return name
    return _to_api_form(name.removesuffix("."))


def _to_api_form(name: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(name):
        ch = name[i]
        if "A" <= ch <= "Z":
            out.append(ch.lower())
        elif ch.isascii() and (ch.isalnum() or ch in "-._"):
            out.append(ch)
        elif ch == "*" and not out and name[i + 1 : i + 2] == ".":
            out.append(ch)  # a leftmost wildcard label stays as it is
        elif (
            ch == "\\"
            and len(name[i + 1 : i + 4]) == 3
            and set(name[i + 1 : i + 4]) <= set("01234567")
        ):
            out.append(name[i : i + 4])  # already an octal escape
            i += 3
        else:
            out.append(f"\\{ord(ch):03o}")
        i += 1
    return "".join(out)


def expand_record_name(name: str, zone_name: str) -> str:
    """expandRecordName: a name without the zone suffix gets the zone appended; "" is the apex.

    The suffix test is upstream's plain string suffix, kept as is."""
    expanded = normalize_domain_name(name)
    zone = zone_name.removesuffix(".")
    if not expanded.endswith(zone):
        expanded = zone if not name else f"{expanded}.{zone}"
    return expanded


def fqdn(name: str) -> str:
    """A name with its single trailing dot, as Route 53 lists names."""
    return name if name.endswith(".") else f"{name}."


def record_id(zone_id: str, name: str, type_: str, set_identifier: str | None) -> str:
    """`{zoneId}_{name}_{type}[_{setIdentifier}]`, the name as state holds it."""
    parts = [clean_zone_id(zone_id), state_name(name), type_]
    if set_identifier:
        parts.append(set_identifier)
    return "_".join(parts)


def parse_record_id(resource_id: str) -> tuple[str, str, str, str]:
    """recordParseResourceID: (zone, name, type, set identifier); the type is the first part
    after the zone that is an RR type, so names with underscores (`_dmarc.…`) parse."""
    parts = resource_id.split("_")
    zone = parts[0] if len(parts) > 1 else ""
    if len(parts) >= 3:
        for index, part in enumerate(parts[1:], start=1):
            if part in RR_TYPES:
                if index > 1:
                    name = "_".join(parts[1:index]).removesuffix(".")
                    return zone, name, part, "_".join(parts[index + 1 :])
                break
    return zone, "", "", ""


def to_api_value(value: str, type_: str) -> str:
    """flattenTxtEntry: each TXT/SPF value is sent as one quoted string. A value holding `""`
    (255-character chunks of a DKIM key) thus reaches Route 53 as several strings of ONE record."""
    return f'"{value}"' if type_ in _TXT_TYPES else value


def from_api_value(value: str, type_: str) -> str:
    """expandTxtEntry: only the outermost quotes come off; inner `""` separators stay."""
    if type_ in _TXT_TYPES and len(value) > 1 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return value
