"""Execution and service role policies, as data: exactly each function's Permissions, locked to eu-west-1."""

from __future__ import annotations

from typing import Any

import pytest

from payments_foundation.role_policies import (
    API_GATEWAY_ROLE_REGION_EXEMPT,
    BACKUP_ROLE_REGION_EXEMPT,
    EXECUTION_ROLE_REGION_EXEMPT,
    FunctionAccess,
    ResourceAccess,
    assume_role_policy,
    execution_role_policy,
    function_access,
    region_deny_statement,
    region_only_policy,
)
from payments_tools.mocks import ACCOUNT_ID, REGION
from shared.errors import ConfigError
from shared.inventory import Function, Inventory, Permission

SUFFIX = "eu1"
DENY = {
    "Sid": "DenyOutsideProductionRegion",
    "Effect": "Deny",
    "Action": "*",
    "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
}
RESOURCE_STAR_ALLOWED = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
"""The only actions that may be allowed on Resource "*": X-Ray has no resource-level permissions."""


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_for(function: Function, inventory: Inventory, data_key_arn: str) -> dict[str, Any]:
    access = function_access(function, inventory, SUFFIX)
    return execution_role_policy(access, account_id=ACCOUNT_ID, region=REGION, data_key_arn=data_key_arn)


def allowed_pairs(policy: dict[str, Any]) -> set[tuple[str, str]]:
    """Every (action, resource) an execution policy allows, ignoring KMS/X-Ray/logs (checked apart)."""
    return {
        (action, resource)
        for s in policy["Statement"]
        if s["Effect"] == "Allow"
        for action in as_list(s["Action"])
        for resource in as_list(s["Resource"])
        if action.split(":")[0] in ("dynamodb", "s3")
    }


def expected_pairs(function: Function, inventory: Inventory) -> set[tuple[str, str]]:
    """A reference model of issue 3, written independently of the implementation."""
    pairs: set[tuple[str, str]] = set()
    prefix = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT_ID}:table/"
    for permission in function.permissions:
        prod = permission.resource.removesuffix("-dev") + "-production-eu1"
        reads = permission.access in ("read", "read-write")
        writes = permission.access in ("write", "read-write")
        table = inventory.table(permission.resource)
        if table:
            if reads:
                pairs |= {(a, prefix + prod) for a in ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem")}
                if table.global_secondary_indexes or table.local_secondary_indexes:
                    pairs.add(("dynamodb:Query", f"{prefix}{prod}/index/*"))
            if writes:
                writes_ = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
                pairs |= {(a, prefix + prod) for a in writes_}
        else:
            if reads:
                pairs.add(("s3:GetObject", f"arn:aws:s3:::{prod}/*"))
            if writes:
                pairs.add(("s3:PutObject", f"arn:aws:s3:::{prod}/*"))
    return pairs


def by_sid(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Statement"]}


# --- the example inventory, statement by statement ---------------------------------------


def test_get_payment_reads_the_transactions_table_and_queries_its_indexes(example_inventory: Inventory, data_key_arn: str) -> None:
    fn = example_inventory.function("payments-get-payment-dev")
    assert fn
    statements = by_sid(policy_for(fn, example_inventory, data_key_arn))
    table = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT_ID}:table/payments-transactions-production-eu1"
    assert statements["ReadTables"] == {
        "Sid": "ReadTables",
        "Effect": "Allow",
        "Action": ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"],
        "Resource": [table],
    }
    assert statements["QueryTableIndexes"]["Action"] == ["dynamodb:Query"]
    assert statements["QueryTableIndexes"]["Resource"] == [f"{table}/index/*"]
    assert "WriteTables" not in statements and "EncryptWithDataKey" not in statements
    assert statements["DecryptWithDataKey"] == {
        "Sid": "DecryptWithDataKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": [data_key_arn],
        "Condition": {"StringEquals": {"kms:ViaService": ["dynamodb.eu-west-1.amazonaws.com", "lambda.eu-west-1.amazonaws.com"]}},
    }
    assert statements["WriteOwnLogs"] == {
        "Sid": "WriteOwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:/aws/lambda/payments-get-payment-production-eu1:*"],
    }
    assert statements["WriteTraces"] == {
        "Sid": "WriteTraces",
        "Effect": "Allow",
        "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
        "Resource": ["*"],
    }
    assert statements["DenyOutsideProductionRegion"] == DENY


