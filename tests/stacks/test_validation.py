"""Every config rule: a bad stack config fails before any resource, naming the key path."""

import contextvars
import json
from pathlib import Path

import pulumi
import pytest
from typer.testing import CliRunner

from plan.engine import install_mocks
from plan.stackfile import read_stack_config
from stacks.errors import ConfigError
from stacks.loader import ConfigKey, load
from tests.support.project import bundle_file, platform_of, write_project

SET_AS_SECRET = ConfigKey(present=True, secret=True)


def problems(
    platform: dict,
    stack: str = "staging",
    *,
    keys=None,
    tmp: Path | None = None,
    missing_bundles: str = "unknown",
) -> list[str]:
    try:
        load(
            stack,
            platform,
            project_dir=tmp or Path("/nonexistent"),
            config_key=keys or (lambda _key: SET_AS_SECRET),
            missing_bundles=missing_bundles,
        )
    except ConfigError as err:
        return [str(p) for p in err.problems]
    return []


def only(found: list[str], path: str) -> str:
    matching = [p for p in found if p.startswith(f"edge-platform:platform.{path}: ")]
    assert matching, f"no problem at {path}; got {found}"
    return matching[0]


def auth_bindings(platform: dict) -> list[dict]:
    return platform["workers"]["auth"]["bindings"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_repository_stacks_are_valid(stack):
    assert problems(platform_of(stack), stack) == []


def test_unknown_keys_are_named_with_their_path():
    p = platform_of("staging")
    p["workers"]["auth"]["bindngs"] = []
    p["queus"] = {}
    found = problems(p)
    assert "unknown key" in only(found, "workers.auth.bindngs")
    assert "unknown key" in only(found, "queus")


def test_service_binding_to_undeclared_worker():
    p = platform_of("staging")
    auth_bindings(p)[0]["service"] = "billing-worker-staging"
    msg = only(problems(p), "workers.auth.bindings[0].service")
    assert "Could not resolve service binding" in msg
    assert "bookmarks-mail-worker-staging" in msg  # lists what it could be


def test_external_worker_is_a_valid_target_and_repointing_is_one_value():
    p = platform_of("prod")
    auth_bindings(p)[0]["service"] = "cosmos-mail-worker"
    assert problems(p, "prod") == []


def test_binding_to_undeclared_queue():
    p = platform_of("staging")
    p["workers"]["bookmarks-mail-worker"]["bindings"][2]["queue"] = "mail-inbox"
    assert "Queue does not exist" in only(
        problems(p), "workers.bookmarks-mail-worker.bindings[2].queue"
    )


def test_consumer_of_undeclared_queue():
    p = platform_of("staging")
    p["workers"]["bookmarks-mail-worker"]["consumes"][0]["queue"] = "mail-inbox"
    assert "Queue does not exist" in only(
        problems(p), "workers.bookmarks-mail-worker.consumes[0].queue"
    )


def test_consumed_queue_needs_a_dead_letter_queue():
    p = platform_of("staging")
    del p["queues"]["mail-outbox"]["deadLetterQueue"]
    msg = only(problems(p), "workers.bookmarks-mail-worker.consumes[0].queue")
    assert "no dead-letter queue" in msg and "queues.mail-outbox.deadLetterQueue" in msg


def test_every_queue_has_a_dead_letter_queue():
    p = platform_of("staging")
    p["queues"]["mail-events"] = {}
    assert "no `deadLetterQueue`" in only(problems(p), "queues.mail-events")


def test_one_name_per_data_resource():
    p = platform_of("staging")
    p["d1Databases"]["mail-state"] = {"readReplication": "auto"}
    assert "also declared under `kvNamespaces`" in only(problems(p), "d1Databases.mail-state")


def test_secrets_need_a_store():
    p = platform_of("staging")
    del p["secretsStore"]
    assert "need a `secretsStore`" in only(problems(p), "secrets")


def test_dead_letter_queue_cannot_be_the_queue_itself():
    p = platform_of("staging")
    p["queues"]["mail-outbox"]["deadLetterQueue"] = "mail-outbox"
    assert "its own dead-letter queue" in only(problems(p), "queues.mail-outbox.deadLetterQueue")


def test_a_queue_has_one_consumer():
    p = platform_of("staging")
    p["workers"]["auth"]["consumes"] = [{"queue": "mail-outbox"}]
    msg = only(problems(p), "workers.auth.consumes[0].queue")
    assert "one worker consumer per queue" in msg and "'bookmarks-mail-worker'" in msg


def test_an_invalid_logical_name_is_reported_at_its_key():
    p = platform_of("staging")
    p["kvNamespaces"]["Mail_State"] = {}
    msg = only(problems(p), "kvNamespaces.Mail_State")
    assert "invalid name" in msg and "[key]" not in msg


def test_verification_timeout_must_be_positive():
    p = platform_of("staging")
    p["mail"]["verificationTimeoutSeconds"] = 0
    only(problems(p), "mail.verificationTimeoutSeconds")


def test_duplicate_binding_names():
    p = platform_of("staging")
    auth_bindings(p).append({"name": "MAIL_SERVICE", "text": "x"})
    assert "used 2 times" in only(problems(p), "workers.auth.bindings[2].name")


@pytest.mark.parametrize("name", ["MAIL-SERVICE", "1ST", "mail service"])
def test_binding_names_must_be_js_identifiers(name):
    p = platform_of("staging")
    auth_bindings(p)[1]["name"] = name
    assert "not a valid JavaScript identifier" in only(problems(p), "workers.auth.bindings[1].name")


def test_staging_name_in_prod():
    p = platform_of("prod")
    auth_bindings(p)[0]["service"] = "bookmarks-mail-worker-staging"
    msg = only(problems(p, "prod"), "workers.auth.bindings[0].service")
    assert "staging worker name in the prod stack" in msg and "'bookmarks-mail-worker'" in msg


def test_prod_name_in_staging():
    p = platform_of("staging")
    auth_bindings(p)[0]["service"] = "bookmarks-mail-worker"
    msg = only(problems(p), "workers.auth.bindings[0].service")
    assert "prod worker name in the staging stack" in msg
    assert "'bookmarks-mail-worker-staging'" in msg


def test_external_worker_of_the_other_environment():
    p = platform_of("staging")
    p["externalWorkers"] = ["cosmos-mail-worker"]
    assert "prod name in the staging stack" in only(problems(p), "externalWorkers[0]")


def test_service_binding_between_dispatch_namespace_scripts():
    p = platform_of("staging")
    p["dispatchNamespaces"]["tenants"] = {
        "tenantScripts": {
            "tenant-a": {"bindings": [{"name": "OTHER", "service": "tenant-b"}]},
            "tenant-b": {},
        }
    }
    msg = only(problems(p), "dispatchNamespaces.tenants.tenantScripts.tenant-a.bindings[0].service")
    assert "do not resolve on Cloudflare" in msg


def test_infrastructure_worker_cannot_bind_a_tenant_script():
    p = platform_of("staging")
    p["dispatchNamespaces"]["tenants"] = {"tenantScripts": {"tenant-a": {}}}
    auth_bindings(p)[0]["service"] = "tenant-a"
    assert "dispatchNamespace" in only(problems(p), "workers.auth.bindings[0].service")


def test_wildcard_custom_domain():
    p = platform_of("staging")
    p["workers"]["auth"]["customDomains"] = [{"hostname": "*.example.com", "zoneId": "a" * 32}]
    msg = only(problems(p), "workers.auth.customDomains[0].hostname")
    assert "Wildcard operators are not allowed in Custom Domains" in msg


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("batchSize", 0),
        ("batchSize", 101),
        ("maxRetries", 101),
        ("retryDelaySeconds", 86_401),
        ("maxWaitTimeMs", 60_001),
        ("maxConcurrency", 251),
    ],
)
def test_consumer_settings_out_of_cloudflare_limits(key, value):
    p = platform_of("staging")
    p["workers"]["bookmarks-mail-worker"]["consumes"][0][key] = value
    only(problems(p), f"workers.bookmarks-mail-worker.consumes[0].{key}")


