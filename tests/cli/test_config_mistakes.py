"""Config mistakes that used to pass (or end in a traceback): each exits 2 from `python -m plan`,
names the key path (or the file and line) and what to do, prints no traceback and plans
nothing; the program's entry point (`stacks.program.main`, run here under the SDK's mock
engine, not the Pulumi CLI, which may reject some of these files itself first) ends with the
same message as a RunError before any resource registers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import stacks.loader
import stacks.schema
from plan.cli import app
from tests.plan_diff.gitrepo import commit, program_modules_restored, program_repo
from tests.support.program import plan_subprocess, run_entry_point
from tests.support.project import platform_of, write_project

STACK = "staging"
ZONE = "a" * 32
runner = CliRunner()


def project(tmp_path: Path, platform: dict | None = None, **kwargs) -> Path:
    return write_project(tmp_path / "project", STACK, platform or platform_of(STACK), **kwargs)


def stack_file(root: Path) -> Path:
    return root / f"Pulumi.{STACK}.yaml"


def replace_once(root: Path, old: str, new: str) -> None:
    text = stack_file(root).read_text()
    assert text.count(old) >= 1, f"{old!r} not in the stack file"
    stack_file(root).write_text(text.replace(old, new, 1))


def line_of(root: Path, text: str, occurrence: int = 1) -> int:
    lines = stack_file(root).read_text().splitlines()
    found = [i + 1 for i, line in enumerate(lines) if line == text]
    return found[occurrence - 1]


def refused(root: Path, *expected: str, command: str = "show") -> str:
    """Run `python -m plan COMMAND staging`; assert a config error as a user sees it."""
    result = runner.invoke(app, ["--config-dir", str(root), command, STACK])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # nothing escaped as a traceback
    assert "Traceback" not in result.output
    assert result.stdout == ""  # nothing was planned
    for text in expected:
        assert text in result.stderr, result.stderr
    return result.stderr.strip()


def under_mock_engine(root: Path) -> str:
    """The RunError the program's entry point ends with under the SDK mock engine; nothing may
    have been registered."""
    run = run_entry_point(root, STACK)
    assert run.error is not None
    assert run.recorded == []
    return str(run.error)


# --- the stack file itself -----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["show", "check"])
def test_a_key_given_twice_names_both_lines(tmp_path, command):
    root = project(tmp_path)
    pasted = "      auth:\n        bundle: bundles/old.js\n"
    replace_once(root, "      auth:\n", pasted + "      auth:\n")
    first, second = line_of(root, "      auth:", 1), line_of(root, "      auth:", 2)

    message = refused(
        root,
        f"Pulumi.staging.yaml:{first} and Pulumi.staging.yaml:{second}",
        "`edge-platform:platform.workers.auth` is given twice",
        "merge the two into one, or delete one",
        command=command,
    )
    assert under_mock_engine(root) == message


def test_a_key_given_twice_fails_the_diff(tmp_path):
    repo = program_repo(tmp_path / "repo")
    write_project(repo, STACK, platform_of(STACK), bundles=False)
    commit(repo, "base")
    replace_once(repo, "    mail:\n", "    mail:\n      serverPrefix: old\n")
    with program_modules_restored():
        result = runner.invoke(app, ["--config-dir", str(repo), "diff", "--base", "HEAD", STACK])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "`edge-platform:platform.mail.serverPrefix` is given twice" in result.output
    assert "Traceback" not in result.output


def test_a_stack_file_in_cp1252_is_refused_at_its_line(tmp_path):
    root = project(tmp_path)
    data = stack_file(root).read_bytes().replace(b"text: debug", b"text: \x93debug\x94")
    stack_file(root).write_bytes(data)
    line = data.count(b"\n", 0, data.index(b"\x93debug")) + 1

    message = refused(root, f"Pulumi.staging.yaml:{line}: byte 0x93", "save the file as UTF-8")
    assert under_mock_engine(root) == message


def test_a_utf16_stack_file_is_refused(tmp_path):
    root = project(tmp_path)
    stack_file(root).write_bytes(stack_file(root).read_text().encode("utf-16"))

    message = refused(root, "Pulumi.staging.yaml is UTF-16", "save it as UTF-8")
    assert under_mock_engine(root) == message


@pytest.mark.parametrize("config", ["config:\n  - aws:region\n", "config: yes\n"])
def test_config_that_is_not_a_mapping_is_refused(tmp_path, config):
    root = project(tmp_path)
    stack_file(root).write_text(config)

    refused(root, "Pulumi.staging.yaml: `config` must be a mapping of config keys to values")


def test_a_misspelt_platform_key_is_named_with_a_hint(tmp_path):
    root = project(tmp_path)
    replace_once(root, "edge-platform:platform:", "edge-platform:platfrom:")

    message = refused(
        root, "edge-platform:platfrom: unknown config key; did you mean `edge-platform:platform`?"
    )
    assert "missing" not in message  # one mistake, one problem
    assert under_mock_engine(root) == message


def test_a_platform_that_is_not_a_mapping_is_refused(tmp_path):
    root = project(tmp_path)
    stack_file(root).write_text("config:\n  edge-platform:platform: mail-state\n")

    message = refused(root, "edge-platform:platform: must be a mapping: the platform object")
    assert under_mock_engine(root) == message


# --- keys of the platform object -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("hostname", "says"),
    [
        ("https://auth.example.com", "is a URL"),
        ("auth.example.com/login", "has a path"),
        ("auth.example.com:8443", "has a port"),
        ("auth example.com", "has spaces"),
    ],
)
def test_a_custom_domain_is_a_bare_hostname(tmp_path, hostname, says):
    p = platform_of(STACK)
    p["workers"]["auth"]["customDomains"] = [{"hostname": hostname, "zoneId": ZONE}]
    root = project(tmp_path, p)

    refused(root, "edge-platform:platform.workers.auth.customDomains[0].hostname: ", says)


def test_two_workers_cannot_share_a_custom_domain(tmp_path):
    p = platform_of(STACK)
    for worker in ("auth", "dispatcher"):
        p["workers"][worker]["customDomains"] = [{"hostname": "auth.example.com", "zoneId": ZONE}]
    root = project(tmp_path, p)

    refused(
        root,
        "workers.dispatcher.customDomains[0].hostname: 'auth.example.com' is already a custom "
        "domain of worker 'auth'",
    )


def _empty_store_name(p):
    p["secretsStore"] = {"name": ""}
    return "secretsStore.name: must not be empty"


def _empty_external_worker(p):
    p["externalWorkers"] = [""]
    return "externalWorkers[0]: must not be empty"


def _empty_logical_key(p):
    p["kvNamespaces"][""] = {}
    return 'kvNamespaces[""]: invalid name'


def _empty_service(p):
    p["workers"]["auth"]["bindings"][0]["service"] = ""
    return "workers.auth.bindings[0].service: must not be empty"


@pytest.mark.parametrize(
    "make_empty", [_empty_store_name, _empty_external_worker, _empty_logical_key, _empty_service]
)
def test_empty_names_are_refused(tmp_path, make_empty):
    p = platform_of(STACK)
    expected = make_empty(p)
    root = project(tmp_path, p)

    refused(root, f"edge-platform:platform.{expected}")


def test_a_compatibility_date_must_exist(tmp_path):
    p = platform_of(STACK)
    p["workers"]["auth"]["compatibilityDate"] = "2025-02-30"
    root = project(tmp_path, p)

    message = refused(
        root,
        "edge-platform:platform.workers.auth.compatibilityDate: '2025-02-30' is not a real date",
    )
    assert under_mock_engine(root) == message


def test_an_environment_not_matching_the_stack_is_one_problem(tmp_path):
    # The prod config in the staging stack file: every name is a prod name.
    root = project(tmp_path, platform_of("prod"))

    message = refused(root, "edge-platform:platform.environment: is 'prod' but the stack is")
    assert "1 config problem\n" in message
    assert "set `environment: staging`" in message


def test_messages_show_shapes_never_class_names(tmp_path):
    p = platform_of(STACK)
    p["workers"]["auth"]["customDomains"] = ["auth.example.com"]
    p["workers"]["auth"]["bindings"][0] = "MAIL_SERVICE"
    p["secretsStore"] = "5c1f0e9d8b7a46f3a2e1d0c9b8a7f6e5"
    p["mail"]["dmarc"] = None
    p["workers"]["auth"]["bindngs"] = []
    root = project(tmp_path, p)

    message = refused(
        root,
        "workers.auth.customDomains[0]: must be a mapping with the keys `hostname`, `zoneId` "
        "(got the string 'auth.example.com')",
        "workers.auth.bindings[0]: must be a mapping with the keys `name`, `service`",
        "secretsStore: must be a mapping with the keys `id`, `name`",
        "mail.dmarc: must be a mapping with the keys `policy`, `rua` (got nothing)",
        "workers.auth.bindngs: unknown key; did you mean `bindings`?",
    )
    classes = [n for n, v in vars(stacks.schema).items() if isinstance(v, type)]
    assert "CustomDomainSpec" in classes
    assert not [c for c in classes if c in message]


# --- worker bundles ------------------------------------------------------------------------------


def point_bundle(p: dict, worker: str, path: str) -> None:
    """Point the worker's bundle at `path`, in whichever form the stack file writes bundles."""
    current = p["workers"][worker]["bundle"]
    pinned = isinstance(current, dict)
    p["workers"][worker]["bundle"] = {**current, "path": path} if pinned else path


