"""The CI access program under the mock runtime: the OIDC provider, the two roles, their policies."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from payments_ci_access.access import DEPLOY_SESSION_SECONDS
from payments_ci_access.policies import DEPLOY_POLICY_PARTS
from payments_policy.records import layer_violations
from payments_tools.harness import REPO_ROOT, LayerRun
from payments_tools.mocks import ACCOUNT_ID, PlanMocks
from payments_tools.plan import run_program
from shared.errors import ConfigError

PROGRAM = REPO_ROOT / "bootstrap" / "ci-access" / "__main__.py"
PROJECT = "payments-ci-access"
ROLE = "aws:iam/role:Role"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"


def run_access(**settings: Any) -> LayerRun:
    config = {f"{PROJECT}:{key}": json.dumps(value) for key, value in settings.items()}
    mocks = PlanMocks()
    outputs = run_program(PROGRAM, project=PROJECT, mocks=mocks, config=config)
    return LayerRun(resources=mocks.resources, outputs=outputs, registrations=mocks.registrations)


@pytest.fixture(scope="module")
def run() -> LayerRun:
    return run_access(github={"repository": "acme/payments", "deployEnvironment": "production"})


def trust(run: LayerRun, name: str) -> dict[str, Any]:
    return json.loads(run.one(ROLE, name)["inputs"]["assumeRolePolicy"])


def test_the_github_oidc_provider_with_the_sts_audience_and_no_thumbprint(run: LayerRun) -> None:
    provider = run.one(OIDC, "github")["inputs"]
    assert provider["url"] == "https://token.actions.githubusercontent.com"
    assert provider["clientIdLists"] == ["sts.amazonaws.com"]
    assert "thumbprintLists" not in provider  # IAM trusts GitHub's CA itself; a pinned thumbprint would only go stale


def test_preview_is_trusted_by_pull_requests_and_deploy_by_the_production_environment(run: LayerRun) -> None:
    subject = "token.actions.githubusercontent.com:sub"
    assert trust(run, "preview")["Statement"][0]["Condition"]["StringEquals"][subject] == "repo:acme/payments:pull_request"
    assert trust(run, "deploy")["Statement"][0]["Condition"]["StringEquals"][subject] == "repo:acme/payments:environment:production"
    assert run.one(ROLE, "preview")["inputs"]["name"] == "payments-ci-preview-role-production-eu1"
    assert run.one(ROLE, "deploy")["inputs"]["name"] == "payments-ci-deploy-role-production-eu1"
    assert run.one(ROLE, "preview")["inputs"]["maxSessionDuration"] == 3600
    assert run.one(ROLE, "deploy")["inputs"]["maxSessionDuration"] == 7200


def test_the_deploy_job_asks_for_the_session_the_deploy_role_allows() -> None:
    job = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "deploy-layer.yml").read_text(encoding="utf-8"))["jobs"]["deploy"]
    credentials = next(s for s in job["steps"] if "configure-aws-credentials@" in s.get("uses", ""))
    assert credentials["with"]["role-duration-seconds"] == DEPLOY_SESSION_SECONDS
    assert job["timeout-minutes"] * 60 == DEPLOY_SESSION_SECONDS


def test_preview_has_one_inline_policy_deploy_three_managed_ones(run: LayerRun) -> None:
    (inline,) = run.of_type("aws:iam/rolePolicy:RolePolicy")
    assert inline["inputs"]["role"] == "payments-ci-preview-role-production-eu1"
    policies = {p["inputs"]["name"]: json.loads(p["inputs"]["policy"]) for p in run.of_type("aws:iam/policy:Policy")}
    assert set(policies) == {f"payments-ci-deploy-{part}-policy-production-eu1" for part in DEPLOY_POLICY_PARTS}
    attachments = run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert {a["inputs"]["role"] for a in attachments} == {"payments-ci-deploy-role-production-eu1"}
    assert {a["inputs"]["policyArn"] for a in attachments} == {f"arn:aws:iam::{ACCOUNT_ID}:policy/{n}" for n in policies}


def test_policies_name_the_bootstrap_bucket_and_keys_of_this_account(run: LayerRun) -> None:
    preview = json.loads(run.of_type("aws:iam/rolePolicy:RolePolicy")[0]["inputs"]["policy"])
    statements = {s["Sid"]: s for s in preview["Statement"]}
    assert statements["ReadPulumiState"]["Resource"] == [f"arn:aws:s3:::payments-state-{ACCOUNT_ID}-bucket-production-eu1/*"]
    (secrets_key,) = statements["DecryptStackSecrets"]["Resource"]
    assert secrets_key.startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/")
    guardrails = json.loads(run.one("aws:iam/policy:Policy", "deploy-guardrails")["inputs"]["policy"])
    denied = next(s for s in guardrails["Statement"] if s["Sid"] == "DenyAdministeringBootstrapKeys")
    assert secrets_key in denied["Resource"]


def test_an_existing_oidc_provider_is_trusted_not_recreated() -> None:
    run = run_access(github={"repository": "acme/payments", "createOidcProvider": False})
    assert run.of_type(OIDC) == []
    principal = trust(run, "deploy")["Statement"][0]["Principal"]
    assert principal == {"Federated": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"}
    assert run.outputs["oidcProviderArn"] == principal["Federated"]


def test_a_malformed_repository_setting_is_refused_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"github\.repository"):
        run_access(github={"repository": "acme/pay ments"})


def test_the_shipped_placeholder_repository_is_refused_before_any_role_is_registered() -> None:
    mocks = PlanMocks()
    with pytest.raises(ConfigError, match=r"github\.repository: example-org/payments-platform is the example placeholder"):
        run_program(PROGRAM, project=PROJECT, mocks=mocks, config={})
    assert [r["type"] for r in mocks.resources if not r["type"].startswith("pulumi:providers:")] == []


def test_the_policy_pack_bootstrap_access_runs_with_finds_nothing(run: LayerRun) -> None:
    assert layer_violations(run.resources) == []


def test_the_provider_refuses_the_dev_account_like_every_layers(run: LayerRun) -> None:
    (provider,) = [r for r in run.resources if r["type"] == "pulumi:providers:aws"]
    assert provider["inputs"]["region"] == "eu-west-1"
    dev_account = json.loads((REPO_ROOT / "config" / "dev-environment.json").read_text(encoding="utf-8"))["accountId"]
    assert json.loads(provider["inputs"]["forbiddenAccountIds"]) == [dev_account]
