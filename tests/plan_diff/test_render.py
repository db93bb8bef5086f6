"""What each format shows a reviewer: risks first, property diffs, graphs, no secret values."""

from __future__ import annotations

import json
import re

import pytest

from plan.diff.model import SideError, Violation
from plan.manifest import SECRET
from plan.render.json_render import SCHEMA_VERSION, render_json, report_to_json
from plan.render.markdown import render_markdown
from plan.render.text import render_text
from tests.plan_diff.builders import (
    D1,
    SCRIPT,
    STORE_SECRET,
    base_platform,
    edited,
    find,
    manifest,
    report,
    resource,
)


def render(fmt: str, r) -> str:
    if fmt == "text":
        return render_text(r).plain
    if fmt == "markdown":
        return render_markdown(r)
    return render_json(r)


def repointed():
    base = base_platform()
    head = edited(base)
    find(head, SCRIPT, "auth").inputs["bindings"][1]["service"] = "bookmarks-mail-worker"
    return base, head


def destroyed():
    base = base_platform()
    head = edited(base)
    find(head, D1, "mail-metadata").inputs["name"] = "mail-metadata-v2"
    return base, head


def rotated():
    def secret(digest):
        return resource(
            STORE_SECRET,
            "secrets-resend-api-key",
            {"name": "RESEND_API_KEY", "value": SECRET},
            secret_inputs=["value"],
            secret_digests={"value": digest},
        )

    return manifest(secret("d1g3st0ld000")), manifest(secret("d1g3stn3w111"))


def test_markdown_has_summary_table_details_and_highlighted_graph():
    md = render_markdown(report(repointed()))

    assert "- **prod**: 1 to update" in md
    row = "| ~ | `auth` | cloudflare WorkersScript | update | `bindings[MAIL_SERVICE].service` |"
    assert row in md
    details = md[md.index("<details><summary><code>auth</code>") :]
    assert details.index('- bindings[MAIL_SERVICE].service: "cosmos-mail-worker"') < details.index(
        '+ bindings[MAIL_SERVICE].service: "bookmarks-mail-worker"'
    )
    graph = md[md.index("```mermaid") : md.index("```", md.index("```mermaid") + 3)]
    edges = [line.strip() for line in graph.splitlines() if "|" in line]
    new_edge = edges.index("worker_auth ==>|MAIL_SERVICE| worker_bookmarks_mail_worker")
    old_edge = edges.index("worker_auth -.->|MAIL_SERVICE| worker_cosmos_mail_worker")
    styles = dict(re.findall(r"linkStyle (\d+) (\S+)", graph))
    assert styles[str(new_edge)].startswith("stroke:#d97706")
    assert styles[str(old_edge)].startswith("stroke:#cf222e")
    assert len(styles) == 2  # unchanged bindings are not highlighted
    assert 'worker_cosmos_mail_worker(["cosmos-mail-worker (external)"])' in graph
    assert "worker_bookmarks_mail_worker -->|MAIL_DB| d1_mail_metadata" in graph


def test_unchanged_stack_has_a_summary_line_and_no_section():
    base = base_platform()
    md = render_markdown(report((base, edited(base))))

    assert "- **prod**: no changes" in md
    assert "####" not in md and "```mermaid" not in md


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_data_loss_risk_comes_first_in_every_format(fmt):
    out = render(fmt, report(repointed(), destroyed()))

    if fmt == "json":
        data = json.loads(out)
        assert data["exit_code"] == 3
        assert [(d["name"], d["op"]) for d in data["dangers"]] == [("mail-metadata", "replace")]
        return
    risk = out.index("DATA-LOSS RISK")
    assert risk < out.index("prod")
    assert "D1Database mail-metadata would be replaced, but `pulumi up` refuses" in out
    assert "protected before and after this change" in out and "retain_on_delete" in out
    if fmt == "markdown":
        assert out.index("[!CAUTION]") < out.index("**Summary**")


