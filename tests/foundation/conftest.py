"""Fixtures of the foundation tests: inventories (the example and a larger one), policy linting, a layer runner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import parliament
import pytest

from payments_tools.harness import REPO_ROOT, LayerRun, example_inventory_data, run_layer, write_inventory
from payments_tools.mocks import ACCOUNT_ID, REGION
from payments_tools.plan import emulated_dev_account
from shared.inventory import Inventory, load_inventory
from shared.settings import load_settings

SUFFIX = "eu1"
CODE = "stacks/compute/handlers/payments"


def _function(name: str, handler: str, permissions: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "FunctionName": name,
        "Runtime": "nodejs18.x",
        "Handler": handler,
        "MemorySize": 256,
        "Timeout": 10,
        "Environment": {"Variables": {"LOG_LEVEL": "debug"}},
        "CodePath": CODE,
        "Permissions": [{"Resource": r, "Access": a} for r, a in permissions],
    }


def large_inventory_data() -> dict[str, Any]:
    """The example plus 2 buckets, 2 tables (one with an LSI, one without indexes) and 4 functions
    covering write-only buckets and tables, merged read+write entries and no permissions at all."""
    data = example_inventory_data()
    data["s3Buckets"] += [
        {"name": "payments-statements-dev", "purpose": "statements"},
        {"name": "payments-exports-dev", "purpose": "exports"},
    ]
    data["dynamodbTables"] += [
        {
            "TableName": "payments-ledger-dev",
            "AttributeDefinitions": [
                {"AttributeName": "accountId", "AttributeType": "S"},
                {"AttributeName": "postedAt", "AttributeType": "S"},
                {"AttributeName": "amount", "AttributeType": "N"},
            ],
            "KeySchema": [{"AttributeName": "accountId", "KeyType": "HASH"}, {"AttributeName": "postedAt", "KeyType": "RANGE"}],
            "LocalSecondaryIndexes": [
                {
                    "IndexName": "byAmount",
                    "KeySchema": [{"AttributeName": "accountId", "KeyType": "HASH"}, {"AttributeName": "amount", "KeyType": "RANGE"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
        },
        {
            "TableName": "payments-audit-dev",
            "AttributeDefinitions": [{"AttributeName": "eventId", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "eventId", "KeyType": "HASH"}],
        },
    ]
    data["lambdaFunctions"] += [
        _function(
            "payments-export-statements-dev",
            "get-payment.handler",
            [
                ("payments-ledger-dev", "read"),
                ("payments-statements-dev", "read"),
                ("payments-exports-dev", "write"),
            ],
        ),
        _function(
            "payments-archive-documents-dev",
            "get-payment.handler",
            [
                ("payments-documents-dev", "read"),
                ("payments-documents-dev", "write"),
                ("payments-audit-dev", "write"),
            ],
        ),
        _function("payments-audit-writer-dev", "get-payment.handler", [("payments-audit-dev", "write")]),
        _function("payments-health-dev", "get-payment.handler", []),
    ]
    return data


@pytest.fixture
def example_inventory() -> Inventory:
    settings = load_settings(REPO_ROOT)
    return load_inventory(settings.inventory_file, settings.repo_root, settings.environment_suffix)


@pytest.fixture
def large_inventory_file(tmp_path: Path) -> Path:
    return write_inventory(large_inventory_data(), tmp_path)


@pytest.fixture
def large_inventory(large_inventory_file: Path) -> Inventory:
    return load_inventory(large_inventory_file, REPO_ROOT, SUFFIX)


@pytest.fixture
def data_key_arn() -> str:
    """The data key ARN in the mock's format (PlanMocks: `arn:aws:kms:<region>:<acct>:key/<uuid>`)."""
    return f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-0000-4000-8000-0123456789ab"


# Parliament is an identity-policy linter; these are its known false positives on the other
# kinds of policy this layer writes, filtered by (issue, exact detail) so nothing else is hidden.
KEY_POLICY_FALSE_POSITIVES: tuple[str, ...] = (
    # In a key policy, Resource "*" means "this key"; KMS key policies cannot name anything else.
    "RESOURCE_STAR",
)
ARNLIKE_LOGS_CONTEXT = "Type mismatch: ArnLike requires a value of type Arn but given String"
"""parliament types kms:EncryptionContext:aws:logs:arn as String; AWS documents ArnLike for it."""
TRUST_POLICY_MISSING_RESOURCE = "Statement contains neither Resource nor NotResource"
"""A trust policy is a resource policy: it has no Resource element, by definition."""


def lint(policy: dict[str, Any], kind: str = "identity") -> list[tuple[str, Any]]:
    """parliament findings for `policy`, minus the documented false positives for `kind`."""
    findings = parliament.analyze_policy_string(json.dumps(policy)).findings
    kept = []
    for finding in findings:
        if kind == "key" and finding.issue in KEY_POLICY_FALSE_POSITIVES:
            continue
        if kind == "key" and finding.issue == "MISMATCHED_TYPE" and finding.detail == ARNLIKE_LOGS_CONTEXT:
            continue
        if kind == "trust" and finding.issue == "MALFORMED" and finding.detail == TRUST_POLICY_MISSING_RESOURCE:
            continue
        kept.append((finding.issue, finding.detail))
    return kept


@pytest.fixture(name="lint")
def lint_fixture() -> Callable[..., list[tuple[str, Any]]]:
    """`lint(policy, kind)`: parliament findings minus the documented false positives."""
    return lint


@pytest.fixture
def run_foundation() -> Callable[..., LayerRun]:
    def run(**config: Any) -> LayerRun:
        inventory_file = Path(config["inventoryFile"]) if "inventoryFile" in config else None
        with emulated_dev_account(REPO_ROOT, inventory_file):
            return run_layer("foundation", config=config)

    return run
