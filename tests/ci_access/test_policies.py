"""The CI roles' policies as data: who may assume them, what each may do, what neither may ever do."""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

import pytest

from payments_ci_access.policies import (
    DEPLOY_POLICY_PARTS,
    GLOBAL_SERVICES,
    MANAGED_POLICY_MAX_CHARS,
    CiScope,
    ci_role_name,
    deploy_role_policies,
    github_trust_policy,
    grants,
    oidc_provider_arn,
    preview_role_policy,
)
from payments_tools.harness import REPO_ROOT
from payments_tools.mocks import ACCOUNT_ID

from .conftest import SECRETS_KEY, STATE_KEY, lint, make_scope

INLINE_POLICIES_MAX_CHARS = 10240
"""IAM's limit on all of a role's inline policies together, whitespace not counted."""
CI_ROLES = (ci_role_name("preview", "eu1"), ci_role_name("deploy", "eu1"))
CI_POLICIES = tuple(f"arn:aws:iam::{ACCOUNT_ID}:policy/payments-ci-deploy-{p}-policy-production-eu1" for p in DEPLOY_POLICY_PARTS)
DATA_READS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:ExportTableToPointInTime",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "secretsmanager:GetSecretValue",
    "kms:Decrypt",
    "backup:StartRestoreJob",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
)
"""Reads of payment data (or of what decrypts it). A role may only have one where a test below says so.
(lambda:GetFunction is not here: the provider reads functions with it, and the code it exposes is this repository's.)"""


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allows(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in policy["Statement"] if s["Effect"] == "Allow"]


def pairs(policy: dict[str, Any]) -> set[tuple[str, str]]:
    return {(a, r) for s in allows(policy) for a in as_list(s["Action"]) for r in as_list(s["Resource"])}


def deploy(scope: CiScope) -> dict[str, dict[str, Any]]:
    return deploy_role_policies(scope, CI_ROLES, CI_POLICIES)


def union(policies: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [s for p in policies.values() for s in p["Statement"]]}


# --- trust --------------------------------------------------------------------------------


@pytest.mark.parametrize("subject", ["pull_request", "environment:production"])
def test_trust_is_one_subject_of_one_repository_with_the_sts_audience(subject: str) -> None:
    policy = github_trust_policy(ACCOUNT_ID, "acme/payments", subject)
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Federated": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": f"repo:acme/payments:{subject}",
        }
    }
    assert lint(policy, kind="trust") == []


@pytest.mark.parametrize("repository", ["acme/*", "acme", "acme/payments/extra", "*/payments"])
def test_a_repository_that_is_not_exactly_owner_slash_repo_is_refused(repository: str) -> None:
    with pytest.raises(ValueError, match=r"github\.repository"):
        github_trust_policy(ACCOUNT_ID, repository, "pull_request")


def test_a_wildcard_subject_is_refused() -> None:
    with pytest.raises(ValueError, match="subject"):
        github_trust_policy(ACCOUNT_ID, "acme/payments", "environment:*")


# --- preview --------------------------------------------------------------------------------


def test_preview_only_reads(scope: CiScope) -> None:
    for action, _ in pairs(preview_role_policy(scope)):
        verb = action.split(":")[1]
        # kms:Decrypt reads too (the state and the stack secrets; which keys: the next test).
        assert verb.startswith(("Get", "List", "Describe")) or action in ("apigateway:GET", "kms:Decrypt"), action


def test_preview_reads_no_payment_data_and_decrypts_only_state_and_secrets(scope: CiScope) -> None:
    policy = preview_role_policy(scope)
    for action, resource in pairs(policy):
        if action == "s3:GetObject":
            assert resource == f"arn:aws:s3:::{scope.state_bucket}/*"
        elif action == "kms:Decrypt":
            assert resource in (STATE_KEY, SECRETS_KEY)
        else:
            assert action not in DATA_READS, action
    # Pulumi's S3 backend takes no lock for a preview: the preview role never writes state.
    assert not any(a.startswith("s3:Put") or a.startswith("s3:Delete") for a, _ in pairs(policy))


def test_preview_passes_parliament_and_fits_a_roles_inline_policies(scope: CiScope) -> None:
    assert lint(preview_role_policy(scope)) == []
    longest = make_scope(suffix="abcdefgh", hosted_zone_id="Z0123456789ABCDEFGHIJKLMNOPQ")
    assert len(json.dumps(preview_role_policy(longest), separators=(",", ":"))) <= INLINE_POLICIES_MAX_CHARS


# --- deploy ---------------------------------------------------------------------------------


