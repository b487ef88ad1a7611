"""Trust and permission policies of the two CI roles, as data.

Both roles share one table of grants (`GRANTS`): per service, the actions that only read and
the actions that change things, on the resources this project names. The **preview** role gets
the read half, the **deploy** role both halves, so the two can never disagree about what
"this project's resources" means. Resource ARNs follow the naming rule: every physical name
ends in `-production-<suffix>` (`shared.naming`), so `*-production-<suffix>` scopes a grant to
this environment; what AWS names with a generated id (REST APIs, backup plans, certificates,
KMS keys) is scoped by the account, the region and, for keys, the `Environment` tag the
provider's default_tags put on everything.

Neither role can read payment data (no s3:GetObject outside the artifacts bucket and the state,
no DynamoDB item reads), and the deploy role can neither change itself, the preview role, the
OIDC provider nor the bootstrap's bucket and keys: those are created by an administrator
(`make bootstrap`, `make bootstrap-access`) precisely so that what CI can do is not something
CI can widen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from payments_data.storage import artifacts_bucket_name
from payments_foundation.role_policies import API_GATEWAY_MANAGED_POLICIES, BACKUP_MANAGED_POLICIES, region_deny_statement
from shared.arns import PARTITION, Arns
from shared.naming import ENVIRONMENT, resource_name, validate_suffix

Policy = dict[str, Any]
Statement = dict[str, Any]

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
"""Issuer of GitHub Actions' OIDC tokens (`https://` + this is the provider URL)."""
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
"""The audience aws-actions/configure-aws-credentials requests; the only one the provider accepts."""
PASSED_TO_SERVICES: tuple[str, ...] = ("apigateway.amazonaws.com", "backup.amazonaws.com", "lambda.amazonaws.com")
"""The services the layers hand a role to (execution roles, the backup role, API Gateway's log role)."""
ENVIRONMENT_TAG = "Environment"
"""Set on every production resource by the provider's default_tags (`shared.tags`)."""


def ci_role_name(purpose: str, suffix: str) -> str:
    """`payments-ci-<purpose>-role-production-<suffix>`."""
    return resource_name(f"payments-ci-{purpose}", "role", suffix)


def name_pattern(suffix: str) -> str:
    """Every physical name of this environment matches `*-production-<suffix>`."""
    return f"*-{ENVIRONMENT}-{validate_suffix(suffix)}"


def oidc_provider_arn(account_id: str) -> str:
    """IAM allows one provider per issuer URL and account, so its ARN is known in advance."""
    return f"arn:{PARTITION}:iam::{account_id}:oidc-provider/{GITHUB_OIDC_HOST}"


def github_trust_policy(account_id: str, repository: str, subject: str) -> Policy:
    """Trust GitHub's OIDC tokens for exactly one subject of one repository.

    `subject` is the part after `repo:<owner>/<repo>:`: `pull_request` for the preview role,
    `environment:<name>` for the deploy role (a job in that environment, which has required
    reviewers). StringEquals, not StringLike: no wildcard, so no other repository, branch or
    environment can ever match. No sts:TagSession: configure-aws-credentials does not tag the
    sessions it gets through OIDC.
    """
    if "*" in repository or "?" in repository or repository.count("/") != 1:
        raise ValueError(f"github.repository {repository!r} must be exactly <owner>/<repo>, without wildcards")
    if not subject or "*" in subject or "?" in subject:
        raise ValueError(f"OIDC subject {subject!r} must be concrete")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TrustGithubActionsOidc",
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn(account_id)},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": GITHUB_OIDC_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": f"repo:{repository}:{subject}",
                    }
                },
            }
        ],
    }


@dataclass(frozen=True)
class Grant:
    """What a role may do with one kind of resource of this project."""

    sid: str
    read: tuple[str, ...]
    """Actions that only read metadata: the preview role's and the deploy role's."""
    write: tuple[str, ...]
    """Actions that create, change or delete: the deploy role's only."""
    resources: tuple[str, ...]
    write_condition: dict[str, Any] | None = None
    """Narrows the write half (e.g. which managed policies may be attached)."""
    part: str = "foundation-data"
    """Which of the deploy role's managed policies carries it (see DEPLOY_POLICY_PARTS)."""


