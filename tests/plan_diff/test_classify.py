"""Diff classification on hand-built manifests: what a reviewer is told about each resource."""

from __future__ import annotations

from plan.diff.classify import diff_manifests
from plan.diff.model import ABSENT
from plan.manifest import SECRET, UNKNOWN
from tests.plan_diff.builders import (
    D1,
    KV,
    MAIL_DNS,
    QUEUE,
    RECORD,
    SCRIPT,
    STORE_SECRET,
    WORKER,
    base_platform,
    d1,
    edited,
    find,
    manifest,
    resource,
)


def auth_bindings(m):
    return find(m, SCRIPT, "auth").inputs["bindings"]


def test_identical_manifests_have_no_changes():
    assert diff_manifests(base_platform(), base_platform()) == ([], [])


def test_repointed_service_binding_is_one_property_update():
    base = base_platform()
    head = edited(base)
    auth_bindings(head)[1]["service"] = "bookmarks-mail-worker"

    changes, outputs = diff_manifests(base, head)

    assert outputs == []
    (change,) = changes
    assert (change.op, change.type, change.name) == ("update", SCRIPT, "auth")
    (prop,) = change.properties
    assert (prop.path, prop.old, prop.new) == (
        "bindings[MAIL_SERVICE].service",
        "cosmos-mail-worker",
        "bookmarks-mail-worker",
    )
    assert not prop.replaces and not change.dangerous


def test_reordered_bindings_are_not_a_change():
    base = base_platform()
    head = edited(base)
    auth_bindings(head).reverse()

    assert diff_manifests(base, head) == ([], [])


def test_added_binding_is_keyed_by_its_name():
    base = base_platform()
    head = edited(base)
    auth_bindings(head).insert(0, {"name": "AUDIT", "type": "plain_text", "text": "on"})

    (change,) = diff_manifests(base, head)[0]
    (prop,) = change.properties
    assert (prop.path, prop.kind, prop.old) == ("bindings[AUDIT]", "add", ABSENT)


def test_added_and_removed_resources():
    base = base_platform()
    head = edited(base)
    head.resources = [r for r in head.resources if r.type != KV]
    head.resources.append(resource(QUEUE, "mail-outbox", {"queueName": "mail-outbox"}))

    changes = diff_manifests(base, head)[0]

    assert [(c.op, c.name) for c in changes] == [("add", "mail-outbox"), ("remove", "mail-state")]
    assert [c.name for c in changes if c.dangerous] == ["mail-state"]  # KV data goes with it
    assert not changes[0].dangerous  # a new queue loses nothing


def test_renamed_d1_database_is_replaced_and_dangerous():
    base = base_platform()
    head = edited(base)
    find(head, D1, "mail-metadata").inputs["name"] = "mail-metadata-v2"

    (change, *_), _ = diff_manifests(base, head)

    assert (change.op, change.name) == ("replace", "mail-metadata")
    assert change.properties[0].replaces
    assert change.dangerous and change.protect and change.retain_on_delete


def test_replacement_makes_referring_ids_known_only_after_apply():
    base = base_platform()
    head = edited(base)
    find(head, D1, "mail-metadata").inputs["name"] = "mail-metadata-v2"

    changes = {c.name: c for c in diff_manifests(base, head)[0]}

    (prop,) = changes["bookmarks-mail-worker"].properties
    assert (prop.path, prop.old, prop.new) == (
        "bindings[MAIL_DB].id",
        "<mail-metadata.id>",
        UNKNOWN,
    )
    assert prop.cause == "mail-metadata is replaced"
    assert changes["bookmarks-mail-worker"].op == "update"


def test_account_id_replaces_any_cloudflare_resource_but_kv_title_updates_in_place():
    base = base_platform()
    head = edited(base)
    find(head, KV, "mail-state").inputs["title"] = "mail-state-renamed"
    retitled = diff_manifests(base, head)[0]
    find(head, KV, "mail-state").inputs["accountId"] = "another-account"
    moved_account = diff_manifests(base, head)[0]

    assert [(c.op, c.dangerous) for c in retitled] == [("update", False)]
    kv = [c for c in moved_account if c.type == KV]
    assert [(c.op, c.dangerous) for c in kv] == [("replace", True)]


