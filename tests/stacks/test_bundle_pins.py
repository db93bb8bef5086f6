"""A worker's code is pinned in the stack file: its source and SHA-256. Nothing deploys bytes
other than the pin, and the plan shows the pinned hash whether or not the bytes are fetched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plan.cli import app
from stacks.errors import ConfigError
from stacks.loader import ConfigKey, load
from tests.support.project import evaluate_project, find, platform_of, write_project

SET_AS_SECRET = ConfigKey(present=True, secret=True)
CODE = b"export default { fetch() { return new Response('auth v1.5.0') } }\n"
CODE_SHA = hashlib.sha256(CODE).hexdigest()
runner = CliRunner()


def load_pins(platform: dict, root: Path, missing_bundles: str = "unknown"):
    return load(
        "staging",
        platform,
        project_dir=root,
        config_key=lambda _key: SET_AS_SECRET,
        missing_bundles=missing_bundles,
    )


def problems_of(platform: dict, root: Path, missing_bundles: str = "unknown") -> list[str]:
    with pytest.raises(ConfigError) as failed:
        load_pins(platform, root, missing_bundles)
    return [str(p) for p in failed.value.problems]


def released(platform: dict, tag: str = "v1.5.0", sha256: str = CODE_SHA) -> dict:
    platform["workers"]["auth"]["bundle"] = {"release": tag, "asset": "auth.js", "sha256": sha256}
    return platform


def test_a_pin_that_does_not_match_the_bytes_is_a_config_error_with_both_hashes(tmp_path):
    p = platform_of("staging")
    write_project(tmp_path, "staging", p)
    (tmp_path / p["workers"]["auth"]["bundle"]["path"]).write_bytes(CODE)  # edited, not re-pinned
    pinned = p["workers"]["auth"]["bundle"]["sha256"]

    (problem,) = problems_of(p, tmp_path)

    assert problem.startswith("edge-platform:platform.workers.auth.bundle.sha256: ")
    assert f"pins {pinned[:12]}…" in problem and f"on disk is {CODE_SHA[:12]}…" in problem
    assert pinned not in problem  # shortened, not pasted whole


def test_a_mismatch_exits_2_from_plan_show_before_anything_is_planned(tmp_path):
    p = platform_of("staging")
    write_project(tmp_path, "staging", p)
    (tmp_path / p["workers"]["auth"]["bundle"]["path"]).write_bytes(CODE)

    result = runner.invoke(app, ["--config-dir", str(tmp_path), "show", "staging"])

    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "workers.auth.bundle.sha256: pins " in result.stderr
    assert f"on disk is {CODE_SHA[:12]}…" in result.stderr


def test_an_unpinned_bundle_is_refused_with_the_pinned_form_to_write(tmp_path):
    p = platform_of("staging")
    p["workers"]["auth"]["bundle"] = "examples/workers/auth.js"

    (problem,) = problems_of(p, tmp_path)

    assert problem.startswith("edge-platform:platform.workers.auth.bundle: ")
    assert "unpinned" in problem and "{path: examples/workers/auth.js, sha256:" in problem


@pytest.mark.parametrize(
    ("bundle", "expected"),
    [
        ({"path": "a.js", "release": "v1", "asset": "a.js", "sha256": CODE_SHA}, "not both"),
        ({"release": "v1", "sha256": CODE_SHA}, "`asset` missing"),
        ({"sha256": CODE_SHA}, "`release` and `asset` missing"),
        ({"path": "a.js"}, "sha256"),
        ({"path": "a.js", "sha256": "3f2a"}, "64 lowercase hexadecimal"),
        ({"release": "v1", "asset": "../a.js", "sha256": CODE_SHA}, "without '/'"),
    ],
)
def test_malformed_pins_name_the_problem(tmp_path, bundle, expected):
    p = platform_of("staging")
    p["workers"]["auth"]["bundle"] = bundle

    found = problems_of(p, tmp_path)

    assert any(
        f.startswith("edge-platform:platform.workers.auth.bundle") and expected in f for f in found
    ), found


def test_a_release_pin_not_fetched_plans_with_its_pinned_hash_but_up_refuses(tmp_path):
    p = released(platform_of("staging"))
    write_project(tmp_path, "staging", p, bundles=False)
    for key in ("bookmarks-mail-worker", "dispatcher"):
        file = tmp_path / p["workers"][key]["bundle"]["path"]
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(
            (Path(__file__).parents[2] / p["workers"][key]["bundle"]["path"]).read_bytes()
        )

    planned = load_pins(p, tmp_path)
    assert planned.bundles["auth"].sha256 == CODE_SHA and not planned.bundles["auth"].present

    (problem,) = problems_of(p, tmp_path, missing_bundles="error")
    assert problem.startswith("edge-platform:platform.workers.auth.bundle: ")
    assert "bundles/v1.5.0/auth.js" in problem and "release v1.5.0" in problem


def test_a_fetched_release_asset_is_uploaded_from_bundles_tag_asset(tmp_path):
    p = released(platform_of("staging"))
    write_project(tmp_path, "staging", p)
    (tmp_path / "bundles/v1.5.0/auth.js").write_bytes(CODE)
    p = released(p)  # write_project pinned its own stand-in bytes; pin the release's again
    write_project(tmp_path, "staging", p, bundles=False)

    manifest = evaluate_project(tmp_path, "staging")

    [stable] = manifest.outputs["workers"]["auth"]["versions"]
    assert stable["sha256"] == CODE_SHA  # the pin (the provider hashes the file it uploads)
    version = find(manifest, "workerVersion:WorkerVersion", f"auth-version-{stable['key']}")
    assert [m["contentFile"] for m in version.inputs["modules"]] == ["bundles/v1.5.0/auth.js"]
    assert manifest.outputs["workers"]["auth"]["bundle"] == {
        "release": "v1.5.0",
        "asset": "auth.js",
        "sha256": CODE_SHA,
    }