@dataclass(frozen=True)
class CiScope:
    """Everything the CI policies are derived from."""

    account_id: str
    region: str
    suffix: str
    state_bucket: str
    log_bucket: str
    state_key_arn: str
    secrets_key_arn: str
    hosted_zone_id: str | None = None
    """The Route 53 zone the edge layer writes records to, if configured."""


def grants(scope: CiScope) -> list[Grant]:
    """The table of grants: every service the five layers use, read and write halves."""
    arns = Arns(scope.account_id, scope.region)
    names = name_pattern(scope.suffix)
    acct, region = scope.account_id, scope.region

    def regional(service: str, resource: str) -> str:
        # Not shared.arns: its builders refuse wildcards, and these are deliberate name patterns.
        return f"arn:{PARTITION}:{service}:{region}:{acct}:{resource}"

    tagged = {"StringEquals": {f"aws:ResourceTag/{ENVIRONMENT_TAG}": ENVIRONMENT}}
    artifacts = artifacts_bucket_name(scope.suffix)
    table: list[Grant] = [
        Grant(
            "Keys",
            read=("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"),
            write=(
                "kms:EnableKeyRotation",
                "kms:PutKeyPolicy",
                "kms:ScheduleKeyDeletion",
                "kms:CancelKeyDeletion",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:UpdateKeyDescription",
            ),
            resources=(f"arn:{PARTITION}:kms:{region}:{acct}:key/*",),
            write_condition=tagged,
        ),
        Grant(
            # An alias operation is authorised against the alias *and* the key it points to.
            "KeyAliases",
            read=(),
            write=("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"),
            resources=(regional("kms", f"alias/{names}"), regional("kms", "key/*")),
        ),
        Grant(
            "Roles",
            read=(
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListRolePolicies",
                "iam:ListInstanceProfilesForRole",
            ),
            write=(
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
                "iam:UpdateAssumeRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
            ),
            resources=(f"arn:{PARTITION}:iam::{acct}:role/{names}",),
        ),
        Grant(
            "AttachOnlyTheLayersManagedPolicies",
            read=(),
            write=("iam:AttachRolePolicy", "iam:DetachRolePolicy"),
            resources=(f"arn:{PARTITION}:iam::{acct}:role/{names}",),
            write_condition={"ArnEquals": {"iam:PolicyARN": sorted({*BACKUP_MANAGED_POLICIES, *API_GATEWAY_MANAGED_POLICIES})}},
        ),
        Grant(
            "PassRolesToTheLayersServices",
            read=(),
            write=("iam:PassRole",),
            resources=(f"arn:{PARTITION}:iam::{acct}:role/{names}",),
            write_condition={"StringEquals": {"iam:PassedToService": list(PASSED_TO_SERVICES)}},
        ),
        Grant(
            "Buckets",
            read=(
                "s3:GetAccelerateConfiguration",
                "s3:GetBucketAcl",
                "s3:GetBucketCORS",
                "s3:GetBucketLocation",
                "s3:GetBucketLogging",
                "s3:GetBucketObjectLockConfiguration",
                "s3:GetBucketOwnershipControls",
                "s3:GetBucketPolicy",
                "s3:GetBucketPolicyStatus",
                "s3:GetBucketPublicAccessBlock",
                "s3:GetBucketRequestPayment",
                "s3:GetBucketTagging",
                "s3:GetBucketVersioning",
                "s3:GetBucketWebsite",
                "s3:GetEncryptionConfiguration",
                "s3:GetLifecycleConfiguration",
                "s3:GetReplicationConfiguration",
            ),
            write=(
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:DeleteBucketPolicy",
                "s3:PutBucketOwnershipControls",
                "s3:PutBucketPolicy",
                "s3:PutBucketPublicAccessBlock",
                "s3:PutBucketTagging",
                "s3:PutBucketVersioning",
                "s3:PutEncryptionConfiguration",
                "s3:PutLifecycleConfiguration",
                "s3:PutBucketLogging",
                "s3:ListBucket",
                "s3:ListBucketVersions",
            ),
            resources=(f"arn:{PARTITION}:s3:::{names}",),
        ),
        Grant(
            # forceDestroy empties a bucket on destroy: delete, never read, payment documents.
            "EmptyBucketsOnDestroy",
            read=(),
            write=("s3:DeleteObject", "s3:DeleteObjectVersion"),
            resources=(f"arn:{PARTITION}:s3:::{names}/*",),
        ),
        Grant(
            "LambdaArtifacts",
            read=(),
            # Signer reads the uploaded package by version and writes the signed one beside it.
            write=("s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:PutObject", "s3:PutObjectTagging"),
            resources=(arns.bucket_objects(artifacts),),
        ),
        Grant(
            "Tables",
            read=(
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:DescribeTable",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:ListTagsOfResource",
            ),
            write=(
                "dynamodb:CreateTable",
                "dynamodb:DeleteTable",
                "dynamodb:UpdateTable",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:UpdateTimeToLive",
                "dynamodb:TagResource",
                "dynamodb:UntagResource",
            ),
            resources=(regional("dynamodb", f"table/{names}"),),
        ),
        Grant(
            "BackupVaults",
            read=("backup:DescribeBackupVault", "backup:ListTags"),
            write=("backup:CreateBackupVault", "backup:DeleteBackupVault", "backup:TagResource", "backup:UntagResource"),
            resources=(regional("backup", f"backup-vault:{names}"),),
        ),
        Grant(
            # Plan ids are generated: scoped to the account and region.
            "BackupPlans",
            read=("backup:GetBackupPlan", "backup:GetBackupSelection", "backup:ListTags"),
            write=(
                "backup:CreateBackupPlan",
                "backup:UpdateBackupPlan",
                "backup:DeleteBackupPlan",
                "backup:CreateBackupSelection",
                "backup:DeleteBackupSelection",
                "backup:TagResource",
                "backup:UntagResource",
            ),
            resources=(f"arn:{PARTITION}:backup:{region}:{acct}:backup-plan:*",),
        ),
        Grant(
            "Functions",
            read=(
                "lambda:GetFunctionConfiguration",
                "lambda:GetFunctionConcurrency",
                "lambda:GetFunctionCodeSigningConfig",
                "lambda:GetPolicy",
                "lambda:ListTags",
                "lambda:ListVersionsByFunction",
            ),
            write=(
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:GetFunction",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:PublishVersion",
                "lambda:PutFunctionConcurrency",
                "lambda:DeleteFunctionConcurrency",
                "lambda:AddPermission",
                "lambda:RemovePermission",
                "lambda:TagResource",
                "lambda:UntagResource",
            ),
            resources=(regional("lambda", f"function:{names}"),),
            part="compute-edge-observability",
        ),
        Grant(
            # Signing profile names allow only letters, digits and `_`: the naming rule with underscores.
            "SigningProfiles",
            read=("signer:GetSigningProfile", "signer:ListTagsForResource"),
            write=(
                "signer:CancelSigningProfile",
                "signer:StartSigningJob",
                "signer:TagResource",
                "signer:UntagResource",
            ),
            resources=(regional("signer", f"/signing-profiles/{names.replace('-', '_')}"),),
            part="compute-edge-observability",
        ),
        Grant(
            "SigningJobs",
            read=("signer:DescribeSigningJob",),
            write=(),
            resources=(regional("signer", "/signing-jobs/*"),),
            part="compute-edge-observability",
        ),
        Grant(
            # Code signing config ids are generated (`csc-...`): scoped to the account and region.
            "CodeSigningConfigs",
            read=("lambda:GetCodeSigningConfig",),
            write=("lambda:UpdateCodeSigningConfig", "lambda:DeleteCodeSigningConfig"),
            resources=(regional("lambda", "code-signing-config:*"),),
            part="compute-edge-observability",
        ),
        Grant(
            # Authorised against the function and the code signing config both.
            "AttachCodeSigningConfigs",
            read=(),
            write=("lambda:PutFunctionCodeSigningConfig", "lambda:DeleteFunctionCodeSigningConfig"),
            resources=(regional("lambda", f"function:{names}"), regional("lambda", "code-signing-config:*")),
            part="compute-edge-observability",
        ),
        Grant(
            "LogGroups",
            read=("logs:ListTagsForResource", "logs:ListTagsLogGroup"),
            write=(
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:DeleteRetentionPolicy",
                "logs:AssociateKmsKey",
                "logs:DisassociateKmsKey",
                "logs:TagResource",
                "logs:UntagResource",
                "logs:TagLogGroup",
                "logs:UntagLogGroup",
            ),
            resources=tuple(
                regional("logs", f"log-group:{group}{suffix}")
                for group in (f"/aws/lambda/{names}", "/aws/apigateway/*", "API-Gateway-Execution-Logs_*", f"aws-waf-logs-{names}")
                for suffix in ("", ":*")
            ),
            part="compute-edge-observability",
        ),
        Grant(
            "Alarms",
            read=("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"),
            write=("cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource"),
            resources=(regional("cloudwatch", f"alarm:{names}"),),
            part="compute-edge-observability",
        ),
        Grant(
            "Dashboards",
            read=("cloudwatch:GetDashboard",),
            write=("cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"),
            resources=(f"arn:{PARTITION}:cloudwatch::{acct}:dashboard/{names}",),
            part="compute-edge-observability",
        ),
        Grant(
            "Topics",
            read=("sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource"),
            write=(
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:TagResource",
                "sns:UntagResource",
            ),
            resources=(regional("sns", names),),
            part="compute-edge-observability",
        ),
        Grant(
            # REST API, stage, domain name and account setting ids are generated or fixed by AWS.
            "RestApis",
            read=("apigateway:GET",),
            write=("apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE", "apigateway:SetWebACL"),
            resources=tuple(
                f"arn:{PARTITION}:apigateway:{region}::{path}"
                for path in ("/restapis", "/restapis/*", "/domainnames", "/domainnames/*", "/account", "/tags/*")
            ),
            part="compute-edge-observability",
        ),
        Grant(
            "WebAcls",
            read=("wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:GetLoggingConfiguration", "wafv2:ListTagsForResource"),
            write=(
                "wafv2:CreateWebACL",
                "wafv2:UpdateWebACL",
                "wafv2:DeleteWebACL",
                "wafv2:AssociateWebACL",
                "wafv2:DisassociateWebACL",
                "wafv2:PutLoggingConfiguration",
                "wafv2:DeleteLoggingConfiguration",
                "wafv2:TagResource",
                "wafv2:UntagResource",
            ),
            resources=(
                f"arn:{PARTITION}:wafv2:{region}:{acct}:regional/webacl/{names}/*",
                f"arn:{PARTITION}:wafv2:{region}:{acct}:regional/managedruleset/*/*",
            ),
            part="compute-edge-observability",
        ),
        Grant(
            "Certificates",
            read=("acm:DescribeCertificate", "acm:ListTagsForCertificate"),
            write=("acm:DeleteCertificate", "acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate"),
            resources=(f"arn:{PARTITION}:acm:{region}:{acct}:certificate/*",),
            write_condition=tagged,
            part="compute-edge-observability",
        ),
        Grant(
            # These actions support no resource-level permissions: "*" is the only resource AWS accepts.
            "AccountWideReads",
            read=(
                "kms:ListAliases",
                "lambda:GetAccountSettings",
                "logs:DescribeLogGroups",
                "logs:DescribeResourcePolicies",
                "acm:ListCertificates",
                "route53:ListHostedZones",
            ),
            write=(
                "kms:CreateKey",
                "acm:RequestCertificate",
                "logs:PutResourcePolicy",
                "logs:DeleteResourcePolicy",
                "logs:CreateLogDelivery",
                "logs:DeleteLogDelivery",
                "backup-storage:MountCapsule",
                "sns:Unsubscribe",  # addressed by subscription ARN, which IAM only matches as "*"
                "lambda:CreateCodeSigningConfig",
                "signer:PutSigningProfile",
            ),
            resources=("*",),
            part="compute-edge-observability",
        ),
        Grant(
            # S3 refuses a PutObject into an SSE-KMS bucket without kms:GenerateDataKey on its key (the
            # Lambda artifacts), and Lambda encrypts a function's environment with the caller's access
            # to the data key. Only through those two services, only on this environment's keys.
            "UseProjectKeysThroughS3AndLambda",
            read=(),
            write=("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"),
            resources=(f"arn:{PARTITION}:kms:{region}:{acct}:key/*",),
            write_condition={
                "StringEquals": {
                    f"aws:ResourceTag/{ENVIRONMENT_TAG}": ENVIRONMENT,
                    "kms:ViaService": [f"lambda.{region}.amazonaws.com", f"s3.{region}.amazonaws.com"],
                }
            },
        ),
        Grant(
            # A key, table or vault encrypted with a project key gets a grant for the AWS service using it.
            "GrantProjectKeysToAwsServices",
            read=(),
            write=("kms:CreateGrant",),
            resources=(f"arn:{PARTITION}:kms:{region}:{acct}:key/*",),
            write_condition={"Bool": {"kms:GrantIsForAWSResource": "true"}, **tagged},
        ),
    ]
    if scope.hosted_zone_id:
        table.append(
            Grant(
                "DnsRecords",
                read=("route53:GetHostedZone", "route53:ListResourceRecordSets"),
                write=("route53:ChangeResourceRecordSets",),
                resources=(f"arn:{PARTITION}:route53:::hostedzone/{scope.hosted_zone_id}",),
                part="compute-edge-observability",
            )
        )
        table.append(
            Grant(
                "DnsChanges",
                read=("route53:GetChange",),
                write=(),
                resources=(f"arn:{PARTITION}:route53:::change/*",),
                part="compute-edge-observability",
            )
        )
    return table