def test_unknown_value_on_a_replace_key_may_replace():
    base = base_platform()
    head = edited(base)
    find(head, D1, "mail-metadata").inputs["primaryLocationHint"] = UNKNOWN

    (change,) = diff_manifests(base, head)[0]

    assert change.op == "update" and change.may_replace and change.dangerous
    assert change.properties[0].may_replace and not change.properties[0].replaces


def test_rename_through_an_alias_is_a_move_not_remove_and_add():
    base = manifest(resource(QUEUE, "outbox", {"queueName": "mail-outbox"}))
    old_urn = base.resources[0].urn
    head = manifest(
        resource(QUEUE, "mail-outbox", {"queueName": "mail-outbox"}, aliases=["alias(name=outbox)"])
    )

    (change,) = diff_manifests(base, head)[0]

    assert (change.op, change.name, change.old_urn) == ("move", "mail-outbox", old_urn)
    assert not change.dangerous


def test_without_the_alias_the_same_rename_destroys_the_queue():
    base = manifest(resource(QUEUE, "outbox", {"queueName": "mail-outbox"}))
    head = manifest(resource(QUEUE, "mail-outbox", {"queueName": "mail-outbox"}))

    changes = diff_manifests(base, head)[0]

    assert sorted(c.op for c in changes) == ["add", "remove"]
    assert [c.op for c in changes if c.dangerous] == ["remove"]


def test_children_follow_their_parent_component_alias():
    old_parent = resource(WORKER, "mailer")
    base = manifest(old_parent, resource(SCRIPT, "mailer", {"scriptName": "m"}, parent=old_parent))
    new_parent = resource(WORKER, "mail", aliases=["alias(name=mailer)"])
    head = manifest(new_parent, resource(SCRIPT, "mail", {"scriptName": "m"}, parent=new_parent))

    changes = diff_manifests(base, head)[0]

    assert sorted((c.op, c.type) for c in changes) == [("move", SCRIPT), ("move", WORKER)]


def test_moving_into_a_component_with_a_root_alias_is_a_parent_move():
    base = manifest(resource(QUEUE, "outbox", {"queueName": "q"}))
    component = resource("edge:cloudflare:QueueWithDeadLetter", "outbox")
    child = resource(QUEUE, "outbox", {"queueName": "q"}, parent=component)
    child.aliases = ["alias(parent=<root>)"]
    head = manifest(component, child)

    changes = {c.type: c for c in diff_manifests(base, head)[0]}

    moved = changes[QUEUE]
    assert moved.op == "move" and moved.old_urn == base.resources[0].urn
    assert [(o.option, o.old, o.new) for o in moved.options] == [
        ("parent", base.resources[0].parent, component.urn)
    ]
    assert changes["edge:cloudflare:QueueWithDeadLetter"].op == "add"


def test_protect_change_is_an_option_update():
    base = base_platform()
    head = edited(base)
    find(head, KV, "mail-state").protect = False

    (change,) = diff_manifests(base, head)[0]

    assert change.op == "update" and change.properties == []
    assert [(o.option, o.old, o.new) for o in change.options] == [("protect", True, False)]


def secret(digest: str):
    return resource(
        STORE_SECRET,
        "secrets-resend-api-key",
        {"name": "RESEND_API_KEY", "value": SECRET, "storeId": "s"},
        secret_inputs=["value"],
        secret_digests={"value": digest},
    )


def test_rotated_secret_reads_secret_changed_without_any_value():
    (change,) = diff_manifests(manifest(secret("aaaa1111")), manifest(secret("bbbb2222")))[0]

    (prop,) = change.properties
    assert (prop.path, prop.secret, prop.kind) == ("value", True, "update")
    assert {prop.old, prop.new} == {SECRET}
    assert change.op == "update"


