"""One local cloud for a real-engine run: emulators on loopback, plugins, a throwaway backend.

    with LocalCloud(workdir, [read_facts(project, "staging")]) as cloud:
        env = cloud.env()                  # PULUMI_HOME, backend, passphrase, Postmark
        config = cloud.provider_config()   # cloudflare:baseUrl, aws:endpoints, ...

Everything lives under `workdir` (PULUMI_HOME with the emulated `cloudflare` and `aws` provider
plugins, the file backend, the emulators' logs); every process is stopped when the block ends.
"""

from __future__ import annotations

import json
import secrets
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

from tools.localcloud import engine
from tools.localcloud.aws import plugin as aws_plugin
from tools.localcloud.aws.route53_server import client as route53_client
from tools.localcloud.cloudflare import plugin as cloudflare_plugin
from tools.localcloud.facts import StackFacts
from tools.localcloud.postmark_server import FakePostmark
from tools.localcloud.processes import Service, listening_service

AWS_REGION = "us-east-1"


@dataclass(frozen=True)
class Credentials:
    """Throwaway credentials of the emulated accounts: secret all the same (never printed)."""

    cloudflare_token: str
    aws_secret_key: str
    passphrase: str

    @classmethod
    def generate(cls) -> Credentials:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        token = "".join(secrets.choice(alphabet) for _ in range(40))
        return cls(token, secrets.token_hex(20), secrets.token_hex(16))

    def all(self) -> list[str]:
        return [self.cloudflare_token, self.aws_secret_key, self.passphrase]


