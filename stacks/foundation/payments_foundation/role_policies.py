"""IAM policies of the production roles, as data.

Production ARNs are deterministic (account, eu-west-1, naming rule: see `shared.arns`), so
an execution role can name exactly the tables, indexes, objects and log group its function
touches before the data and compute layers exist. The only ARN that is not deterministic is
the data key's, which this layer creates and passes in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shared.arns import Arns, aws_managed_policy_arn, lambda_log_group_name, service_endpoint
from shared.errors import ConfigError
from shared.inventory import Function, Inventory
from shared.naming import derived_name, production_name

Policy = dict[str, Any]
Statement = dict[str, Any]

TABLE_READ: tuple[str, ...] = ("dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query")
TABLE_WRITE: tuple[str, ...] = ("dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
INDEX_READ: tuple[str, ...] = ("dynamodb:Query",)
"""Indexes can only be queried (GetItem/BatchGetItem and writes address the base table)."""
OBJECT_READ: tuple[str, ...] = ("s3:GetObject",)
OBJECT_WRITE: tuple[str, ...] = ("s3:PutObject",)
XRAY_ACTIONS: tuple[str, ...] = ("xray:PutTelemetryRecords", "xray:PutTraceSegments")
"""X-Ray segment writes; these actions support no resource-level permissions, hence Resource "*"."""
LOG_ACTIONS: tuple[str, ...] = ("logs:CreateLogStream", "logs:PutLogEvents")
"""No logs:CreateLogGroup: the compute layer pre-creates each group with retention and the logs key."""

EXECUTION_ROLE_REGION_EXEMPT: tuple[str, ...] = ()
"""Global-service actions an execution role needs outside eu-west-1: none. A function only calls
DynamoDB, S3, KMS (through those services), X-Ray and CloudWatch Logs, all regional; the role is
assumed by Lambda through its trust policy, which this deny does not govern."""
BACKUP_ROLE_REGION_EXEMPT: tuple[str, ...] = ()
"""None: AWS Backup works on the vault and tables of eu-west-1 only. Cross-region backup copies,
which would need another region, are exactly what the deny is there to refuse."""
API_GATEWAY_ROLE_REGION_EXEMPT: tuple[str, ...] = ()
"""None: API Gateway only writes to CloudWatch Logs in its own region."""

BACKUP_MANAGED_POLICIES: tuple[str, ...] = (
    aws_managed_policy_arn("service-role/AWSBackupServiceRolePolicyForBackup"),
    aws_managed_policy_arn("service-role/AWSBackupServiceRolePolicyForRestores"),
)
"""AWS maintains these as Backup adds features; a hand-written copy would fall behind."""
API_GATEWAY_MANAGED_POLICIES: tuple[str, ...] = (aws_managed_policy_arn("service-role/AmazonAPIGatewayPushToCloudWatchLogs"),)


@dataclass(frozen=True)
class ResourceAccess:
    """What a function may do with one production bucket or table."""

    name: str
    """Production name of the bucket or table."""
    read: bool
    write: bool
    has_indexes: bool = False
    """Tables only: whether it has a GSI or LSI a Query may target."""


@dataclass(frozen=True)
class FunctionAccess:
    """Everything an execution role is derived from, resolved from the inventory."""

    dev_name: str
    function_name: str
    """Production function name: its log group is `/aws/lambda/<function_name>`."""
    role_name: str
    tables: tuple[ResourceAccess, ...]
    buckets: tuple[ResourceAccess, ...]


def function_access(function: Function, inventory: Inventory, suffix: str) -> FunctionAccess:
    """Resolve a function's dev `Permissions` to production tables and buckets.

    Several entries naming one resource merge (a `read` and a `write` entry make read-write).
    """
    reads: dict[str, bool] = {}
    writes: dict[str, bool] = {}
    for p, permission in enumerate(function.permissions):
        if inventory.table(permission.resource) is None and inventory.bucket(permission.resource) is None:
            raise ConfigError(
                f"lambdaFunctions[{function.name}].Permissions[{p}].Resource",
                f"{permission.resource!r} is not a bucket or table in this inventory",
            )
        reads[permission.resource] = reads.get(permission.resource, False) or permission.access in ("read", "read-write")
        writes[permission.resource] = writes.get(permission.resource, False) or permission.access in ("write", "read-write")
    tables: list[ResourceAccess] = []
    buckets: list[ResourceAccess] = []
    for dev_name in reads:
        table = inventory.table(dev_name)
        access = ResourceAccess(
            name=production_name(dev_name, suffix),
            read=reads[dev_name],
            write=writes[dev_name],
            has_indexes=bool(table and (table.global_secondary_indexes or table.local_secondary_indexes)),
        )
        (tables if table else buckets).append(access)
    return FunctionAccess(
        dev_name=function.name,
        function_name=production_name(function.name, suffix),
        role_name=derived_name(function.name, "role", suffix),
        tables=tuple(tables),
        buckets=tuple(buckets),
    )


def region_deny_statement(region: str, exempt_actions: Iterable[str] = ()) -> Statement:
    """Deny every action requested outside `region`, except the global-service actions listed.

    With no exemption the deny covers every action (`Action: "*"`); NotAction is used only when
    a role really needs a global service, so nothing is exempted by default.
    """
    exempt = sorted(set(exempt_actions))
    statement: Statement = {"Sid": "DenyOutsideProductionRegion", "Effect": "Deny"}
    if exempt:
        statement["NotAction"] = exempt
    else:
        statement["Action"] = "*"
    statement["Resource"] = "*"
    statement["Condition"] = {"StringNotEquals": {"aws:RequestedRegion": region}}
    return statement


def _statement(sid: str, actions: Iterable[str], resources: Iterable[str], condition: dict[str, Any] | None = None) -> Statement:
    statement: Statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(set(actions)), "Resource": sorted(set(resources))}
    if condition:
        statement["Condition"] = condition
    return statement


def _data_statements(access: FunctionAccess, arns: Arns) -> list[Statement]:
    statements: list[Statement] = []
    read_tables = [t for t in access.tables if t.read]
    write_tables = [t for t in access.tables if t.write]
    indexed = [t for t in read_tables if t.has_indexes]
    read_buckets = [b for b in access.buckets if b.read]
    write_buckets = [b for b in access.buckets if b.write]
    if read_tables:
        statements.append(_statement("ReadTables", TABLE_READ, (arns.table(t.name) for t in read_tables)))
    if indexed:
        statements.append(_statement("QueryTableIndexes", INDEX_READ, (arns.table_indexes(t.name) for t in indexed)))
    if write_tables:
        statements.append(_statement("WriteTables", TABLE_WRITE, (arns.table(t.name) for t in write_tables)))
    if read_buckets:
        statements.append(_statement("ReadObjects", OBJECT_READ, (arns.bucket_objects(b.name) for b in read_buckets)))
    if write_buckets:
        statements.append(_statement("WriteObjects", OBJECT_WRITE, (arns.bucket_objects(b.name) for b in write_buckets)))
    return statements


def _key_statements(access: FunctionAccess, data_key_arn: str, region: str) -> list[Statement]:
    # Decrypt through every service the function reads from or writes to (a multipart PutObject
    # to an SSE-KMS bucket decrypts too) and through Lambda, which decrypts the environment
    # variables with the function's role. GenerateDataKey only through services it writes to.
    decrypt_via = {"lambda"}
    decrypt_via |= {"dynamodb"} if access.tables else set()
    decrypt_via |= {"s3"} if access.buckets else set()
    generate_via = {"dynamodb"} if any(t.write for t in access.tables) else set()
    generate_via |= {"s3"} if any(b.write for b in access.buckets) else set()
    statements = [
        _statement(
            "DecryptWithDataKey",
            ["kms:Decrypt"],
            [data_key_arn],
            {"StringEquals": {"kms:ViaService": sorted(service_endpoint(s, region) for s in decrypt_via)}},
        )
    ]
    if generate_via:
        statements.append(
            _statement(
                "EncryptWithDataKey",
                ["kms:GenerateDataKey"],
                [data_key_arn],
                {"StringEquals": {"kms:ViaService": sorted(service_endpoint(s, region) for s in generate_via)}},
            )
        )
    return statements


def execution_role_policy(access: FunctionAccess, *, account_id: str, region: str, data_key_arn: str) -> Policy:
    """The one inline policy of a function's execution role: exactly its Permissions, nothing more."""
    if not data_key_arn.startswith(f"arn:aws:kms:{region}:{account_id}:key/"):
        raise ValueError(f"data key ARN {data_key_arn!r} is not a KMS key of account {account_id} in {region}")
    arns = Arns(account_id, region)
    return {
        "Version": "2012-10-17",
        "Statement": [
            *_data_statements(access, arns),
            *_key_statements(access, data_key_arn, region),
            _statement("WriteOwnLogs", LOG_ACTIONS, [arns.log_group_streams(lambda_log_group_name(access.function_name))]),
            _statement("WriteTraces", XRAY_ACTIONS, ["*"]),
            region_deny_statement(region, EXECUTION_ROLE_REGION_EXEMPT),
        ],
    }


def region_only_policy(region: str, exempt_actions: Iterable[str] = ()) -> Policy:
    """The inline policy of a role whose permissions come from AWS managed policies: the region deny alone."""
    return {"Version": "2012-10-17", "Statement": [region_deny_statement(region, exempt_actions)]}


def assume_role_policy(service: str) -> Policy:
    """Trust policy letting one AWS service principal (`lambda.amazonaws.com`, ...) assume the role."""
    if not service.endswith(".amazonaws.com"):
        raise ValueError(f"service principal {service!r} must end in .amazonaws.com")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "TrustService", "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"},
        ],
    }
