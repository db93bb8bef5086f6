"""Turn raw stack config into a validated platform, or one error listing every problem.

Nothing here touches Pulumi resources: the same function serves `pulumi up` (through
`stacks.program`) and the offline plan, so both reject exactly the same configs.
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import os
import types
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from stacks import topology
from stacks.errors import CONFIG_KEY, ConfigError, Problem
from stacks.schema import PATTERN_HINTS, BundleSpec, PlatformSpec
from stacks.stack_file import describe

MissingBundles = Literal["error", "unknown"]
MissingSecrets = Literal["error", "unknown"]

NAMESPACE, PLATFORM = CONFIG_KEY.split(":", 1)

# Cloudflare's Worker size limits (developers.cloudflare.com/workers/platform/limits): 10 MB
# after gzip on the Workers Paid plan (3 MB on Free), 64 MB before compression. A bundle is read
# at most up to the uncompressed limit, and gzipped only when its raw size could exceed the
# compressed one.
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
MAX_BUNDLE_GZIP_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Bundle:
    path: Path
    """Absolute path, for reading and hashing here."""
    content_file: str
    """The path handed to the provider: relative to the project directory (the provider runs
    there), so that state does not change with the checkout's location (a laptop vs a CI
    runner). Bundles outside the project directory are refused."""
    sha256: str
    """The pinned SHA-256 (`workers.<name>.bundle.sha256`); the bytes on disk, when present,
    were checked against it."""
    present: bool = True
    """False when the bundle is not fetched or built yet and the caller accepts that (plan and
    preview only): the pin is still known, the bytes are not."""
    where: str = ""
    """The key path of the pin (`workers.auth.bundle`), for errors."""


@dataclass(frozen=True)
class LoadedPlatform:
    stack: str
    spec: PlatformSpec
    bundles: dict[str, Bundle]
    unset_secrets: list[str] = field(default_factory=list)
    """Secret config keys the platform names that are not set (only with
    `missing_secrets="unknown"`): their values are unknown secrets in the plan."""

    def unset_secret_note(self, key: str) -> str:
        """The warning of a plan or preview about a secret config key that is not set."""
        return (
            f"config key '{key}' is not set, so its value is unknown in this plan; set it with "
            f"{set_secret_command(key, self.stack)} before `pulumi up`"
        )


@dataclass(frozen=True)
class ConfigKey:
    """What the program knows of a stack config key that should hold a secret."""

    present: bool
    secret: bool


def unset_secret_message(key: str, stack: str) -> str:
    return f"config key '{key}' is not set; set it with {set_secret_command(key, stack)}"


def set_secret_command(key: str, stack: str) -> str:
    return f"`pulumi config set --secret {key} -s {stack}`"


def load(
    stack: str,
    raw: Any,
    *,
    project_dir: Path,
    config_key: Callable[[str], ConfigKey],
    missing_bundles: MissingBundles = "error",
    missing_secrets: MissingSecrets = "error",
    config_keys: Collection[str] = (),
    platform_secret: bool = False,
) -> LoadedPlatform:
    """Validate `raw` (the `platform` config object) completely or raise ConfigError.

    config_keys: every stack config key that is set, fully qualified (`edge-platform:platform`,
    `aws:region`), to name a misspelt key. platform_secret: the runtime marks the platform key
    secret, i.e. the CLI decrypted a secure value inside it (refused). missing_secrets: "error"
    reports a secret config key that is not set; "unknown" accepts it and lists it in
    `unset_secrets` (plan and preview).
    """
    if raw is None:
        raise ConfigError(stack, [_missing_platform(stack, config_keys)])
    # Refused before anything reads it: the program reads the platform object as plain data,
    # so a secret inside it would be handled (and shown in plans) as clear text.
    secure = [Problem(path, _secure_inside(stack)) for path in _secure_paths(raw, ())]
    if not secure and platform_secret:  # the CLI decrypted it already: where is unknown
        secure = [Problem("", _secure_inside(stack))]
    if secure:
        raise ConfigError(stack, secure)
    try:
        spec = PlatformSpec.model_validate(raw)
    except ValidationError as err:
        problems = [_from_pydantic(e) for e in err.errors()]
        problems += _unknown_config_keys(None, config_keys, config_key)
        raise ConfigError(stack, problems) from None

    problems: list[Problem] = []
    if spec.environment != stack:
        # One problem, not one per name: which side is wrong (the key or the stack selected)
        # is for the user to say, so the names are not checked against either until they agree.
        problems.append(
            Problem(
                "environment",
                f"is '{spec.environment}' but the stack is '{stack}'; they must match: set "
                f"`environment: {stack}`, or select the stack this file is for",
            )
        )
        problems += topology.check(spec, names=False)
    else:
        problems += topology.check(spec)
    problems += _unknown_config_keys(spec, config_keys, config_key)
    unset_problems, plain_problems, unset = _secret_config_keys(
        spec, stack, config_key, config_keys
    )
    problems += plain_problems  # a secret in plain text is an error wherever it is read
    if missing_secrets == "error":
        problems += unset_problems
    bundles, bundle_problems = _bundles(spec, project_dir, missing_bundles)
    problems += bundle_problems
    if problems:
        raise ConfigError(stack, problems)
    return LoadedPlatform(stack=stack, spec=spec, bundles=bundles, unset_secrets=unset)


# --- the platform key itself, and other keys of the project's namespace -------------------------


def _secure_inside(stack: str) -> str:
    return (
        "holds a secure value; secrets never go inside the platform object (it is read as "
        "plain data, and plans would show the value). Set the secret as a key of its own with "
        f"{set_secret_command('<key>', stack)} and name it: `secretText: <key>` on a binding, "
        "`configKey: <key>` under `secrets`"
    )


def _secure_paths(value: Any, parts: tuple[Any, ...]) -> Iterator[str]:
    """Key paths of the `{secure: ...}` entries in the raw platform object (as the stack file
    holds them: `pulumi config set --path --secret` writes them so)."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            yield _path(parts)
            return
        for key, item in value.items():
            yield from _secure_paths(item, (*parts, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _secure_paths(item, (*parts, index))


def _missing_platform(stack: str, config_keys: Collection[str]) -> Problem:
    close = difflib.get_close_matches(CONFIG_KEY, list(config_keys), n=1, cutoff=0.8)
    if close:
        return Problem(
            "",
            f"unknown config key; did you mean `{CONFIG_KEY}`? The platform is declared under "
            f"`{CONFIG_KEY}` in Pulumi.{stack}.yaml",
            key=close[0],
        )
    return Problem("", f"missing; declare the platform under `{CONFIG_KEY}` in Pulumi.{stack}.yaml")


def _secret_keys_named(spec: PlatformSpec) -> list[tuple[str, str]]:
    """(key path in the platform, config key) of every secret value the platform reads."""
    wanted = [(f"secrets.{name}.configKey", s.config_key) for name, s in spec.secrets.items()]
    for worker, w in spec.workers.items():
        for i, b in enumerate(w.bindings):
            if b.secret_text is not None:
                wanted.append((f"workers.{worker}.bindings[{i}].secretText", b.secret_text))
        for i, b in enumerate(w.candidate.bindings if w.candidate else []):
            if b.secret_text is not None:
                path = f"workers.{worker}.candidate.bindings[{i}].secretText"
                wanted.append((path, b.secret_text))
    if spec.mail and spec.mail.webhook:
        wanted.append(("mail.webhook.bearerConfigKey", spec.mail.webhook.bearer_config_key))
    return wanted


def _unknown_config_keys(
    spec: PlatformSpec | None, config_keys: Collection[str], config_key: Callable[[str], ConfigKey]
) -> list[Problem]:
    """Plain keys of the project's namespace that the program never reads: misspellings.

    A secret key no longer named by the platform is left alone: it is a leftover that does no
    harm (and reverting the commit that dropped it needs it again)."""
    known = {PLATFORM}
    if spec is not None:
        known |= {key for _path, key in _secret_keys_named(spec)}
    prefix = f"{NAMESPACE}:"
    problems = []
    for full in sorted(config_keys):
        if not full.startswith(prefix):
            continue
        key = full.removeprefix(prefix)
        if key in known or config_key(key).secret:
            continue
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
        hint = (
            f"did you mean `{prefix}{close[0]}`?"
            if close
            else f"the program reads only `{CONFIG_KEY}` and the secret keys it names"
        )
        message = f"unknown config key; {hint} (remove it with `pulumi config rm {key}`)"
        problems.append(Problem("", message, key=full))
    return problems


def _secret_config_keys(
    spec: PlatformSpec,
    stack: str,
    config_key: Callable[[str], ConfigKey],
    config_keys: Collection[str],
) -> tuple[list[Problem], list[Problem], list[str]]:
    """(problems of keys not set, problems of keys set in plain text, the keys not set)."""
    unset_problems, plain_problems, unset = [], [], []
    set_keys = [k.removeprefix(f"{NAMESPACE}:") for k in config_keys]
    for path, key in _secret_keys_named(spec):
        found = config_key(key)
        if not found.present:
            message = unset_secret_message(key, stack)
            close = difflib.get_close_matches(key, [k for k in set_keys if k != key], n=1)
            if close:
                message += f" (a key '{close[0]}' is set: misspelt?)"
            unset_problems.append(Problem(path, message))
            if key not in unset:
                unset.append(key)
        elif not found.secret:
            plain_problems.append(
                Problem(
                    path,
                    f"config key '{key}' is stored in plain text; set it again with "
                    f"{set_secret_command(key, stack)}",
                )
            )
    return unset_problems, plain_problems, unset


# --- pydantic's errors in a user's words ---------------------------------------------------------


def _from_pydantic(error: dict[str, Any]) -> Problem:
    loc = error["loc"]
    is_key = bool(loc) and loc[-1] == "[key]"  # pydantic's marker: the mapping key is invalid
    parts = loc[:-1] if is_key else loc
    kind, got = error["type"], describe(error.get("input"))
    ctx = error.get("ctx") or {}
    message = error["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        message = "unknown key; remove it or check its spelling (keys are camelCase)"
        close = difflib.get_close_matches(str(parts[-1]), _keys_of(_type_at(parts[:-1])), n=1)
        if close:
            message = f"unknown key; did you mean `{close[0]}`? (keys are camelCase)"
    elif kind == "missing":
        message = "required key is missing"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        message = f"must be {_shape(_type_at(parts))} (got {got})"
    elif kind == "list_type":
        message = f"must be a list (got {got})"
    elif kind == "string_type":
        message = f"must be a string (got {got}); quote it"
    elif kind in ("bool_type", "bool_parsing"):
        message = f"must be true or false (got {got})"
    elif kind in ("int_type", "int_parsing", "int_from_float"):
        message = f"must be a whole number (got {got})"
    elif kind == "literal_error":
        message = f"must be one of {ctx.get('expected')} (got {got})"
    elif kind == "string_pattern_mismatch":
        hint = PATTERN_HINTS.get(ctx.get("pattern"), "a value of the documented form")
        message = f"must be {hint} (got {got})"
    elif kind.startswith(("greater_than", "less_than")):
        message = f"{message.removeprefix('Input should be ')} (got {got})"
        message = f"must be {message}"
    if is_key:
        message = f"invalid name: {message}; rename the key"
    return Problem(_path(parts), message)


def _path(parts: tuple[Any, ...]) -> str:
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "" or any(c in str(part) for c in ' ."[]'):
            path += f'["{part}"]'  # a key that would read wrongly after a dot
        else:
            path += f".{part}" if path else str(part)
    return path


def _type_at(parts: tuple[Any, ...]) -> Any:
    """The schema type at a pydantic error location (camelCase keys, list indexes)."""
    current: Any = PlatformSpec
    for part in parts:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = current.model_fields
            match = [f for name, f in fields.items() if part in (name, f.alias)]
            if not match:
                return None
            current = match[0].annotation
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        elif get_origin(current) is list:
            current = get_args(current)[0]
        else:
            return None
    return _unwrap(current)


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _shape(tp: Any) -> str:
    """The shape a user writes at a key, for "must be ..." (never a class name)."""
    keys = _keys_of(tp)
    if keys:
        return f"a mapping with the keys {', '.join(f'`{k}`' for k in keys)}"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "`{}` (a mapping; this one has no settings)"
    return "a mapping of names to their settings"


def _keys_of(tp: Any) -> list[str]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or name for name, f in tp.model_fields.items()]
    return []


# --- bundles -------------------------------------------------------------------------------------


def _bundles(
    spec: PlatformSpec, project_dir: Path, missing: MissingBundles
) -> tuple[dict[str, Bundle], list[Problem]]:
    """Each worker's pinned bundle (and its candidate's, keyed `<worker>.candidate`), checked
    against the bytes on disk.

    The hash handed to the provider is always the pin (so a plan shows it even before the
    bundle is fetched); bytes that do not match the pin are refused wherever they are read."""
    bundles, problems = {}, []
    pins = [(worker, f"workers.{worker}.bundle", w.bundle) for worker, w in spec.workers.items()]
    pins += [
        (candidate_key(worker), f"workers.{worker}.candidate.bundle", w.candidate.bundle)
        for worker, w in spec.workers.items()
        if w.candidate is not None and w.candidate.bundle is not None
    ]
    for key, where, pin in pins:
        bundle, problem = _bundle(project_dir, where, pin, missing)
        if problem is not None:
            problems.append(problem)
        elif bundle is not None:
            bundles[key] = bundle
    return bundles, problems


def candidate_key(worker: str) -> str:
    """Where `LoadedPlatform.bundles` keeps the bundle of a worker's candidate."""
    return f"{worker}.candidate"


def _bundle(
    project_dir: Path, where: str, pin: BundleSpec, missing: MissingBundles
) -> tuple[Bundle | None, Problem | None]:
    root = project_dir.resolve()
    name = pin.file
    path = (project_dir / name).resolve()  # follows symlinks: a link out is outside
    if not path.is_relative_to(root):
        written = Path(os.path.normpath(root / name))
        how = (
            f"links to {path}, outside the project directory; copy the bundle into the "
            "project instead"
            if written.is_relative_to(root)
            else "is outside the project directory; place the bundle inside it (e.g. under "
            "bundles/) and give its path relative to the project"
        )
        return None, Problem(where, f"'{name}' {how}")
    content_file = str(path.relative_to(root))
    if path.is_file():
        digest, problem = _hash_bundle(path, name)
        if problem:
            return None, Problem(where, problem)
        if digest != pin.sha256:
            return None, Problem(f"{where}.sha256", _pin_mismatch(pin, digest))
        return Bundle(path, content_file, pin.sha256, where=where), None
    if path.exists():
        return None, Problem(where, f"'{name}' is not a file; name the built bundle")
    if missing == "unknown":
        return Bundle(path, content_file, pin.sha256, present=False, where=where), None
    return None, Problem(where, _missing_bundle(pin))


def short_hash(digest: str) -> str:
    """A SHA-256 as the tools print it: its first 12 hex digits."""
    return f"{digest[:12]}…"


def _pin_mismatch(pin: BundleSpec, digest: str) -> str:
    fix = (
        f"fetch {pin.source} again (its bytes changed, or the tag was moved)"
        if pin.release is not None
        else "if the new bytes are intended, pin them (`sha256sum " + pin.file + "`); if not, "
        "restore the file"
    )
    return (
        f"pins {short_hash(pin.sha256)} but '{pin.file}' on disk is {short_hash(digest)}; "
        f"nothing deploys bytes other than the pin: {fix}"
    )


def _missing_bundle(pin: BundleSpec) -> str:
    if pin.release is not None:
        return (
            f"bundle '{pin.file}' does not exist; fetch asset '{pin.asset}' of release "
            f"{pin.release} there (`.github/scripts/bundles.sh fetch`) before `pulumi up`"
        )
    return (
        f"bundle '{pin.file}' does not exist; build the worker and place its bundle there "
        "before `pulumi up`"
    )


def _hash_bundle(path: Path, name: str) -> tuple[str | None, str | None]:
    """(sha256, None) or (None, what is wrong); reads at most MAX_BUNDLE_BYTES + 1 bytes."""
    with path.open("rb") as f:
        data = f.read(MAX_BUNDLE_BYTES + 1)
    mib = 1024 * 1024
    if len(data) > MAX_BUNDLE_BYTES:
        return None, (
            f"'{name}' is larger than {MAX_BUNDLE_BYTES // mib} MiB, Cloudflare's limit for a "
            "Worker before compression; make the bundle smaller"
        )
    if not data:
        return None, f"'{name}' is empty; build the worker again"
    if len(data) > MAX_BUNDLE_GZIP_BYTES * 9 // 10:
        compressed = len(gzip.compress(data, compresslevel=6))
        if compressed > MAX_BUNDLE_GZIP_BYTES:
            return None, (
                f"'{name}' is {compressed / mib:.1f} MiB after gzip, over Cloudflare's "
                f"{MAX_BUNDLE_GZIP_BYTES // mib} MiB limit for a Worker (Workers Paid; 3 MiB on "
                "Free); make the bundle smaller"
            )
    return hashlib.sha256(data).hexdigest(), None