def test_missing_bundle_is_an_error_for_up(tmp_path):
    p = platform_of("staging")
    msg = only(problems(p, tmp=tmp_path, missing_bundles="error"), "workers.auth.bundle")
    assert "does not exist" in msg and bundle_file(p["workers"]["auth"]) in msg


def test_prod_always_protects():
    p = platform_of("prod")
    p["protectStateful"] = False
    assert "prod always protects" in only(problems(p, "prod"), "protectStateful")


def test_environment_must_match_the_stack():
    assert "must match" in only(problems(platform_of("staging"), "prod"), "environment")


def test_secret_config_keys_must_be_set_as_secrets():
    def keys(key):
        return {
            "turnstileApiKey": ConfigKey(present=False, secret=False),
            "resendApiKey": ConfigKey(present=True, secret=False),
        }.get(key, SET_AS_SECRET)

    found = problems(platform_of("staging"), keys=keys)
    assert "pulumi config set --secret turnstileApiKey" in only(
        found, "secrets.TURNSTILE_API_KEY.configKey"
    )
    assert "plain text" in only(found, "secrets.RESEND_API_KEY.configKey")


def test_every_problem_is_reported_at_once():
    p = platform_of("staging")
    auth_bindings(p)[0]["service"] = "nope-staging"
    p["queues"]["mail-outbox"]["deadLetterQueue"] = "mail-outbox"
    p["workers"]["auth"]["customDomains"] = [{"hostname": "*.example.com", "zoneId": "a" * 32}]
    assert len(problems(p)) >= 3