GLOBAL_SERVICES: tuple[str, ...] = ("iam", "route53")
"""Global services with one endpoint in us-east-1, so `aws:RequestedRegion` is us-east-1 for every
call (IAM User Guide, "AWS: Denies access to AWS based on the requested Region"). Exactly the
actions of these services a role is allowed are exempted from its region deny; nothing else is."""


def _allow(sid: str, actions: Iterable[str], resources: Iterable[str], condition: dict[str, Any] | None = None) -> Statement:
    statement: Statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(set(actions)), "Resource": sorted(set(resources))}
    if condition:
        statement["Condition"] = condition
    return statement


def _state_statements(scope: CiScope, *, write: bool) -> list[Statement]:
    """Read (preview) or read-write (deploy) the Pulumi state, and use the state and secrets keys.

    A preview takes no lock in Pulumi's S3 backend (only update, refresh, import and destroy do),
    so the preview role reads state and never writes it. Deleting object *versions* is nobody's:
    the state history is what a rollback restores from.
    """
    bucket = Arns(scope.account_id, scope.region).bucket(scope.state_bucket)
    objects = ["s3:GetObject", *(["s3:PutObject", "s3:DeleteObject"] if write else [])]
    via_s3 = {"StringEquals": {"kms:ViaService": f"s3.{scope.region}.amazonaws.com"}}
    return [
        _allow("ListPulumiState", ["s3:ListBucket"], [bucket]),
        _allow("ReadWritePulumiState" if write else "ReadPulumiState", objects, [f"{bucket}/*"]),
        _allow(
            "UseStateKeyThroughS3",
            ["kms:Decrypt", *(["kms:GenerateDataKey"] if write else [])],
            [scope.state_key_arn],
            via_s3,
        ),
        # Pulumi's awskms provider decrypts each stack's data key directly (no service in between).
        _allow("DecryptStackSecrets", ["kms:Decrypt"], [scope.secrets_key_arn]),
    ]


