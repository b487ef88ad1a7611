"""The foundation layer run end to end under the mock runtime: what it creates and what it exports."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from payments_foundation.key_policies import data_key_policy, logs_key_policy
from payments_foundation.role_policies import execution_role_policy, function_access
from payments_tools.harness import REPO_ROOT, LayerRun
from payments_tools.mocks import ACCOUNT_ID, REGION, PlanMocks
from payments_tools.plan import emulated_dev_account, run_program, stack_config
from shared.devcheck import DevResourcesMissing
from shared.inventory import Inventory
from shared.outputs import Foundation

SUFFIX = "eu1"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
DENY = {
    "Sid": "DenyOutsideProductionRegion",
    "Effect": "Deny",
    "Action": "*",
    "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
}


@pytest.fixture(scope="module")
def _run_cache() -> dict[str, LayerRun]:
    return {}


@pytest.fixture
def run(run_foundation: Callable[..., LayerRun], _run_cache: dict[str, LayerRun]) -> LayerRun:
    if "example" not in _run_cache:
        _run_cache["example"] = run_foundation()
    return _run_cache["example"]


def inline_policy(run: LayerRun, role_name: str) -> dict[str, Any]:
    role = next(r for r in run.of_type(ROLE) if r["inputs"]["name"] == role_name)
    policies = [p for p in run.of_type(ROLE_POLICY) if p["inputs"]["role"] == role["state"]["name"]]
    assert len(policies) == 1, f"{role_name} must have exactly one inline policy"
    return json.loads(policies[0]["inputs"]["policy"])


def test_two_keys_with_rotation_and_the_configured_deletion_window(run: LayerRun) -> None:
    keys = run.of_type(KEY)
    assert sorted(k["name"] for k in keys) == ["data-key", "logs-key"]
    for key in keys:
        assert key["inputs"]["enableKeyRotation"] is True
        assert key["inputs"]["deletionWindowInDays"] == 30


def test_key_policies_are_the_pure_builders_output_for_the_deploying_account(run: LayerRun) -> None:
    assert json.loads(run.one(KEY, "data-key")["inputs"]["policy"]) == data_key_policy(ACCOUNT_ID, REGION)
    assert json.loads(run.one(KEY, "logs-key")["inputs"]["policy"]) == logs_key_policy(ACCOUNT_ID, REGION)


def test_aliases_follow_the_naming_rule_and_point_at_their_keys(run: LayerRun) -> None:
    for kind in ("data", "logs"):
        alias = run.one(ALIAS, f"{kind}-key")
        assert alias["inputs"]["name"] == f"alias/payments-{kind}-key-production-eu1"
        assert alias["inputs"]["targetKeyId"] == run.one(KEY, f"{kind}-key")["state"]["keyId"]


def test_the_deletion_window_comes_from_settings(run_foundation: Callable[..., LayerRun]) -> None:
    run = run_foundation(kms={"deletionWindowDays": 7})
    assert {k["inputs"]["deletionWindowInDays"] for k in run.of_type(KEY)} == {7}


def test_a_deletion_window_outside_7_to_30_days_is_refused(run_foundation: Callable[..., LayerRun]) -> None:
    with pytest.raises(Exception, match=r"kms\.deletionWindowDays"):
        run_foundation(kms={"deletionWindowDays": 3})


def test_one_execution_role_per_function_trusted_by_lambda(run: LayerRun, example_inventory: Inventory) -> None:
    for fn in example_inventory.functions:
        name = fn.name.removesuffix("-dev") + "-role-production-eu1"
        role = run.one(ROLE, name)
        assert role["inputs"]["name"] == name
        trust = json.loads(role["inputs"]["assumeRolePolicy"])
        assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "lambda.amazonaws.com"}]
        assert not [a for a in run.of_type(ATTACHMENT) if a["inputs"]["role"] == name], "execution roles use no managed policy"


def test_execution_policies_are_built_from_permissions_and_the_created_data_key(run: LayerRun, example_inventory: Inventory) -> None:
    data_key_arn = run.outputs[Foundation.DATA_KEY_ARN]
    for fn in example_inventory.functions:
        access = function_access(fn, example_inventory, SUFFIX)
        expected = execution_role_policy(access, account_id=ACCOUNT_ID, region=REGION, data_key_arn=data_key_arn)
        assert inline_policy(run, access.role_name) == expected


def test_the_backup_role_is_trusted_by_backup_and_uses_the_aws_backup_policies(run: LayerRun) -> None:
    role = run.one(ROLE, "backup-role")
    assert role["inputs"]["name"] == "payments-backup-role-production-eu1"
    assert json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "backup.amazonaws.com"}
    attached = {a["inputs"]["policyArn"] for a in run.of_type(ATTACHMENT) if a["inputs"]["role"] == role["state"]["name"]}
    assert attached == {
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    }


def test_the_api_gateway_logging_role_is_trusted_by_api_gateway(run: LayerRun) -> None:
    role = run.one(ROLE, "api-gateway-logging-role")
    assert role["inputs"]["name"] == "payments-apigateway-logs-role-production-eu1"
    assert json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "apigateway.amazonaws.com"}
    attached = {a["inputs"]["policyArn"] for a in run.of_type(ATTACHMENT) if a["inputs"]["role"] == role["state"]["name"]}
    assert attached == {"arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}
    assert not run.of_type("aws:apigateway/account:Account"), "the account-level setting belongs to the edge layer"


def test_every_role_carries_the_region_deny(run: LayerRun) -> None:
    roles = run.of_type(ROLE)
    assert len(roles) == 5 + 2
    for role in roles:
        assert DENY in inline_policy(run, role["inputs"]["name"])["Statement"], role["name"]


def test_role_names_fit_iam(run: LayerRun) -> None:
    assert all(len(r["inputs"]["name"]) <= 64 for r in run.of_type(ROLE))


def test_every_output_of_the_contract_is_exported(run: LayerRun, example_inventory: Inventory) -> None:
    outputs = run.outputs
    assert outputs[Foundation.ACCOUNT_ID] == ACCOUNT_ID
    assert outputs[Foundation.DATA_KEY_ARN] == run.one(KEY, "data-key")["state"]["arn"]
    assert outputs[Foundation.LOGS_KEY_ARN] == run.one(KEY, "logs-key")["state"]["arn"]
    assert outputs[Foundation.DATA_KEY_ALIAS] == "alias/payments-data-key-production-eu1"
    assert outputs[Foundation.LOGS_KEY_ALIAS] == "alias/payments-logs-key-production-eu1"
    assert outputs[Foundation.FUNCTION_ROLE_ARNS] == {
        fn.name: f"arn:aws:iam::{ACCOUNT_ID}:role/{fn.name.removesuffix('-dev')}-role-production-eu1" for fn in example_inventory.functions
    }
    assert outputs[Foundation.BACKUP_ROLE_ARN] == f"arn:aws:iam::{ACCOUNT_ID}:role/payments-backup-role-production-eu1"
    api_role = "payments-apigateway-logs-role-production-eu1"
    assert outputs[Foundation.API_GATEWAY_LOGGING_ROLE_ARN] == f"arn:aws:iam::{ACCOUNT_ID}:role/{api_role}"
    keys = {v for k, v in vars(Foundation).items() if k.isupper() and k != "LAYER"}
    assert set(outputs) == keys


def test_a_larger_inventory_gets_one_least_privilege_role_per_function(
    run_foundation: Callable[..., LayerRun], large_inventory_file: Path, large_inventory: Inventory
) -> None:
    run = run_foundation(inventoryFile=str(large_inventory_file))
    assert set(run.outputs[Foundation.FUNCTION_ROLE_ARNS]) == {fn.name for fn in large_inventory.functions}
    assert len(run.of_type(ROLE)) == len(large_inventory.functions) + 2 == 11
    data_key_arn = run.outputs[Foundation.DATA_KEY_ARN]
    for fn in large_inventory.functions:
        access = function_access(fn, large_inventory, SUFFIX)
        assert inline_policy(run, access.role_name) == execution_role_policy(
            access, account_id=ACCOUNT_ID, region=REGION, data_key_arn=data_key_arn
        )


def test_nothing_is_created_until_every_dev_resource_is_found():
    """Foundation deploys first, so it checks every kind of dev resource, all misses in one error."""
    missing = frozenset({"payments-refund-payment-dev", "payments-api-dev", "payments-receipts-dev"})
    mocks = PlanMocks()
    with emulated_dev_account(REPO_ROOT, skip=missing), pytest.raises(DevResourcesMissing) as err:
        run_program(
            REPO_ROOT / "stacks" / "foundation" / "__main__.py",
            project="payments-foundation",
            mocks=mocks,
            config=stack_config(REPO_ROOT / "stacks" / "foundation"),
        )
    message = str(err.value)
    for name in missing:
        assert name in message
    assert not [r for r in mocks.resources if r["type"].startswith("aws:")]


def test_with_the_dev_check_off_a_missing_dev_account_deploys_and_every_run_says_the_check_is_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After cutover dev may be gone: checkDevResources: false skips the lookup, never silently."""
    everything = frozenset({"payments-refund-payment-dev", "payments-api-dev", "payments-receipts-dev", "payments-documents-dev"})
    config = {**stack_config(REPO_ROOT / "stacks" / "foundation"), "payments-foundation:checkDevResources": "false"}
    with caplog.at_level("WARNING"):
        for _ in range(2):
            mocks = PlanMocks()
            with emulated_dev_account(REPO_ROOT, skip=everything):
                run_program(REPO_ROOT / "stacks" / "foundation" / "__main__.py", project="payments-foundation", mocks=mocks, config=config)
            assert [r for r in mocks.resources if r["type"] == KEY]
    warnings = [r.getMessage() for r in caplog.records if "checkDevResources is false" in r.getMessage()]
    assert len(warnings) == 2
    assert "NOT looked up" in warnings[0] and "after cutover" in warnings[0]