def test_process_payment_reads_and_writes_both_its_tables(example_inventory: Inventory, data_key_arn: str) -> None:
    fn = example_inventory.function("payments-process-payment-dev")
    assert fn
    statements = by_sid(policy_for(fn, example_inventory, data_key_arn))
    tables = [f"arn:aws:dynamodb:eu-west-1:{ACCOUNT_ID}:table/payments-{t}-production-eu1" for t in ("idempotency", "transactions")]
    assert statements["ReadTables"]["Resource"] == tables
    assert statements["WriteTables"]["Action"] == [
        "dynamodb:BatchWriteItem",
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]
    assert statements["WriteTables"]["Resource"] == tables
    # Only the transactions table has an index; idempotency gets no /index/* grant.
    assert statements["QueryTableIndexes"]["Resource"] == [f"{tables[1]}/index/*"]
    assert statements["EncryptWithDataKey"]["Action"] == ["kms:GenerateDataKey"]
    assert statements["EncryptWithDataKey"]["Condition"] == {"StringEquals": {"kms:ViaService": ["dynamodb.eu-west-1.amazonaws.com"]}}


def test_generate_receipt_reads_transactions_and_reads_writes_receipt_objects(example_inventory: Inventory, data_key_arn: str) -> None:
    fn = example_inventory.function("payments-generate-receipt-dev")
    assert fn
    statements = by_sid(policy_for(fn, example_inventory, data_key_arn))
    objects = ["arn:aws:s3:::payments-receipts-production-eu1/*"]
    assert statements["ReadObjects"]["Action"] == ["s3:GetObject"] and statements["ReadObjects"]["Resource"] == objects
    assert statements["WriteObjects"]["Action"] == ["s3:PutObject"] and statements["WriteObjects"]["Resource"] == objects
    assert "WriteTables" not in statements
    assert statements["EncryptWithDataKey"]["Condition"] == {"StringEquals": {"kms:ViaService": ["s3.eu-west-1.amazonaws.com"]}}
    assert statements["DecryptWithDataKey"]["Condition"]["StringEquals"]["kms:ViaService"] == [
        "dynamodb.eu-west-1.amazonaws.com",
        "lambda.eu-west-1.amazonaws.com",
        "s3.eu-west-1.amazonaws.com",
    ]


@pytest.mark.parametrize("inventory_name", ["example_inventory", "large_inventory"])
def test_every_function_gets_exactly_its_permissions(inventory_name: str, request: pytest.FixtureRequest, data_key_arn: str) -> None:
    inventory: Inventory = request.getfixturevalue(inventory_name)
    for fn in inventory.functions:
        assert allowed_pairs(policy_for(fn, inventory, data_key_arn)) == expected_pairs(fn, inventory), fn.name


# --- least privilege, over every role of both inventories ---------------------------------


@pytest.fixture(params=["example_inventory", "large_inventory"])
def every_execution_policy(request: pytest.FixtureRequest, data_key_arn: str) -> list[tuple[str, dict[str, Any]]]:
    inventory: Inventory = request.getfixturevalue(request.param)
    return [(fn.name, policy_for(fn, inventory, data_key_arn)) for fn in inventory.functions]


def test_no_allow_uses_a_wildcard_action(every_execution_policy: list[tuple[str, dict[str, Any]]]) -> None:
    for name, policy in every_execution_policy:
        for s in policy["Statement"]:
            if s["Effect"] == "Allow":
                assert all(a != "*" and not a.endswith(":*") and "*" not in a for a in as_list(s["Action"])), name
                assert "NotAction" not in s and "NotResource" not in s, name