def test_allowed_destroy_is_still_shown_but_says_allowed():
    r = report(destroyed(), allow_destroy=True)

    assert r.exit_code == 0
    assert "allowed by --allow-destroy" in render_markdown(r)
    assert "allowed by --allow-destroy" in render_text(r).plain


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_changed_secret_shows_no_value_nor_digest(fmt):
    out = render(fmt, report(rotated()))

    assert "d1g3st" not in out and "[secret]" not in out
    if fmt == "json":
        (prop,) = json.loads(out)["stacks"][0]["resources"][0]["properties"]
        assert prop == {
            "path": "value",
            "kind": "update",
            "old": None,
            "new": None,
            "secret": True,
            "replaces": False,
            "may_replace": False,
            "cause": None,
            "masked": False,
        }
    else:
        assert "value: secret changed" in out


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_violations_and_errors_are_in_every_format(fmt):
    r = report(repointed())
    r.stacks[0].violations = [Violation("stateful-protected", "urn:x", "protect it")]
    r.stacks[0].errors = [SideError("base", "config", "platform.workers.auth: bad")]

    out = render(fmt, r)

    for text in ("stateful-protected", "protect it", "platform.workers.auth: bad", "base"):
        assert text in out
    assert r.exit_code == 2


def test_policy_not_available_is_said():
    r = report(repointed(), policy_available=False)

    assert "stacks/guards/rules.py" in render_markdown(r)
    assert "stacks/guards/rules.py" in render_text(r).plain
    assert json.loads(render_json(r))["policy"] == {
        "available": False,
        "checked": [],
        "not_checked": ["prod"],
    }


def test_json_schema_is_stable():
    base, head = destroyed()
    head.resources.append(resource("cloudflare:index/queue:Queue", "q", {"queueName": "q"}))
    data = report_to_json(report((base, head)))

    assert (data["schema"], data["schema_version"]) == ("edge-platform/plan-diff", 1)
    assert SCHEMA_VERSION == 1
    assert set(data) == {
        "schema", "schema_version", "base", "allow_destroy", "exit_code", "summary",
        "dangers", "policy", "stacks", "timings_seconds",
    }  # fmt: skip
    assert set(data["summary"]) == {
        "add", "remove", "update", "replace", "move", "dangerous", "violations", "errors",
    }  # fmt: skip
    assert data["summary"]["replace"] == 1 and data["summary"]["add"] == 1
    (stack,) = data["stacks"]
    assert set(stack) == {
        "stack", "base", "working_tree", "errors", "summary", "resources", "outputs", "code",
        "rollout", "violations", "policy_checked",
    }  # fmt: skip
    assert set(stack["resources"][0]) == {
        "op", "urn", "old_urn", "type", "name", "custom", "stateful", "dangerous",
        "may_replace", "protect", "protect_after", "retain_on_delete", "refused", "properties",
        "options",
    }  # fmt: skip
    assert set(data["dangers"][0]) == {
        "stack", "urn", "type", "name", "op", "protect", "protect_after", "retain_on_delete",
        "refused",
    }  # fmt: skip
    assert set(data["timings_seconds"]) == {"base", "working_tree", "total"}


def test_text_marks_replacement_and_unknowns():
    out = render_text(report(destroyed())).plain

    assert '~ name: "mail-metadata" -> "mail-metadata-v2"  (forces replacement)' in out
    assert "bindings[MAIL_DB].id" in out and "mail-metadata is replaced" in out


def replaced_d1(base_protect: bool, head_protect: bool):
    base = base_platform()
    find(base, D1, "mail-metadata").protect = base_protect
    head = edited(base)
    find(head, D1, "mail-metadata").inputs["name"] = "mail-metadata-v2"
    find(head, D1, "mail-metadata").protect = head_protect
    return base, head


def banner(r) -> list[str]:
    lines = render_text(r).plain.splitlines()
    return [line.strip() for line in lines if line.startswith("  prod: ")]  # the risk list


def test_unprotecting_and_replacing_in_one_change_will_replace_not_refused():
    """The engine takes protect from the new state before it replaces: the replace happens."""
    r = report(replaced_d1(base_protect=True, head_protect=False))

    (line,) = banner(r)
    assert line.startswith("prod: cloudflare D1Database mail-metadata will be replaced")
    assert "unprotected by this change" in line and "refuses" not in line
    assert r.exit_code == 3  # still a data-loss risk
    (danger,) = report_to_json(r)["dangers"]
    assert (danger["protect"], danger["protect_after"], danger["refused"]) == (True, False, False)


def test_replacing_what_stays_protected_is_refused():
    r = report(replaced_d1(base_protect=True, head_protect=True))

    (line,) = banner(r)
    assert "mail-metadata would be replaced, but `pulumi up` refuses" in line
    assert report_to_json(r)["dangers"][0]["refused"] is True