def test_unchanged_secret_is_no_change():
    assert diff_manifests(manifest(secret("aaaa1111")), manifest(secret("aaaa1111"))) == ([], [])


def test_missing_stack_on_one_side_is_all_added_or_all_removed():
    platform = base_platform()
    added = diff_manifests(None, platform)[0]
    removed = diff_manifests(platform, None)[0]

    assert {c.op for c in added} == {"add"} and len(added) == len(platform.resources)
    assert {c.op for c in removed} == {"remove"} and len(removed) == len(platform.resources)
    assert sorted(c.name for c in removed if c.dangerous) == ["mail-metadata", "mail-state"]


def test_output_changes_are_reported():
    base = base_platform()
    head = edited(base)
    head.outputs["workers"]["auth"]["scriptName"] = "auth-v2"

    outputs = diff_manifests(base, head)[1]

    assert [(p.path, p.old, p.new) for p in outputs] == [
        ("workers.auth.scriptName", "auth", "auth-v2")
    ]


def test_route53_records_are_stateful_only_in_the_mail_component():
    component = resource(MAIL_DNS, "mail-dns")
    dkim = resource(RECORD, "mail-dns-dkim", {"zoneId": "Z1", "name": "a"}, parent=component)
    other = resource(RECORD, "www", {"zoneId": "Z1", "name": "www"})
    base = manifest(component, dkim, other)
    head = edited(base)
    for record in head.resources[1:]:
        record.inputs["name"] += ".renamed"

    changes = {c.name: c for c in diff_manifests(base, head)[0]}

    assert changes["mail-dns-dkim"].op == changes["www"].op == "replace"
    assert changes["mail-dns-dkim"].dangerous and not changes["www"].dangerous


def test_d1_protect_is_recorded_before_and_after():
    base = manifest(d1())
    head = manifest(d1("renamed", protect=False))

    (change,) = diff_manifests(base, head)[0]

    assert change.op == "replace" and (change.protect, change.protect_after) == (True, False)
    assert not change.refused  # unprotected and replaced in one update: the engine allows it


CUSTOM_DOMAIN = "cloudflare:index/workersCustomDomain:WorkersCustomDomain"


def custom_domain(**inputs):
    values = {"accountId": "a", "hostname": "mail.example.com", "service": "mail", **inputs}
    return manifest(resource(CUSTOM_DOMAIN, "mail-mail.example.com", values))


def domain_change(base: dict, head: dict):
    (change,) = diff_manifests(custom_domain(**base), custom_domain(**head))[0]
    return change.op, [(p.path, p.replaces) for p in change.properties]


def test_custom_domain_hostname_and_service_replace_it():
    assert domain_change({}, {"hostname": "mail2.example.com"}) == (
        "replace",
        [("hostname", True)],
    )
    assert domain_change({}, {"service": "mail-v2"}) == ("replace", [("service", True)])


def test_custom_domain_zone_id_replaces_when_set_but_not_when_dropped():
    """Upstream: RequiresReplaceIfConfigured; a zone id the program stops setting stays as is."""
    assert domain_change({"zoneId": "z1"}, {"zoneId": "z2"}) == ("replace", [("zoneId", True)])
    assert domain_change({}, {"zoneId": "z1"}) == ("update", [("zoneId", False)])
    assert domain_change({"zoneId": "z1"}, {}) == ("update", [("zoneId", False)])
    assert domain_change({"zoneId": "z1"}, {"zoneId": None}) == ("update", [("zoneId", False)])


def test_custom_domain_zone_id_set_for_the_first_time_may_replace_it():
    """Compared with the zone the provider computed, which only the provider knows."""
    (change,) = diff_manifests(custom_domain(), custom_domain(zoneId="z1"))[0]

    (prop,) = change.properties
    assert change.op == "update" and change.may_replace
    assert prop.may_replace and prop.cause.startswith("replaces unless it equals")