def _global_actions(statements: Iterable[Statement]) -> list[str]:
    return sorted({a for s in statements if s["Effect"] == "Allow" for a in s["Action"] if a.split(":")[0] in GLOBAL_SERVICES})


def preview_role_policy(scope: CiScope) -> Policy:
    """Read-only: the project's resource metadata, the state, the secrets. Never payment data."""
    allows = [_allow(f"Read{g.sid}", g.read, g.resources) for g in grants(scope) if g.read]
    allows += _state_statements(scope, write=False)
    return {"Version": "2012-10-17", "Statement": [*allows, region_deny_statement(scope.region, _global_actions(allows))]}


def protected_statements(scope: CiScope, ci_role_names: Iterable[str], ci_policy_arns: Iterable[str] = ()) -> list[Statement]:
    """What the deploy role must never touch even where a name pattern would match: the CI access and the bootstrap."""
    arns = Arns(scope.account_id, scope.region)
    state, logs = arns.bucket(scope.state_bucket), arns.bucket(scope.log_bucket)
    return [
        {
            "Sid": "DenyChangingCiAccess",
            "Effect": "Deny",
            "Action": "iam:*",
            "Resource": sorted({*(arns.role(n) for n in ci_role_names), *ci_policy_arns, oidc_provider_arn(scope.account_id)}),
        },
        {
            "Sid": "DenyChangingStateStorage",
            "Effect": "Deny",
            "Action": sorted(
                {
                    "s3:DeleteBucket",
                    "s3:DeleteBucketPolicy",
                    "s3:PutBucketLogging",
                    "s3:PutBucketOwnershipControls",
                    "s3:PutBucketPolicy",
                    "s3:PutBucketPublicAccessBlock",
                    "s3:PutBucketVersioning",
                    "s3:PutEncryptionConfiguration",
                    "s3:PutLifecycleConfiguration",
                }
            ),
            "Resource": sorted({state, logs}),
        },
        {
            "Sid": "DenyRewritingStateHistoryAndAccessLogs",
            "Effect": "Deny",
            "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObject"],
            "Resource": sorted({f"{logs}/*"}),
        },
        {"Sid": "DenyDeletingStateVersions", "Effect": "Deny", "Action": ["s3:DeleteObjectVersion"], "Resource": [f"{state}/*"]},
        {
            "Sid": "DenyAdministeringBootstrapKeys",
            "Effect": "Deny",
            "NotAction": ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
            "Resource": sorted({scope.state_key_arn, scope.secrets_key_arn}),
        },
    ]


