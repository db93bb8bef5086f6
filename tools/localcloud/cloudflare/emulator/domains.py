"""Workers custom domains and the (seeded, read-only) zones they live in."""

from __future__ import annotations

from tools.localcloud.cloudflare import rules
from tools.localcloud.cloudflare.emulator import errors, fields
from tools.localcloud.cloudflare.emulator.routing import Reply, Request, Router
from tools.localcloud.cloudflare.emulator.scripts import script_of
from tools.localcloud.cloudflare.emulator.state import Account, State, hex_id, lookup

DOMAINS = "/accounts/{account_id}/workers/domains"


def register(router: Router) -> None:
    router.route("PUT", DOMAINS)(attach_domain)
    router.route("GET", DOMAINS)(list_domains)
    router.route("GET", DOMAINS + "/{domain_id}")(get_domain)
    router.route("DELETE", DOMAINS + "/{domain_id}")(detach_domain)
    router.route("GET", "/zones")(list_zones)
    router.route("GET", "/zones/{zone_id}")(get_zone)


def _zone_for(state: State, account: Account, hostname: str, body: dict) -> dict:
    zone_id, zone_name = body.get("zone_id"), body.get("zone_name")
    if zone_id or zone_name:
        zone = state.zone(zone_id=zone_id, name=zone_name)
        if zone is None:
            raise errors.ApiError(404, 100118, f"zone '{zone_id or zone_name}' not found")
    else:
        candidates = [z for z in state.zones.values() if _within(hostname, z["name"])]
        if not candidates:
            raise errors.ApiError(404, 100118, f"no zone of this account holds '{hostname}'")
        zone = max(candidates, key=lambda z: len(z["name"]))
    if zone["account"]["id"] not in (None, account.id):
        raise errors.ApiError(403, 100118, f"zone '{zone['id']}' belongs to another account")
    if not _within(hostname, zone["name"]):
        raise errors.bad_request(f"hostname '{hostname}' is not within zone '{zone['name']}'")
    return zone


def _within(hostname: str, zone_name: str) -> bool:
    return hostname == zone_name or hostname.endswith("." + zone_name)


def _domain(account: Account, domain_id: str) -> dict:
    return lookup(account.custom_domains, domain_id, "custom domain", 100114)


def attach_domain(request: Request, account: Account) -> Reply:
    body = request.json_object()
    hostname = fields.required_str(body, "hostname").lower()
    if "*" in hostname:
        raise errors.wildcard_custom_domain()
    if not rules.HOSTNAME.match(hostname):
        raise errors.bad_request(f"'{hostname}' is not a valid hostname")
    service = fields.required_str(body, "service")
    script_of(account, service)
    zone = _zone_for(request.state, account, hostname, body)
    environment = fields.optional_str(body, "environment") or "production"
    existing = next((d for d in account.custom_domains.values() if d["hostname"] == hostname), None)
    if existing and existing["service"] != service:
        raise errors.hostname_taken(hostname)
    domain = existing or {"id": hex_id(), "cert_id": hex_id()}
    domain.update(
        hostname=hostname,
        service=service,
        environment=environment,
        zone_id=zone["id"],
        zone_name=zone["name"],
    )
    account.custom_domains[domain["id"]] = domain
    return 200, domain


def list_domains(request: Request, account: Account) -> Reply:
    return 200, list(account.custom_domains.values())


def get_domain(request: Request, account: Account, domain_id: str) -> Reply:
    return 200, _domain(account, domain_id)


def detach_domain(request: Request, account: Account, domain_id: str) -> Reply:
    _domain(account, domain_id)
    del account.custom_domains[domain_id]
    return 200, None


def list_zones(request: Request) -> Reply:
    name = request.query.get("name")
    zones = request.state.zones.values()
    return 200, [z for z in zones if name is None or z["name"] == name]


def get_zone(request: Request, zone_id: str) -> Reply:
    zone = request.state.zone(zone_id=zone_id)
    if zone is None:
        raise errors.no_route(f"/client/v4/zones/{zone_id}")
    return 200, zone
