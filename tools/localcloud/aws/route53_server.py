"""A local Route 53: moto's server on loopback, its hosted zones seeded with fixed ids.

    python -m tools.localcloud.aws.route53_server --port 0 --zone Z0EXAMPLESTAGING01=example.com

prints `listening on http://127.0.0.1:<port>` once it accepts connections and serves until
SIGTERM (or SIGINT). Record changes follow Route 53's rules (`route53_rules`), so what the
provider reads back is what Route 53 would answer.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import boto3
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.route53.models import FakeZone, HostedZoneIdentifier, route53_backends
from moto.server import ThreadedMotoServer
from moto.utilities.id_generator import moto_id_manager

from tools.localcloud.aws import route53_rules

LOOPBACK = "127.0.0.1"


def seed_zone(zone_id: str, domain: str) -> FakeZone:
    """A public hosted zone for `domain` whose id is exactly `zone_id`.

    Stack files name existing zones by id (Z0EXAMPLESTAGING01), but moto's CreateHostedZone
    makes one up. Its id manager hands out a registered custom id instead: register ours for
    this one creation (NS and SOA sets included, as for any new zone), then drop it again so a
    second zone of the same name gets its own id.
    """
    account = os.environ.get("MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT_ID)
    backend = route53_backends[account]["aws"]
    if zone_id in backend.zones:
        raise ValueError(f"hosted zone {zone_id} is already seeded")
    name = f"{domain.lower().rstrip('.')}."  # Route 53 stores names in lower case
    identifier = HostedZoneIdentifier(account, name, None)
    moto_id_manager.set_custom_id(identifier, zone_id)
    try:
        return backend.create_hosted_zone(name, private_zone=False)
    finally:
        moto_id_manager.unset_custom_id(identifier)


def parse_zone(spec: str) -> tuple[str, str]:
    """`ZONE_ID=domain.name` -> (zone id, domain)."""
    zone_id, sep, domain = spec.partition("=")
    if not (sep and zone_id and domain):
        raise argparse.ArgumentTypeError(f"expected ZONE_ID=domain.name, got {spec!r}")
    return zone_id, domain


def client(url: str) -> Any:
    """A boto3 Route 53 client for a server at `url`, to look at what it holds (it accepts
    any credentials; these are fixed so that no developer's own AWS config is picked up)."""
    return boto3.client(
        "route53",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 (not a credential: moto accepts any)
    )


@contextmanager
def running_server(port: int = 0, zones: Sequence[tuple[str, str]] = ()) -> Iterator[str]:
    """Serve on loopback until the block ends; yields the endpoint URL."""
    route53_rules.install()
    for zone_id, domain in zones:
        seed_zone(zone_id, domain)
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=port, verbose=False)
    server.start()
    try:
        host, bound_port = server.get_host_and_port()
        yield f"http://{host}:{bound_port}"
    finally:
        server.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--zone", type=parse_zone, action="append", default=[], metavar="ZONE_ID=DOMAIN"
    )
    args = parser.parse_args(argv)
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    with running_server(args.port, args.zone) as url:
        print(f"listening on {url}", flush=True)
        stopping.wait()


if __name__ == "__main__":
    main()