class LocalCloud:
    def __init__(self, workdir: Path, stacks: list[StackFacts], python: str = sys.executable):
        self.workdir = workdir
        self.stacks = stacks
        self.python = python
        self.credentials = Credentials.generate()
        self.pulumi_home = workdir / "pulumi-home"
        self.backend = workdir / "backend"
        self.logs = workdir / "logs"
        self.postmark = FakePostmark()
        self.cloudflare: Service | None = None
        self.route53: Service | None = None
        self._exit = ExitStack()

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> LocalCloud:
        try:
            self._start()
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._exit.close()

    def _start(self) -> None:
        for d in (self.pulumi_home, self.backend, self.logs):
            d.mkdir(parents=True, exist_ok=True)
        project = engine.PROJECT_DIR
        self._exit.enter_context(self.postmark)
        seed = self.workdir / "cloudflare-seed.json"
        seed.write_text(json.dumps(self._cloudflare_seed(), indent=2))
        token_file = self.workdir / "cloudflare-token"
        token_file.write_text(self.credentials.cloudflare_token)
        token_file.chmod(0o600)
        self.cloudflare = self._exit.enter_context(
            listening_service(
                "cloudflare-emulator",
                [
                    "tools.localcloud.cloudflare.api",
                    "--port",
                    "0",
                    "--seed",
                    str(seed),
                    "--token-file",
                    str(token_file),
                ],
                log=self.logs / "cloudflare-emulator.log",
                cwd=project,
                python=self.python,
            )
        )
        zones = [
            f"{s.hosted_zone_id}={s.hosted_zone_domain}" for s in self.stacks if s.hosted_zone_id
        ]
        self.route53 = self._exit.enter_context(
            listening_service(
                "route53-emulator",
                [
                    "tools.localcloud.aws.route53_server",
                    "--port",
                    "0",
                    *[arg for z in zones for arg in ("--zone", z)],
                ],
                log=self.logs / "route53-emulator.log",
                cwd=project,
                python=self.python,
            )
        )
        pulumi = engine.pulumi_bin()
        for plugin in (cloudflare_plugin, aws_plugin):
            plugin.install(pulumi, self.pulumi_home, project, Path(self.python))
        self._deploy_external_workers()

    def _cloudflare_seed(self) -> dict:
        accounts: dict[str, dict] = {}
        for s in self.stacks:
            account = accounts.setdefault(s.account_id, {"id": s.account_id, "secrets_stores": []})
            if s.secrets_store_id and s.secrets_store_id not in account["secrets_stores"]:
                account["secrets_stores"].append(s.secrets_store_id)
        return {"accounts": list(accounts.values())}

    def _deploy_external_workers(self) -> None:
        """External workers are deployed by their own team: upload a stub of each."""
        for s in self.stacks:
            for name in s.external_workers:
                self.cloudflare_api(
                    "PUT",
                    f"/accounts/{s.account_id}/workers/scripts/{name}",
                    files={
                        "metadata": (
                            None,
                            json.dumps({"main_module": "index.js"}),
                            "application/json",
                        ),
                        "index.js": (
                            "index.js",
                            b"export default { fetch() { return new Response('stub'); } };",
                            "application/javascript+module",
                        ),
                    },
                )

    # -- what runs need ------------------------------------------------------------------------

    def _cloudflare_request(self, method: str, path: str, **kwargs) -> httpx.Response:
        assert self.cloudflare is not None
        return httpx.request(
            method,
            f"{self.cloudflare.url}{path}",
            headers={"Authorization": f"Bearer {self.credentials.cloudflare_token}"},
            timeout=30,
            **kwargs,
        )

    def cloudflare_api(self, method: str, path: str, **kwargs) -> dict:
        body = self._cloudflare_request(method, f"/client/v4{path}", **kwargs).json()
        if not body.get("success"):
            raise RuntimeError(f"cloudflare emulator: {method} {path}: {body.get('errors')}")
        return body

    def cloudflare_state(self) -> dict:
        """What the Cloudflare emulator holds (write-only values left out)."""
        response = self._cloudflare_request("GET", "/__emulator/state")
        response.raise_for_status()
        return response.json()

    def _facts(self, stack: str) -> StackFacts:
        return next(s for s in self.stacks if s.stack == stack)

    def _account(self, stack: str) -> dict:
        return self.cloudflare_state()["accounts"][self._facts(stack).account_id]

    @staticmethod
    def _of_worker(account: dict, name: str, kind: str) -> list[dict]:
        """The account's `kind` records (versions, deployments) of worker `name`."""
        tags = [s["tag"] for s in account["scripts"] if s["id"] == name]
        if not tags:
            raise KeyError(f"no worker '{name}' in the emulated account")
        return [r for r in account[kind] if r["worker_tag"] == tags[0]]

    def script(self, stack: str, name: str) -> dict:
        """The script `name` as uploaded to the stack's account."""
        return next(s for s in self._account(stack)["scripts"] if s["id"] == name)

    def versions(self, stack: str, name: str) -> list[dict]:
        """Every version uploaded of worker `name`, oldest first (kept until the worker is
        deleted: removing a WorkerVersion from a stack deletes nothing)."""
        found = self._of_worker(self._account(stack), name, "versions")
        return sorted(found, key=lambda v: v["number"])

    def deployments(self, stack: str, name: str) -> list[dict]:
        """Every deployment of worker `name`, oldest first (kept like versions)."""
        found = self._of_worker(self._account(stack), name, "deployments")
        return sorted(found, key=lambda d: d["created_on"])

    def live_split(self, stack: str, name: str) -> list[tuple[dict, float]]:
        """The newest deployment of worker `name`: (version, percentage) of each version."""
        account = self._account(stack)
        deployments = sorted(
            self._of_worker(account, name, "deployments"), key=lambda d: d["created_on"]
        )
        if not deployments:
            return []
        by_id = {v["id"]: v for v in self._of_worker(account, name, "versions")}
        return [(by_id[v["version_id"]], v["percentage"]) for v in deployments[-1]["versions"]]

    def inventory(self, stack: str) -> dict[str, list]:
        """What a stack made in the local cloud: everything but what was seeded before it."""
        facts = self._facts(stack)
        account = self.cloudflare_state()["accounts"][facts.account_id]
        cloudflare = sorted(
            (kind, item.get("id") or item.get("queue_id") or item.get("uuid"))
            for kind, items in account.items()
            if isinstance(items, list) and kind != "secrets_stores"
            for item in items
            if not (kind == "scripts" and item.get("id") in facts.external_workers)
        )
        if facts.secrets_store_id is None:  # the stack creates its own store
            cloudflare += sorted(("secrets_stores", st["id"]) for st in account["secrets_stores"])
        records: list = []
        if facts.hosted_zone_id:
            assert self.route53 is not None
            listed = route53_client(self.route53.url).list_resource_record_sets(
                HostedZoneId=facts.hosted_zone_id
            )["ResourceRecordSets"]
            records = sorted(
                (r["Name"], r["Type"]) for r in listed if r["Type"] not in ("NS", "SOA")
            )
        servers = sorted(server["Name"] for server in self.postmark.servers.values())
        return {"cloudflare": cloudflare, "postmark_servers": servers, "route53": records}

    def env(self) -> dict[str, str]:
        env = engine.engine_env(self.pulumi_home, self.backend, self.credentials.passphrase)
        env.update(self.postmark.env())
        # The emulated aws provider refuses to run without an endpoint; these never reach AWS.
        env.update(
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": self.credentials.aws_secret_key,
                "AWS_REGION": AWS_REGION,
            }
        )
        return env

    def provider_config(self) -> dict[str, tuple[str, bool]]:
        """Stack config that points the providers at the emulators: key -> (value, secret).

        Keys are config paths (`pulumi config set --path`), as a user would set them for the
        real providers."""
        assert self.cloudflare is not None and self.route53 is not None
        return {
            "cloudflare:baseUrl": (f"{self.cloudflare.url}/client/v4", False),
            "cloudflare:apiToken": (self.credentials.cloudflare_token, True),
            "aws:region": (AWS_REGION, False),
            "aws:endpoints[0].route53": (self.route53.url, False),
            "aws:skipCredentialsValidation": ("true", False),
            "aws:skipRequestingAccountId": ("true", False),
            "aws:skipMetadataApiCheck": ("true", False),
            "aws:skipRegionValidation": ("true", False),
        }

    def secret_values(self) -> list[str]:
        """Every credential of this cloud, for canary checks."""
        return [*self.credentials.all(), self.postmark.account_token]