def test_protecting_and_replacing_in_one_change_is_not_refused_either():
    """The other direction: the engine refuses only when the old and the new state are both
    protected, so a resource protected by the same change that replaces it is replaced."""
    (line,) = banner(report(replaced_d1(base_protect=False, head_protect=True)))

    assert "mail-metadata will be replaced" in line and "refuses" not in line
    assert "unprotected by this change" not in line


def test_removing_a_protected_resource_is_refused_and_an_unprotected_one_removed():
    def removed(protect: bool):
        base = base_platform()
        find(base, D1, "mail-metadata").protect = protect
        head = edited(base)
        head.resources = [r for r in head.resources if r.type != D1]
        return banner(report((base, head)))

    (refused,) = removed(protect=True)
    (allowed,) = removed(protect=False)
    assert "would be removed, but `pulumi up` refuses: it is protected in the state" in refused
    assert "mail-metadata will be removed" in allowed and "refuses" not in allowed


def one_stack_not_evaluated():
    """prod compared and checked; staging's working tree failed to evaluate."""
    from plan.diff.run import apply_policy, stack_diff
    from plan.diff.sides import SideResult

    base, head = repointed()
    r = report((base, head))
    failed = SideResult(error=SideError("working tree", "config", "platform.workers: bad"))
    r.stacks.append(stack_diff("staging", SideResult(manifest=manifest(stack="staging")), failed))
    apply_policy(r, lambda _manifest: [])
    return r


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_no_violations_is_said_only_of_the_stacks_the_policy_checked(fmt):
    out = render(fmt, one_stack_not_evaluated())

    policy = [line for line in out.splitlines() if "Policy" in line]
    assert policy == [
        f"{'**Policy**' if fmt == 'markdown' else 'Policy'}: no violations (prod)"
        + ("." if fmt == "markdown" else ""),
        f"{'**Policy**' if fmt == 'markdown' else 'Policy'}: not checked on staging "
        "(did not evaluate in the working tree)" + ("." if fmt == "markdown" else ""),
    ]


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_when_no_stack_was_evaluated_no_violations_is_never_said(fmt):
    r = one_stack_not_evaluated()
    r.stacks = r.stacks[1:]

    out = render(fmt, r)

    assert "no violations" not in out
    assert "not checked on staging" in out
    data = report_to_json(r)
    assert data["policy"] == {"available": True, "checked": [], "not_checked": ["staging"]}
    assert data["stacks"][0]["policy_checked"] is False


SIGNING = "fake-signing-4f1c9e0b7a2d"
ROTATED = "fake-signing-88aa01dd93ce"


def signing_secret(value: str | None):
    """The auth worker with a plain-text binding named like a secret (or without it)."""
    m = base_platform()
    if value is not None:
        bindings = find(m, SCRIPT, "auth").inputs["bindings"]
        bindings.append({"name": "SIGNING_SECRET", "type": "plain_text", "text": value})
    return m


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
@pytest.mark.parametrize(
    "change",
    [
        pytest.param((None, SIGNING), id="binding added"),
        pytest.param((SIGNING, ROTATED), id="value changed"),
        pytest.param((SIGNING, None), id="binding removed"),
    ],
)
def test_plain_text_named_like_a_secret_is_masked_not_only_flagged(fmt, change):
    old, new = change
    out = render(fmt, report((signing_secret(old), signing_secret(new))))

    assert "bindings[SIGNING_SECRET]" in out  # the change is still there to review
    assert SIGNING not in out and ROTATED not in out
    assert "(hidden: plain text named like a secret)" in out


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_a_new_stack_with_a_secret_looking_plain_text_does_not_print_it(fmt):
    out = render(fmt, report((None, signing_secret(SIGNING))))

    assert "bindings" in out and SIGNING not in out
    assert "(hidden: plain text named like a secret)" in out


def test_a_changed_masked_value_reads_changed_in_text():
    out = render_text(report((signing_secret(SIGNING), signing_secret(ROTATED)))).plain

    assert (
        "~ bindings[SIGNING_SECRET].text: changed (hidden: plain text named like a secret)" in out
    )


def test_other_plain_text_values_stay_visible():
    base = signing_secret(SIGNING)
    head = edited(base)
    find(head, SCRIPT, "auth").inputs["bindings"][0]["text"] = "debug"  # LOG_LEVEL

    out = render_markdown(report((base, head)))

    assert '- bindings[LOG_LEVEL].text: "info"' in out
    assert '+ bindings[LOG_LEVEL].text: "debug"' in out
