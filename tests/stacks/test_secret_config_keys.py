"""Secret config keys are named by the platform object and never committed as placeholders.

Not set yet: the offline plan and `pulumi preview` plan the value as an unknown secret, with one
note per key; `pulumi up` refuses before anything registers. Set in plain text: refused always.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from plan.diff.classify import diff_manifests
from plan.manifest import SECRET
from tests.support.program import plan_subprocess, run_entry_point
from tests.support.project import REPO, evaluate_project, find, platform_of, write_project

STACK = "staging"
SECRET_KEYS = ("turnstileApiKey", "resendApiKey", "postmarkWebhookBearer")
"""What the repository's platform objects name: secrets.<NAME>.configKey and
mail.webhook.bearerConfigKey."""


def note(key: str, stack: str = STACK) -> str:
    return (
        f"config key '{key}' is not set, so its value is unknown in this plan; set it with "
        f"`pulumi config set --secret {key} -s {stack}` before `pulumi up`"
    )


@pytest.fixture
def project(tmp_path):
    """The staging stack as committed: no secret config key set."""
    return write_project(tmp_path / "project", STACK, platform_of(STACK))


CIPHERTEXT = re.compile(r"^(v1:[A-Za-z0-9+/]+=*:[A-Za-z0-9+/]+=*|[A-Za-z0-9+/]{32,}=*)$")
"""A passphrase provider's `v1:<nonce>:<sealed>`, or a cloud KMS provider's base64 blob."""


def test_no_committed_stack_file_holds_a_placeholder_secret():
    # A `secure:` value is ciphertext of one stack's secrets provider (its passphrase salt or
    # KMS key, recorded in the same file): a placeholder can never decrypt, and the CLI decrypts
    # all config before the program runs, so the first real `pulumi preview` would fail on it.
    # Real ciphertext, written by `pulumi config set --secret`, is welcome.
    files = sorted(REPO.glob("Pulumi.*.yaml"))
    assert {p.name for p in files} >= {"Pulumi.staging.yaml", "Pulumi.prod.yaml"}
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        secure = {
            key: value["secure"]
            for key, value in (data.get("config") or {}).items()
            if isinstance(value, dict) and "secure" in value
        }
        if not secure:
            continue
        assert "encryptionsalt" in data or "secretsprovider" in data, (
            f"{path.name}: secure values but no secrets provider: set them with "
            "`pulumi config set --secret`, not by hand"
        )
        bad = sorted(k for k, v in secure.items() if not CIPHERTEXT.match(str(v)))
        assert bad == [], f"{path.name}: {bad} hold placeholders, not ciphertext"


def test_the_platforms_name_the_secret_keys():
    for stack in ("staging", "prod"):
        p = platform_of(stack)
        named = [s["configKey"] for s in p["secrets"].values()]
        named.append(p["mail"]["webhook"]["bearerConfigKey"])
        assert sorted(named) == sorted(SECRET_KEYS)


def test_the_offline_plan_notes_each_unset_key_and_shows_a_secret(project):
    result = plan_subprocess("--config-dir", str(project), "show", STACK, "--json")
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if "is not set" in line]
    assert sorted(notes) == sorted(note(k) for k in SECRET_KEYS)
    resources = {r["name"]: r for r in json.loads(result.stdout)["resources"]}
    assert resources["secrets-resend-api-key"]["inputs"]["value"] == SECRET
    assert resources["mail-webhook"]["inputs"]["http_headers"] == SECRET


def test_unset_keys_diff_to_nothing_and_setting_one_reads_secret_changed(project, tmp_path):
    first, second = evaluate_project(project, STACK), evaluate_project(project, STACK)
    assert diff_manifests(first, second)[0] == []

    set_once = write_project(
        tmp_path / "set",
        STACK,
        platform_of(STACK),
        extra_config={"edge-platform:resendApiKey": {"secure": "v1:ciphertext"}},
    )
    changes, _outputs = diff_manifests(first, evaluate_project(set_once, STACK))
    [change] = changes
    resend = find(first, "secretsStoreSecret:SecretsStoreSecret", "secrets-resend-api-key")
    assert change.urn == resend.urn
    [value] = change.properties
    assert value.secret and (value.old, value.new) == (SECRET, SECRET)


def test_preview_warns_per_key_and_plans_an_unknown_secret(project, caplog):
    run = run_entry_point(project, STACK, preview=True)

    assert run.error is None
    warned = [r.getMessage() for r in caplog.records if "is not set" in r.getMessage()]
    assert sorted(warned) == sorted(note(k) for k in SECRET_KEYS)
    secret = next(r for r in run.recorded if r.name == "secrets-turnstile-api-key")
    assert secret.inputs["value"] == SECRET and "value" in secret.secret_inputs


def test_up_refuses_an_unset_key_before_anything_registers(project):
    run = run_entry_point(project, STACK, preview=False)

    assert run.error is not None and run.recorded == []
    message = str(run.error)
    for key in SECRET_KEYS:
        assert f"config key '{key}' is not set" in message
        assert f"`pulumi config set --secret {key} -s {STACK}`" in message
    assert "edge-platform:platform.secrets.TURNSTILE_API_KEY.configKey: " in message
    assert "edge-platform:platform.mail.webhook.bearerConfigKey: " in message


@pytest.mark.parametrize("preview", [True, False])
def test_a_key_set_in_plain_text_is_refused_even_in_preview(tmp_path, preview):
    root = write_project(
        tmp_path, STACK, platform_of(STACK), extra_config={"edge-platform:resendApiKey": "plain"}
    )
    run = run_entry_point(root, STACK, preview=preview)

    assert run.error is not None and run.recorded == []
    assert (
        "edge-platform:platform.secrets.RESEND_API_KEY.configKey: config key 'resendApiKey' is "
        "stored in plain text; set it again with `pulumi config set --secret resendApiKey -s "
        "staging`"
    ) in str(run.error)


def test_a_base_tree_from_before_the_option_still_plans(project, monkeypatch):
    # `plan diff --base <older commit>` runs that commit's program, whose `run` takes no
    # `missing_secrets`: the engine hands it only the options it takes.
    from stacks import program

    current = program.run

    def run_of_an_older_tree(missing_bundles=None, project_dir=program.PROJECT_DIR):
        return current(missing_bundles, project_dir, missing_secrets="unknown")

    monkeypatch.setattr(program, "run", run_of_an_older_tree)
    manifest = evaluate_project(project, STACK)
    assert find(manifest, "index/worker:Worker", "auth").inputs["name"] == "auth-staging"