def test_resource_star_only_for_xray(every_execution_policy: list[tuple[str, dict[str, Any]]]) -> None:
    for name, policy in every_execution_policy:
        for s in policy["Statement"]:
            if s["Effect"] == "Allow" and "*" in as_list(s["Resource"]):
                assert set(as_list(s["Action"])) <= RESOURCE_STAR_ALLOWED, name


def test_kms_only_on_the_data_key_and_only_through_a_service(
    every_execution_policy: list[tuple[str, dict[str, Any]]], data_key_arn: str
) -> None:
    for name, policy in every_execution_policy:
        kms = [s for s in policy["Statement"] if s["Effect"] == "Allow" and any(a.startswith("kms:") for a in as_list(s["Action"]))]
        assert kms, name
        for s in kms:
            assert s["Resource"] == [data_key_arn], name
            assert set(s["Action"]) <= {"kms:Decrypt", "kms:GenerateDataKey"}, name
            assert s["Condition"]["StringEquals"]["kms:ViaService"], name


def test_logs_only_to_the_functions_own_log_group(request: pytest.FixtureRequest, large_inventory: Inventory, data_key_arn: str) -> None:
    for fn in large_inventory.functions:
        policy = policy_for(fn, large_inventory, data_key_arn)
        logs = [s for s in policy["Statement"] if any(a.startswith("logs:") for a in as_list(s["Action"]))]
        prod = fn.name.removesuffix("-dev") + "-production-eu1"
        assert len(logs) == 1
        assert logs[0]["Resource"] == [f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:/aws/lambda/{prod}:*"]
        assert "logs:CreateLogGroup" not in logs[0]["Action"]


def test_write_only_never_reads_and_read_only_never_writes(large_inventory: Inventory, data_key_arn: str) -> None:
    exporter = large_inventory.function("payments-export-statements-dev")
    auditor = large_inventory.function("payments-audit-writer-dev")
    assert exporter and auditor
    exporter_pairs = allowed_pairs(policy_for(exporter, large_inventory, data_key_arn))
    assert ("s3:PutObject", "arn:aws:s3:::payments-exports-production-eu1/*") in exporter_pairs
    assert ("s3:GetObject", "arn:aws:s3:::payments-exports-production-eu1/*") not in exporter_pairs
    assert not any(a == "s3:PutObject" and "statements" in r for a, r in exporter_pairs)
    reads = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem")
    assert not any(a.startswith("dynamodb:") and a not in reads for a, _ in exporter_pairs)
    auditor_statements = by_sid(policy_for(auditor, large_inventory, data_key_arn))
    assert set(auditor_statements) == {
        "WriteTables",
        "DecryptWithDataKey",
        "EncryptWithDataKey",
        "WriteOwnLogs",
        "WriteTraces",
        "DenyOutsideProductionRegion",
    }


def test_no_list_bucket_anywhere(every_execution_policy: list[tuple[str, dict[str, Any]]]) -> None:
    # Functions address objects by key; listing would let one enumerate every payment document.
    for name, policy in every_execution_policy:
        assert "s3:ListBucket" not in str(policy), name


def test_a_function_with_no_permissions_can_only_log_trace_and_read_its_environment(large_inventory: Inventory, data_key_arn: str) -> None:
    fn = large_inventory.function("payments-health-dev")
    assert fn
    statements = by_sid(policy_for(fn, large_inventory, data_key_arn))
    assert set(statements) == {"DecryptWithDataKey", "WriteOwnLogs", "WriteTraces", "DenyOutsideProductionRegion"}
    assert statements["DecryptWithDataKey"]["Condition"] == {"StringEquals": {"kms:ViaService": ["lambda.eu-west-1.amazonaws.com"]}}


def test_a_read_entry_and_a_write_entry_on_one_resource_merge_into_read_write(large_inventory: Inventory) -> None:
    fn = large_inventory.function("payments-archive-documents-dev")
    assert fn
    access = function_access(fn, large_inventory, SUFFIX)
    assert access.buckets == (ResourceAccess("payments-documents-production-eu1", read=True, write=True),)
    assert access.tables == (ResourceAccess("payments-audit-production-eu1", read=False, write=True, has_indexes=False),)
    assert access.role_name == "payments-archive-documents-role-production-eu1"
    assert access.function_name == "payments-archive-documents-production-eu1"


def test_a_local_secondary_index_is_queryable_too(large_inventory: Inventory) -> None:
    fn = large_inventory.function("payments-export-statements-dev")
    assert fn
    (ledger,) = function_access(fn, large_inventory, SUFFIX).tables
    assert ledger.has_indexes


def test_parliament_finds_nothing_in_any_execution_policy(every_execution_policy: list[tuple[str, dict[str, Any]]], lint: Any) -> None:
    for name, policy in every_execution_policy:
        assert lint(policy) == [], name


# --- region deny ------------------------------------------------------------------------


def test_every_role_kind_denies_every_action_outside_eu_west_1(every_execution_policy: list[tuple[str, dict[str, Any]]]) -> None:
    for name, policy in every_execution_policy:
        assert DENY in policy["Statement"], name
    for exempt in (BACKUP_ROLE_REGION_EXEMPT, API_GATEWAY_ROLE_REGION_EXEMPT):
        assert region_only_policy(REGION, exempt) == {"Version": "2012-10-17", "Statement": [DENY]}
    assert EXECUTION_ROLE_REGION_EXEMPT == BACKUP_ROLE_REGION_EXEMPT == API_GATEWAY_ROLE_REGION_EXEMPT == ()


def test_a_region_deny_with_exemptions_uses_not_action(lint: Any) -> None:
    statement = region_deny_statement(REGION, ["sts:GetCallerIdentity", "iam:GetRole", "iam:GetRole"])
    assert statement["NotAction"] == ["iam:GetRole", "sts:GetCallerIdentity"]
    assert "Action" not in statement
    assert statement["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}
    assert lint({"Version": "2012-10-17", "Statement": [statement]}) == []


@pytest.mark.parametrize("service", ["lambda.amazonaws.com", "backup.amazonaws.com", "apigateway.amazonaws.com"])
def test_trust_policies_name_one_service(service: str, lint: Any) -> None:
    policy = assume_role_policy(service)
    assert policy["Statement"] == [
        {"Sid": "TrustService", "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"},
    ]
    assert lint(policy, kind="trust") == []


def test_parliament_finds_nothing_in_the_service_role_policies(lint: Any) -> None:
    assert lint(region_only_policy(REGION, BACKUP_ROLE_REGION_EXEMPT)) == []
    assert lint(region_only_policy(REGION, API_GATEWAY_ROLE_REGION_EXEMPT)) == []


# --- unhappy paths ------------------------------------------------------------------------


def test_a_permission_on_an_unknown_resource_is_refused_with_its_path(example_inventory: Inventory) -> None:
    fn = example_inventory.function("payments-get-payment-dev")
    assert fn
    broken = Function(**{**fn.__dict__, "permissions": (*fn.permissions, Permission("payments-ghost-dev", "read"))})
    with pytest.raises(ConfigError, match=r"Permissions\[1\]\.Resource: 'payments-ghost-dev' is not a bucket or table"):
        function_access(broken, example_inventory, SUFFIX)


@pytest.mark.parametrize(
    "key_arn",
    [
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-0000-4000-8000-0123456789ab",
        "arn:aws:kms:eu-west-1:999999999999:key/1234abcd-0000-4000-8000-0123456789ab",
        "*",
        "arn:aws:kms:eu-west-1:111122223333:alias/payments-data-key-production-eu1",
    ],
)
def test_a_data_key_from_elsewhere_is_refused(key_arn: str) -> None:
    access = FunctionAccess("f-dev", "f-production-eu1", "f-role-production-eu1", (), ())
    with pytest.raises(ValueError, match="is not a KMS key of account"):
        execution_role_policy(access, account_id=ACCOUNT_ID, region=REGION, data_key_arn=key_arn)


def test_a_trust_policy_for_something_that_is_not_a_service_is_refused() -> None:
    with pytest.raises(ValueError, match=r"must end in \.amazonaws\.com"):
        assume_role_policy("arn:aws:iam::111122223333:root")
