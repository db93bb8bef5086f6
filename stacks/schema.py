"""Typed schema of a stack's platform config (`edge-platform:platform` in Pulumi.<stack>.yaml).

Field names are camelCase in YAML (Pulumi's convention) and snake_case here. Unknown keys are
errors. Cross-references (a binding naming a queue, a service binding naming a worker) are
checked later by `stacks.topology`, once every field has the right shape.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

# Cloudflare Queues consumer limits, from developers.cloudflare.com/queues/platform/limits and
# the Queues error codes page (BatchDelayInvalid: 1..86400 s). Checked before any deploy so a bad
# value fails here, not half-way through `pulumi up`.
MAX_BATCH_SIZE = 100
MAX_RETRIES = 100
MAX_RETRY_DELAY_SECONDS = 86_400
MAX_WAIT_TIME_MS = 60_000
MAX_CONCURRENCY = 250

# A logical name (config key): what the resource is called in config and in Pulumi URNs.
LOGICAL_NAME = r"^[a-z][a-z0-9-]{0,62}$"
JS_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
HEX_ID = r"^[0-9a-f]{32}$"
SECRET_NAME = r"^[A-Z][A-Z0-9_]*$"  # noqa: S105 (the pattern of a secret's name)
CONFIG_KEY_NAME = r"^[A-Za-z][A-Za-z0-9]*$"
DOMAIN = r"^[a-z0-9-]+(\.[a-z0-9-]+)+$"
HOSTED_ZONE_ID = r"^Z[A-Z0-9]{5,31}$"
SERVER_PREFIX = r"^[a-z][a-z0-9]*$"
HTTPS_URL = r"^https://"
SHA256_HEX = r"^[0-9a-f]{64}$"
URL_PATH = r"^/[^\s?#]*$"

PATTERN_HINTS = {
    LOGICAL_NAME: "1 to 63 lowercase letters, digits and hyphens, starting with a letter "
    "(e.g. mail-state)",
    HEX_ID: "32 lowercase hexadecimal characters, as the Cloudflare dashboard shows the id",
    SECRET_NAME: "upper-case letters, digits and underscores, starting with a letter "
    "(e.g. RESEND_API_KEY)",
    CONFIG_KEY_NAME: "letters and digits, starting with a letter, as a stack config key "
    "(e.g. resendApiKey)",
    DOMAIN: "a lowercase domain name such as mail.example.com",
    HOSTED_ZONE_ID: "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ",
    SERVER_PREFIX: "lowercase letters and digits, starting with a letter (e.g. edge)",
    HTTPS_URL: "an https:// URL",
    SHA256_HEX: "64 lowercase hexadecimal characters, as `sha256sum` prints them",
    URL_PATH: "a path starting with / without spaces, query or fragment (e.g. /health)",
}
"""What each pattern means, in the words of the error a user reads (never the regex)."""


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    if value != value.strip():
        raise ValueError(f"{value!r} has spaces at its start or end; remove them")
    return value


def _calendar_date(value: str) -> str:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(f"{value!r} is not a date of the form YYYY-MM-DD (e.g. 2025-09-01)")
    try:
        date.fromisoformat(value)
    except ValueError as err:
        raise ValueError(
            f"'{value}' is not a real date ({err}); use a day that exists, as YYYY-MM-DD"
        ) from None
    return value


Name = Annotated[str, AfterValidator(_not_blank)]
"""A name that must not be empty nor start or end with spaces."""
CompatibilityDate = Annotated[str, AfterValidator(_calendar_date)]


class Strict(BaseModel):
    """Base for every config model: camelCase keys, unknown keys rejected."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class KvNamespaceSpec(Strict):
    """A Workers KV namespace. Its title is the logical name plus the environment suffix."""


class D1DatabaseSpec(Strict):
    location_hint: Literal["wnam", "enam", "weur", "eeur", "apac", "oc"] | None = None
    """Primary location hint. Changing it replaces (empties) the database."""
    read_replication: Literal["auto", "disabled"] = "disabled"
    """Always sent explicitly: an omitted value drifts on refresh (cf-tf #6309)."""


class QueueSpec(Strict):
    dead_letter_queue: Annotated[str, Field(pattern=LOGICAL_NAME)] | None = None
    """Logical name of this queue's dead-letter queue, created with it. Required if consumed."""


