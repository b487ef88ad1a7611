"""From settings and inventory to component arguments: names, descriptions, policies.

Kept apart from `__main__.py` so the stack reads as a table of contents, and from the
policy modules so those stay free of Pulumi types. Account-dependent policies are rendered
with `.apply` of the pure builders, never by formatting an Output into a string.
"""

from __future__ import annotations

import json

import pulumi

from payments_foundation.key_policies import data_key_policy, logs_key_policy
from payments_foundation.keys import EncryptionKeyArgs
from payments_foundation.role_policies import (
    API_GATEWAY_MANAGED_POLICIES,
    API_GATEWAY_ROLE_REGION_EXEMPT,
    BACKUP_MANAGED_POLICIES,
    BACKUP_ROLE_REGION_EXEMPT,
    FunctionAccess,
    execution_role_policy,
    region_only_policy,
)
from payments_foundation.roles import ServiceRoleArgs
from shared.naming import resource_name
from shared.settings import Settings

DATA_KEY = "payments-data"
LOGS_KEY = "payments-logs"
BACKUP_ROLE = "payments-backup"
API_GATEWAY_LOGGING_ROLE = "payments-apigateway-logs"


def key_alias(resource: str, suffix: str) -> str:
    """`alias/<resource>-key-production-<suffix>`."""
    return f"alias/{resource_name(resource, 'key', suffix)}"


def data_key_args(settings: Settings, account_id: pulumi.Output[str]) -> EncryptionKeyArgs:
    return EncryptionKeyArgs(
        alias=key_alias(DATA_KEY, settings.environment_suffix),
        description="Payments production data at rest: S3 buckets, DynamoDB tables, AWS Backup vault, Lambda environment",
        policy=account_id.apply(lambda acct: json.dumps(data_key_policy(acct, settings.region))),
        deletion_window_days=settings.kms.deletion_window_days,
    )


def logs_key_args(settings: Settings, account_id: pulumi.Output[str]) -> EncryptionKeyArgs:
    return EncryptionKeyArgs(
        alias=key_alias(LOGS_KEY, settings.environment_suffix),
        description="Payments production telemetry: CloudWatch Logs groups (Lambda, API Gateway, WAF) and the alarm topic",
        policy=account_id.apply(lambda acct: json.dumps(logs_key_policy(acct, settings.region))),
        deletion_window_days=settings.kms.deletion_window_days,
    )


def execution_role_args(
    access: FunctionAccess, settings: Settings, account_id: pulumi.Output[str], data_key_arn: pulumi.Output[str]
) -> ServiceRoleArgs:
    policy = pulumi.Output.all(account_id, data_key_arn).apply(
        lambda values: json.dumps(execution_role_policy(access, account_id=values[0], region=settings.region, data_key_arn=values[1]))
    )
    return ServiceRoleArgs(
        role_name=access.role_name,
        service="lambda.amazonaws.com",
        description=f"Execution role of {access.function_name}: least privilege from the dev function's Permissions",
        inline_policy=policy,
    )


def backup_role_args(settings: Settings) -> ServiceRoleArgs:
    return ServiceRoleArgs(
        role_name=resource_name(BACKUP_ROLE, "role", settings.environment_suffix),
        service="backup.amazonaws.com",
        description="AWS Backup service role for the daily DynamoDB backups (eu-west-1 only)",
        inline_policy=json.dumps(region_only_policy(settings.region, BACKUP_ROLE_REGION_EXEMPT)),
        managed_policy_arns=BACKUP_MANAGED_POLICIES,
    )


def api_gateway_logging_role_args(settings: Settings) -> ServiceRoleArgs:
    return ServiceRoleArgs(
        role_name=resource_name(API_GATEWAY_LOGGING_ROLE, "role", settings.environment_suffix),
        service="apigateway.amazonaws.com",
        description="API Gateway account-level role that pushes execution logs to CloudWatch (eu-west-1 only)",
        inline_policy=json.dumps(region_only_policy(settings.region, API_GATEWAY_ROLE_REGION_EXEMPT)),
        managed_policy_arns=API_GATEWAY_MANAGED_POLICIES,
    )