def test_deploy_fits_iams_managed_policy_size_even_with_the_longest_names(lint: Any) -> None:
    longest = make_scope(suffix="abcdefgh", hosted_zone_id="Z0123456789ABCDEFGHIJKLMNOPQ")
    policies = deploy_role_policies(longest, (ci_role_name("preview", "abcdefgh"), ci_role_name("deploy", "abcdefgh")), CI_POLICIES)
    assert list(policies) == list(DEPLOY_POLICY_PARTS)
    for part, policy in policies.items():
        assert len(json.dumps(policy, separators=(",", ":"))) <= MANAGED_POLICY_MAX_CHARS, part


def test_deploy_passes_parliament_but_for_the_documented_bucket_policy_finding(scope: CiScope) -> None:
    for part, policy in deploy(scope).items():
        assert lint(policy, kind="deploy") == [], part


def test_every_preview_grant_is_a_deploy_grant_too(scope: CiScope) -> None:
    deploy_pairs = pairs(union(deploy(scope)))
    preview_pairs = pairs(preview_role_policy(scope)) - {("s3:GetObject", f"arn:aws:s3:::{scope.state_bucket}/*")}
    assert preview_pairs <= deploy_pairs


def test_deploy_resources_are_this_environments_names_or_account_scoped(scope: CiScope) -> None:
    generated_ids = (
        "backup-plan:*",
        "certificate/*",
        "key/*",
        "/restapis",
        "/domainnames",
        "/account",
        "/tags/*",
        "managedruleset/*/*",
        "API-Gateway-Execution-Logs_*",
        "/aws/apigateway/*",
        "change/*",
        "code-signing-config:*",
        "/signing-jobs/*",
        "_production_eu1",
    )
    for action, resource in pairs(union(deploy(scope))):
        if resource == "*":
            continue
        assert (
            "-production-eu1" in resource
            or any(g in resource for g in generated_ids)
            or resource.startswith("arn:aws:route53:::hostedzone/Z0123456789EXAMPLE")
            or resource in (STATE_KEY, SECRETS_KEY)
        ), (action, resource)
        if ":eu-west-1:" not in resource and not resource.startswith(("arn:aws:iam::", "arn:aws:s3:::", "arn:aws:route53:::")):
            assert resource.startswith(f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/"), resource


def test_deploy_reads_no_payment_data(scope: CiScope) -> None:
    artifacts = "arn:aws:s3:::payments-lambda-artifacts-production-eu1/*"  # the data layer's artifacts bucket
    for statement in allows(union(deploy(scope))):
        for action in statement["Action"]:
            for resource in statement["Resource"]:
                if action in ("s3:GetObject", "s3:GetObjectVersion"):
                    assert resource in (artifacts, f"arn:aws:s3:::{scope.state_bucket}/*")
                elif action == "kms:Decrypt":
                    if resource in (STATE_KEY, SECRETS_KEY):
                        continue
                    # Project keys only through S3 (where only the artifacts can be read) and Lambda.
                    assert statement["Condition"]["StringEquals"]["kms:ViaService"] == [
                        "lambda.eu-west-1.amazonaws.com",
                        "s3.eu-west-1.amazonaws.com",
                    ], statement["Sid"]
                    assert statement["Condition"]["StringEquals"]["aws:ResourceTag/Environment"] == "production"
                else:
                    assert action not in DATA_READS, action


def test_deploy_can_upload_the_lambda_artifacts_into_their_sse_kms_bucket(scope: CiScope) -> None:
    statements = {s["Sid"]: s for s in allows(union(deploy(scope)))}
    assert "s3:PutObject" in statements["ManageLambdaArtifacts"]["Action"]
    assert "kms:GenerateDataKey" in statements["ChangeUseProjectKeysThroughS3AndLambda"]["Action"]


def test_deploy_passes_roles_only_to_the_layers_services_and_attaches_only_their_managed_policies(scope: CiScope) -> None:
    statements = {s["Sid"]: s for s in allows(union(deploy(scope)))}
    assert statements["ChangePassRolesToTheLayersServices"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": ["apigateway.amazonaws.com", "backup.amazonaws.com", "lambda.amazonaws.com"]}
    }
    attach = statements["ChangeAttachOnlyTheLayersManagedPolicies"]
    assert set(attach["Action"]) == {"iam:AttachRolePolicy", "iam:DetachRolePolicy"}
    assert all(arn.startswith("arn:aws:iam::aws:policy/service-role/") for arn in attach["Condition"]["ArnEquals"]["iam:PolicyARN"])
    for s in allows(union(deploy(scope))):
        assert not any(a in ("iam:PassRole", "iam:AttachRolePolicy") for a in s["Action"]) or "Condition" in s, s["Sid"]
        assert not any(a.endswith(":*") or a == "*" for a in s["Action"]), s["Sid"]
        assert not any(a.startswith("iam:") and "Policy" in a and "Role" not in a for a in s["Action"]), s["Sid"]


def test_deploy_can_change_neither_the_ci_access_nor_the_bootstrap(scope: CiScope) -> None:
    denies = {s["Sid"]: s for s in deploy(scope)["guardrails"]["Statement"] if s["Effect"] == "Deny"}
    ci = denies["DenyChangingCiAccess"]
    assert ci["Action"] == "iam:*"
    assert set(ci["Resource"]) == {
        f"arn:aws:iam::{ACCOUNT_ID}:role/payments-ci-preview-role-production-eu1",
        f"arn:aws:iam::{ACCOUNT_ID}:role/payments-ci-deploy-role-production-eu1",
        oidc_provider_arn(ACCOUNT_ID),
        *CI_POLICIES,
    }
    # The role name pattern the deploy role manages would otherwise match the CI roles themselves.
    role_grant = next(g for g in grants(scope) if g.sid == "Roles")
    assert any(fnmatch.fnmatch(r.rsplit("/", 1)[1], role_grant.resources[0].rsplit("/", 1)[1]) for r in ci["Resource"] if ":role/" in r)
    storage = denies["DenyChangingStateStorage"]
    assert set(storage["Resource"]) == {f"arn:aws:s3:::{scope.state_bucket}", f"arn:aws:s3:::{scope.log_bucket}"}
    assert {"s3:PutBucketPolicy", "s3:PutBucketVersioning", "s3:DeleteBucket", "s3:PutEncryptionConfiguration"} <= set(storage["Action"])
    assert denies["DenyDeletingStateVersions"]["Resource"] == [f"arn:aws:s3:::{scope.state_bucket}/*"]
    keys = denies["DenyAdministeringBootstrapKeys"]
    assert keys["Resource"] == sorted([STATE_KEY, SECRETS_KEY])
    assert keys["NotAction"] == ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]