DEPLOY_POLICY_PARTS: tuple[str, ...] = ("foundation-data", "compute-edge-observability", "guardrails")
"""The deploy role's permissions do not fit one policy (IAM: 6,144 characters per managed policy,
10,240 for all of a role's inline policies together), so they are three managed policies: the
foundation and data layers' grants with the state, the later layers' grants, and the denies."""
MANAGED_POLICY_MAX_CHARS = 6144
"""IAM's limit on a managed policy document, whitespace not counted."""


def deploy_role_policies(scope: CiScope, ci_role_names: Iterable[str], ci_policy_arns: Iterable[str] = ()) -> dict[str, Policy]:
    """What the five layers create, scoped to this project, plus the state; never the CI access or the bootstrap.

    Keyed by DEPLOY_POLICY_PARTS. An explicit deny in any policy of a role applies to all of
    them, so the guardrails (protected resources, region) stand apart.
    """
    parts: dict[str, list[Statement]] = {part: [] for part in DEPLOY_POLICY_PARTS}
    for g in grants(scope):
        statements = parts[g.part]
        if g.write_condition is None:
            statements.append(_allow(f"Manage{g.sid}", (*g.read, *g.write), g.resources))
            continue
        if g.read:
            statements.append(_allow(f"Read{g.sid}", g.read, g.resources))
        statements.append(_allow(f"Change{g.sid}", g.write, g.resources, g.write_condition))
    parts["foundation-data"] += _state_statements(scope, write=True)
    allows = [s for part in parts.values() for s in part]
    parts["guardrails"] = [
        *protected_statements(scope, ci_role_names, ci_policy_arns),
        region_deny_statement(scope.region, _global_actions(allows)),
    ]
    return {part: {"Version": "2012-10-17", "Statement": statements} for part, statements in parts.items()}