class SecretsStoreSpec(Strict):
    """Exactly one of `id` (an existing store, e.g. the account's default) or `name` (create)."""

    id: Annotated[str, Field(pattern=HEX_ID)] | None = None
    name: Name | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretsStoreSpec:
        if (self.id is None) == (self.name is None):
            raise ValueError("set exactly one of `id` (existing store) or `name` (store to create)")
        return self


class SecretSpec(Strict):
    config_key: Annotated[str, Field(pattern=CONFIG_KEY_NAME)]
    """Stack config key holding the value, set with `pulumi config set --secret <key>`."""
    scopes: list[Literal["workers", "ai_gateway"]] = ["workers"]


class ConsumerSpec(Strict):
    """A worker consuming a queue. Limits per Cloudflare's documented Queues limits."""

    queue: Name
    batch_size: Annotated[int, Field(ge=1, le=MAX_BATCH_SIZE)] = 10
    max_retries: Annotated[int, Field(ge=0, le=MAX_RETRIES)] = 3
    retry_delay_seconds: Annotated[int, Field(ge=0, le=MAX_RETRY_DELAY_SECONDS)] = 0
    max_wait_time_ms: Annotated[int, Field(ge=0, le=MAX_WAIT_TIME_MS)] = 5_000
    max_concurrency: Annotated[int, Field(ge=1, le=MAX_CONCURRENCY)] | None = None


BINDING_KINDS = (
    "service",
    "kv",
    "d1",
    "queue",
    "secret",
    "dispatch_namespace",
    "text",
    "secret_text",
)


class BindingSpec(Strict):
    """One binding; exactly one kind key says what it points at.

    service: a worker's script name (declared or external); kv / d1 / queue / dispatchNamespace:
    a logical name declared in this stack; secret: a Secrets Store secret declared in `secrets`;
    text: a plain value; secretText: a stack config key set with `--secret`.
    """

    name: Name
    service: Name | None = None
    entrypoint: Name | None = None
    kv: Name | None = None
    d1: Name | None = None
    queue: Name | None = None
    secret: Name | None = None
    dispatch_namespace: Name | None = None
    text: str | None = None
    secret_text: Name | None = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> BindingSpec:
        kinds = [k for k in BINDING_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            keys = ", ".join(to_camel(k) for k in BINDING_KINDS)
            found = ", ".join(to_camel(k) for k in kinds) or "none"
            raise ValueError(f"binding needs exactly one of: {keys} (found: {found})")
        if self.entrypoint is not None and self.service is None:
            raise ValueError("`entrypoint` only applies to a `service` binding")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in BINDING_KINDS if getattr(self, k) is not None)

    @property
    def target(self) -> str:
        return getattr(self, self.kind)


class CustomDomainSpec(Strict):
    hostname: str
    zone_id: Annotated[str, Field(pattern=HEX_ID)]


RELEASE_DIR = "bundles"
"""Where a release asset is placed: `bundles/<release>/<asset>` (deploy.yml fetches it there)."""


class BundleSpec(Strict):
    """A worker's code, pinned: where its bytes come from and their SHA-256.

    Exactly one source: `path` (a file in the repository, relative to the project directory) or
    `release` + `asset` (an asset of a tagged release of the worker's repository, fetched by
    its tag into `bundles/<release>/<asset>`). The commit is the deployment: nothing deploys
    bytes whose hash is not the pin.
    """

    path: Name | None = None
    release: Name | None = None
    asset: Name | None = None
    sha256: Annotated[str, Field(pattern=SHA256_HEX)]

    @model_validator(mode="after")
    def _one_source(self) -> BundleSpec:
        if self.path is not None and (self.release is not None or self.asset is not None):
            raise ValueError(
                "set either `path` (a file in the repository) or `release` and `asset` "
                "(a release asset), not both"
            )
        if self.path is None and (self.release is None or self.asset is None):
            missing = (
                "`release` and `asset`"
                if self.release is None and self.asset is None
                else ("`asset`" if self.asset is None else "`release`")
            )
            raise ValueError(
                f"needs `path` (a file in the repository) or `release` and `asset`; "
                f"{missing} missing"
            )
        if self.asset is not None and ("/" in self.asset or self.asset in (".", "..")):
            raise ValueError(f"asset '{self.asset}' must be a file name, without '/'")
        return self

    @property
    def file(self) -> str:
        """Where the bytes are, relative to the project directory."""
        if self.path is not None:
            return self.path
        return f"{RELEASE_DIR}/{self.release}/{self.asset}"

    @property
    def source(self) -> str:
        """The pin's source in a reader's words: `path examples/auth.js`, `release v1.4.2`."""
        if self.path is not None:
            return f"path {self.path}"
        return f"release {self.release} ({self.asset})"

    def __str__(self) -> str:
        return self.file