@pytest.mark.parametrize("role", ["preview", "deploy"])
def test_both_roles_deny_everything_outside_eu_west_1_but_global_services(role: str, scope: CiScope) -> None:
    policy = preview_role_policy(scope) if role == "preview" else union(deploy(scope))
    (deny,) = [s for s in policy["Statement"] if s.get("Sid") == "DenyOutsideProductionRegion"]
    assert deny["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}
    assert deny["Resource"] == "*"
    exempt = deny["NotAction"]
    assert exempt and all(a.split(":")[0] in GLOBAL_SERVICES for a in exempt)
    # Exactly the global actions the role is allowed: nothing regional escapes the deny.
    allowed_global = {a for a, _ in pairs(policy) if a.split(":")[0] in GLOBAL_SERVICES}
    assert set(exempt) == allowed_global


def test_without_a_hosted_zone_no_dns_grant(scope: CiScope) -> None:
    no_zone = make_scope(hosted_zone_id=None)
    assert not any(a.startswith("route53:Change") for a, _ in pairs(union(deploy(no_zone))))
    assert ("route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z0123456789EXAMPLE") in pairs(union(deploy(scope)))


# Which IAM service creates a resource of a pulumi_aws module (or of one class of it).
IAM_SERVICE = {
    "acm": "acm",
    "apigateway": "apigateway",
    "backup": "backup",
    "dynamodb": "dynamodb",
    "iam": "iam",
    "kms": "kms",
    "lambda_": "lambda",
    "route53": "route53",
    "s3": "s3",
    "sns": "sns",
    "wafv2": "wafv2",
    "signer": "signer",
    "cloudwatch.LogGroup": "logs",
    "cloudwatch.LogResourcePolicy": "logs",
    "cloudwatch.MetricAlarm": "cloudwatch",
    "cloudwatch.Dashboard": "cloudwatch",
}


def test_every_resource_the_layers_create_has_a_deploy_grant_for_its_service(scope: CiScope) -> None:
    sources = [*REPO_ROOT.glob("stacks/*/payments_*/*.py"), *REPO_ROOT.glob("shared/*.py")]
    created = {
        (module, cls)
        for path in sources
        for module, cls in re.findall(r"\baws\.(\w+)\.([A-Z]\w*)\(", path.read_text(encoding="utf-8"))
        if not cls.endswith("Args") and not cls.startswith("get")
    }
    assert ("dynamodb", "Table") in created and ("wafv2", "WebAcl") in created  # the scan finds resources
    actions = [a for s in allows(union(deploy(scope))) for a in s["Action"]]
    written = {a.split(":")[0] for a in actions if not a.split(":")[1].startswith(("Get", "List", "Describe"))}
    for module, cls in sorted(created):
        if module == "Provider" or cls == "Provider":
            continue
        service = IAM_SERVICE.get(f"{module}.{cls}") or IAM_SERVICE.get(module)
        assert service, f"aws.{module}.{cls}: new service; add its IAM grant to payments_ci_access.policies.grants and here"
        assert service in written, f"aws.{module}.{cls}: the deploy role cannot create it ({service})"