def _bundle_up(tmp_path: Path, root: Path) -> str:
    (tmp_path / "outside.js").write_text("export default {}\n")
    return "../outside.js"


def _bundle_absolute(tmp_path: Path, root: Path) -> str:
    outside = tmp_path / "elsewhere" / "auth.js"
    outside.parent.mkdir()
    outside.write_text("export default {}\n")
    return str(outside)


def _bundle_symlink_out(tmp_path: Path, root: Path) -> str:
    outside = tmp_path / "secret.txt"
    outside.write_text("not a bundle\n")
    (root / "bundles").mkdir(parents=True)
    (root / "bundles" / "linked.js").symlink_to(outside)
    return "bundles/linked.js"


@pytest.mark.parametrize("place", [_bundle_up, _bundle_absolute, _bundle_symlink_out])
def test_a_bundle_stays_inside_the_project(tmp_path, place):
    p = platform_of(STACK)
    bundle = place(tmp_path, tmp_path / "project")
    point_bundle(p, "auth", bundle)
    root = project(tmp_path, p, bundles=False)

    refused(root, f"edge-platform:platform.workers.auth.bundle: '{bundle}' ", "outside the project")


def with_auth_bundle(tmp_path: Path, content: bytes) -> Path:
    p = platform_of(STACK)
    point_bundle(p, "auth", "bundles/auth.js")
    root = project(tmp_path, p)
    (root / "bundles" / "auth.js").write_bytes(content)
    return root


