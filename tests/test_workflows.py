"""The GitHub workflows' contract: pinned actions, minimal permissions, the deploy chain, OIDC only where needed.

actionlint and zizmor (`make lint`) check syntax and security in general; these check what this
project promises about its own pipeline.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from payments_tools.harness import REPO_ROOT
from shared.settings import LAYERS

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"uses: (\S+) # v\d+\.\d+\.\d+\s*$")


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_with_its_version_in_a_comment(path: Path) -> None:
    for line in path.read_text(encoding="utf-8").splitlines():
        if "uses:" not in line or "uses: ./" in line:
            continue
        ref = line.split("uses:", 1)[1].split("#", 1)[0].strip()
        assert PINNED.match(ref), line
        assert VERSION_COMMENT.search(line), f"no `# vX.Y.Z` comment: {line.strip()}"


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_no_workflow_grants_anything_by_default_and_only_preview_and_deploy_get_oidc(path: Path) -> None:
    workflow = load(path.name)
    assert workflow["permissions"] == {}, path.name
    for name, job in workflow["jobs"].items():
        permissions = job.get("permissions")
        assert permissions is not None, f"{path.name}:{name} must state its permissions"
        assert set(permissions) <= {"contents", "id-token"}, f"{path.name}:{name}"
        assert permissions.get("contents") in (None, "read"), f"{path.name}:{name}"
        if permissions.get("id-token") == "write":
            assert (path.name, name) in {
                ("pull-request.yml", "preview"),
                ("deploy-layer.yml", "deploy"),
                *(("deploy.yml", layer) for layer in LAYERS),
            }, f"{path.name}:{name} needs no OIDC token"
        for step in steps(job):
            if "actions/checkout@" in step.get("uses", ""):
                assert step["with"]["persist-credentials"] is False, f"{path.name}:{name}"


def test_pull_requests_lint_test_plan_and_upload_the_plan() -> None:
    checks = load("pull-request.yml")["jobs"]["checks"]
    runs = [s["run"] for s in steps(checks) if "run" in s]
    assert runs == ["make setup", "make lint", "make test", "make plan"]
    upload = next(s for s in steps(checks) if "actions/upload-artifact@" in s.get("uses", ""))
    assert upload["with"]["path"] == "build/plan.json"


def test_previews_each_affected_layer_with_the_preview_role_into_the_job_summary() -> None:
    workflow = load("pull-request.yml")
    preview = workflow["jobs"]["preview"]
    assert preview["strategy"]["matrix"]["layer"] == "${{ fromJSON(needs.changes.outputs.layers) }}"
    assert "head.repo.full_name == github.repository" in preview["if"]
    credentials = next(s for s in steps(preview) if "configure-aws-credentials@" in s.get("uses", ""))
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    assert credentials["with"]["aws-region"] == "eu-west-1"
    assert "aws-access-key-id" not in credentials["with"]
    runs = "\n".join(s.get("run", "") for s in steps(preview))
    assert 'make preview-"$LAYER"' in runs and "GITHUB_STEP_SUMMARY" in runs
    changes = "\n".join(s.get("run", "") for s in steps(workflow["jobs"]["changes"]))
    assert "changed_layers.py" in changes


def test_main_deploys_the_layers_in_order_each_after_every_earlier_one() -> None:
    workflow = load("deploy.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    for i, layer in enumerate(LAYERS):
        job = jobs[layer]
        assert job["needs"] == ["changes", *LAYERS[:i]], layer
        assert job["uses"] == "./.github/workflows/deploy-layer.yml" and job["with"]["layer"] == layer
        assert f"needs.changes.outputs.{layer} == 'true'" in job["if"]
        assert "!contains(needs.*.result, 'failure')" in job["if"] and "!cancelled()" in job["if"]
        assert job["concurrency"] == {"group": f"pulumi-{layer}-prod", "cancel-in-progress": False}
    assert set(jobs["changes"]["outputs"]) == set(LAYERS)


def test_a_layer_deploy_runs_in_production_with_the_deploy_role_and_preflight_first() -> None:
    workflow = load("deploy-layer.yml")
    job = workflow["jobs"]["deploy"]
    assert job["environment"] == "production"
    assert job["env"]["YES"] == "1"
    credentials = next(s for s in steps(job) if "configure-aws-credentials@" in s.get("uses", ""))
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    runs = [s["run"] for s in steps(job) if "run" in s]
    assert runs == ["make setup-deploy", "make preflight", 'make up-"$LAYER"']
    assert any("pulumi/actions@" in s.get("uses", "") for s in steps(job))


def test_the_deploy_environment_name_is_the_one_the_deploy_role_trusts() -> None:
    from shared.settings import load_settings

    assert load("deploy-layer.yml")["jobs"]["deploy"]["environment"] == load_settings(REPO_ROOT).github.deploy_environment


def test_ci_installs_the_pulumi_cli_the_python_sdk_is_pinned_to() -> None:
    pinned = re.search(r"^pulumi==(\S+)$", (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8"), re.MULTILINE)
    assert pinned
    assert (REPO_ROOT / ".pulumi-version").read_text(encoding="utf-8").strip() == pinned.group(1)


# --- the linters `make lint` runs really fail on a bad workflow ------------------------------

BAD_WORKFLOW = """\
name: bad
on: pull_request_target
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
      - run: echo ${{ nope.value }}
"""


def test_actionlint_reports_an_undefined_context_and_fails(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(BAD_WORKFLOW, encoding="utf-8")
    result = subprocess.run(
        ["node", str(REPO_ROOT / "tools" / "actionlint.mjs"), str(tmp_path)], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert 'undefined variable "nope"' in result.stderr
    assert '"github.event.pull_request.title" is potentially untrusted' in result.stderr


def test_actionlint_fails_when_there_is_no_workflow_to_lint(tmp_path: Path) -> None:
    script = REPO_ROOT / "tools" / "actionlint.mjs"
    result = subprocess.run(["node", str(script), str(tmp_path)], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 1 and "no workflow" in result.stderr


def test_zizmor_offline_flags_an_insecure_workflow(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(BAD_WORKFLOW, encoding="utf-8")
    zizmor = Path(sys.executable).parent / "zizmor"
    result = subprocess.run([str(zizmor), "--offline", "--quiet", str(tmp_path / "bad.yml")], capture_output=True, text=True)
    assert result.returncode != 0
    for audit in ("dangerous-triggers", "template-injection", "unpinned-uses"):
        assert audit in result.stdout, audit