def _pinned_bundle(value: object) -> object:
    if isinstance(value, str):
        raise ValueError(
            f"an unpinned bundle ('{value}') is refused: pin its bytes, e.g. "
            f"`bundle: {{path: {value}, sha256: <sha256sum of the file>}}`, or a release "
            "asset: `bundle: {release: v1.4.2, asset: auth.js, sha256: <its sha256>}`"
        )
    return value


class SmokeCheckSpec(Strict):
    """A post-deploy smoke check (`python -m plan verify`): GET `path`, expect `status` (and
    `bodyContains` in the body). Connection errors, timeouts and 5xx answers are retried."""

    path: Annotated[str, Field(pattern=URL_PATH)]
    status: Annotated[int, Field(ge=100, le=599)] = 200
    body_contains: Annotated[str, Field(min_length=1)] | None = None
    timeout_seconds: Annotated[int, Field(ge=1, le=60)] = 5
    retries: Annotated[int, Field(ge=0, le=10)] = 2


MAX_PERCENTAGE = 100


def _two_decimals(value: float) -> float:
    if round(value, 2) != value:
        raise ValueError(f"{value} has more than two decimals; Cloudflare splits by 0.01%")
    return value


def _a_number(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{value!r} is not a number; give a percentage from 0 to 100 (e.g. 10)")
    return value


Percentage = Annotated[
    float,
    Field(ge=0, le=MAX_PERCENTAGE),
    BeforeValidator(_a_number),
    AfterValidator(_two_decimals),
]


def _no_script_name(value: object) -> object:
    if isinstance(value, dict):
        for key in ("scriptName", "script_name", "name"):
            if key in value:
                raise ValueError(
                    f"`{key}` cannot be set on a candidate: a candidate is another version of "
                    "the same worker, so it keeps the worker's script name; declare a new "
                    "worker to deploy under another name"
                )
    return value


class CandidateSpec(Strict):
    """A second version of a worker that takes `percentage` of its traffic (a gradual rollout).

    It is the stable version with `bundle` (if given) instead of the stable bundle, each binding
    of `bindings` added or replacing the stable binding of the same name, and the bindings named
    in `removeBindings` removed (a removal is never implied). 0 uploads the version without
    sending it traffic; 100 sends it everything (the stable version stays uploaded).
    Promote by moving its settings into the worker and deleting `candidate`; roll back by
    deleting `candidate` (the deployment returns to 100% stable, nothing is uploaded).
    """

    percentage: Percentage
    bundle: Annotated[BundleSpec, BeforeValidator(_pinned_bundle)] | None = None
    bindings: list[BindingSpec] = []
    remove_bindings: list[Name] = []


class WorkerSpec(Strict):
    """A worker this program owns: its code (a bundle built elsewhere) and all its bindings."""

    bundle: Annotated[BundleSpec, BeforeValidator(_pinned_bundle)]
    """The pinned bundle: its source and SHA-256."""
    main_module: Name = "index.js"
    compatibility_date: CompatibilityDate
    compatibility_flags: list[Name] = []
    bindings: list[BindingSpec] = []
    consumes: list[ConsumerSpec] = []
    custom_domains: list[CustomDomainSpec] = []
    smoke: list[SmokeCheckSpec] = []
    """Checks `python -m plan verify` runs against the deployed worker; nothing deploys them."""
    candidate: Annotated[CandidateSpec, BeforeValidator(_no_script_name)] | None = None
    """A version rolled out to a share of the traffic next to this (stable) one."""

    def version_key(self, sha256: str, bindings: list[BindingSpec]) -> str:
        """A digest of what makes a version of this worker (code, settings, bindings as
        declared, in any order): equal keys are the same version, so a candidate promoted to
        stable keeps its key, hence its resource and its Cloudflare version."""
        made_of = {
            "sha256": sha256,
            "mainModule": self.main_module,
            "compatibilityDate": self.compatibility_date,
            "compatibilityFlags": sorted(self.compatibility_flags),
            "bindings": sorted(
                (b.model_dump(by_alias=True, exclude_none=True) for b in bindings),
                key=lambda b: b["name"],
            ),
        }
        return hashlib.sha256(json.dumps(made_of, sort_keys=True).encode()).hexdigest()[:10]

    def stable_key(self) -> str:
        return self.version_key(self.bundle.sha256, list(self.bindings))

    def candidate_key(self) -> str | None:
        if self.candidate is None:
            return None
        bundle = self.candidate.bundle or self.bundle
        return self.version_key(bundle.sha256, self.candidate_bindings())

    def candidate_bindings(self) -> list[BindingSpec]:
        """The candidate's bindings: the stable ones, replaced or added by name, less removals."""
        if self.candidate is None:
            return list(self.bindings)
        replaced = {b.name: b for b in self.candidate.bindings}
        removed = set(self.candidate.remove_bindings)
        kept = [replaced.pop(b.name, b) for b in self.bindings if b.name not in removed]
        return kept + [b for b in self.candidate.bindings if b.name in replaced]


class TenantScriptSpec(Strict):
    """A tenant script uploaded into a dispatch namespace by the tenant pipeline.

    Listed so its bindings can be checked; this program does not upload tenant code.
    """

    bindings: list[BindingSpec] = []


class DispatchNamespaceSpec(Strict):
    tenant_scripts: dict[Annotated[str, Field(pattern=LOGICAL_NAME)], TenantScriptSpec] = {}


class DmarcSpec(Strict):
    policy: Literal["none", "quarantine", "reject"] = "none"
    rua: Name | None = None
    """Aggregate report address, e.g. mailto:dmarc@example.com."""


class WebhookSpec(Strict):
    worker: Name
    """Logical name of the worker that receives the events (deployed before the webhook, since
    Postmark test-posts to the URL when the webhook is saved)."""
    url: Annotated[str, Field(pattern=HTTPS_URL)]
    bearer_config_key: Annotated[str, Field(pattern=CONFIG_KEY_NAME)]
    """Stack config key (set with --secret) of the bearer the mail worker expects."""


class MailSpec(Strict):
    """The sending domain: Postmark server and domain, Route 53 records, verification."""

    sending_domain: Annotated[str, Field(pattern=DOMAIN)]
    hosted_zone_id: Annotated[str, Field(pattern=HOSTED_ZONE_ID)]
    server_prefix: Annotated[str, Field(pattern=SERVER_PREFIX)]
    return_path_subdomain: Name = "pm-bounces"
    dmarc: DmarcSpec = DmarcSpec()
    spf: bool = False
    inbound_mx: bool = False
    adopt_existing_server: bool = False
    """Adopt a Postmark server that already has this stack's server name (created by hand or
    by an earlier tool) instead of failing on the name conflict. Dynamic-provider resources
    cannot be `pulumi import`ed; this is how they are brought under management."""
    verification_timeout_seconds: Annotated[int, Field(ge=1, le=3600)] = 600
    """How long `pulumi up` waits for Postmark to verify the DNS records (the verification
    provider rejects 0)."""
    webhook: WebhookSpec | None = None
    server_token_secret: Annotated[str, Field(pattern=SECRET_NAME)] | None = None
    """Secrets Store secret the stack fills with the Postmark server's API token; workers bind it
    like any other secret (`secret: <this name>`)."""


Environment = Literal["staging", "prod"]


class PlatformSpec(Strict):
    """The whole platform of one stack."""

    environment: Environment
    account_id: Annotated[str, Field(pattern=HEX_ID)]
    protect_stateful: bool = True
    """Protect stateful resources. Prod always protects; staging follows this flag."""
    kv_namespaces: dict[Annotated[str, Field(pattern=LOGICAL_NAME)], KvNamespaceSpec] = {}
    d1_databases: dict[Annotated[str, Field(pattern=LOGICAL_NAME)], D1DatabaseSpec] = {}
    queues: dict[Annotated[str, Field(pattern=LOGICAL_NAME)], QueueSpec] = {}
    secrets_store: SecretsStoreSpec | None = None
    secrets: dict[Annotated[str, Field(pattern=SECRET_NAME)], SecretSpec] = {}
    dispatch_namespaces: dict[
        Annotated[str, Field(pattern=LOGICAL_NAME)], DispatchNamespaceSpec
    ] = {}
    external_workers: list[Name] = []
    """Script names of workers owned elsewhere that bindings may target."""
    workers: dict[Annotated[str, Field(pattern=LOGICAL_NAME)], WorkerSpec] = {}
    mail: MailSpec | None = None