def test_a_bundle_over_cloudflares_size_limit_is_refused(tmp_path, monkeypatch):
    root = with_auth_bundle(tmp_path, b"x" * 2049)
    monkeypatch.setattr(stacks.loader, "MAX_BUNDLE_BYTES", 2048)

    refused(root, "workers.auth.bundle: 'bundles/auth.js' is larger than", "make the bundle")


def test_a_bundle_over_the_compressed_limit_is_refused(tmp_path, monkeypatch):
    root = with_auth_bundle(tmp_path, os.urandom(4096))  # random bytes do not compress
    monkeypatch.setattr(stacks.loader, "MAX_BUNDLE_GZIP_BYTES", 2048)

    refused(root, "workers.auth.bundle: 'bundles/auth.js' is ", "MiB after gzip")


# --- a good plan ends cleanly --------------------------------------------------------------------


def test_a_good_plan_prints_no_traceback_at_exit():
    # ResourceWarning shown: an event loop left open is reported even when its __del__ happens
    # to find its socket still there (the "Exception ignored ... Invalid file descriptor" case).
    result = plan_subprocess("show", STACK, python_options=["-W", "always::ResourceWarning"])
    assert result.returncode == 0, result.stderr
    assert "auth-staging" in result.stdout
    for marker in ("Exception ignored", "Traceback", "unclosed event loop", "ResourceWarning"):
        assert marker not in result.stderr, result.stderr