def test_invalid_config_registers_nothing(tmp_path):
    contextvars.Context().run(_invalid_config_registers_nothing, tmp_path)


def _invalid_config_registers_nothing(tmp_path):
    p = platform_of("staging")
    auth_bindings(p)[0]["service"] = "nope-staging"
    root = write_project(tmp_path, "staging", p)
    from stacks import program

    config = read_stack_config(root, "staging")
    pulumi.runtime.set_all_config(config.values, config.secret_keys)
    monitor = install_mocks("edge-platform", "staging")

    @pulumi.runtime.test
    def run():
        program.run(missing_bundles="error", project_dir=root)

    with pytest.raises(ConfigError):
        run()
    assert monitor.recorded == []


def test_unquoted_dates_in_the_stack_file_read_as_strings(tmp_path):
    # The Pulumi CLI keeps an unquoted YAML date as its text; so must the offline plan.
    root = write_project(tmp_path, "staging", platform_of("staging"))
    path = root / "Pulumi.staging.yaml"
    path.write_text(
        path.read_text().replace("compatibilityDate: '2025-09-01'", "compatibilityDate: 2025-09-01")
    )
    assert "compatibilityDate: 2025-09-01\n" in path.read_text()
    platform = json.loads(read_stack_config(root, "staging").values["edge-platform:platform"])
    assert platform["workers"]["auth"]["compatibilityDate"] == "2025-09-01"


def test_plan_exits_2_with_every_problem(tmp_path):
    from plan import cli

    p = platform_of("staging")
    auth_bindings(p)[0]["service"] = "nope-staging"
    p["workers"]["auth"]["customDomains"] = [{"hostname": "*.example.com", "zoneId": "a" * 32}]
    root = write_project(tmp_path, "staging", p)
    result = CliRunner().invoke(cli.app, ["--config-dir", str(root), "show", "staging"])
    assert result.exit_code == 2
    assert "2 config problems" in result.output
    assert "workers.auth.bindings[0].service" in result.output
    assert "workers.auth.customDomains[0].hostname" in result.output


def test_a_secure_value_inside_the_platform_object_is_refused_at_its_path():
    # `pulumi config set --path --secret 'edge-platform:platform.workers.auth...'` writes this;
    # read as plain data, the value would be shown in clear by every plan.
    platform = platform_of("staging")
    platform["workers"]["auth"]["bindings"][1]["text"] = {"secure": "v1:AAAA:BBBB"}

    found = problems(platform)

    assert found == [
        "edge-platform:platform.workers.auth.bindings[1].text: holds a secure value; secrets "
        "never go inside the platform object (it is read as plain data, and plans would show "
        "the value). Set the secret as a key of its own with `pulumi config set --secret <key> "
        "-s staging` and name it: `secretText: <key>` on a binding, `configKey: <key>` under "
        "`secrets`"
    ]


def test_a_platform_object_the_cli_decrypted_is_refused():
    with pytest.raises(ConfigError) as err:
        load(
            "staging",
            platform_of("staging"),
            project_dir=Path("/nonexistent"),
            config_key=lambda _key: SET_AS_SECRET,
            missing_bundles="unknown",
            platform_secret=True,
        )
    (problem,) = err.value.problems
    assert str(problem).startswith("edge-platform:platform: holds a secure value")
