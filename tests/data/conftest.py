"""Fixtures for the data layer: fake foundation outputs, an emulated dev account, richer inventories."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from payments_tools.devaccount import seed_dev_account
from payments_tools.harness import REPO_ROOT, LayerRun, PlannedRuns, example_inventory_data, run_layer, write_inventory
from payments_tools.mocks import ACCOUNT_ID, REGION
from shared.inventory import Inventory, load_inventory
from shared.naming import resource_name
from shared.outputs import Foundation
from shared.settings import load_settings

SUFFIX = "eu1"
DATA_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/5e1f0c2a-0000-4000-8000-7d2b9c4e1a30"
LOGS_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/9a8b7c6d-0000-4000-8000-1f2e3d4c5b6a"
BACKUP_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/{resource_name('payments-backup', 'role', SUFFIX)}"


AMBIENT_AWS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION")


@pytest.fixture(autouse=True)
def _no_ambient_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never let a developer's own AWS profile or region leak into a test."""
    for var in AMBIENT_AWS:
        monkeypatch.delenv(var, raising=False)


def fake_foundation_outputs() -> dict[str, Any]:
    """What the foundation layer exports, in the mock's ARN formats and named by the naming rule."""
    return {
        Foundation.DATA_KEY_ARN: DATA_KEY_ARN,
        Foundation.DATA_KEY_ALIAS: f"alias/{resource_name('payments', 'data', SUFFIX)}",
        Foundation.LOGS_KEY_ARN: LOGS_KEY_ARN,
        Foundation.LOGS_KEY_ALIAS: f"alias/{resource_name('payments', 'logs', SUFFIX)}",
        Foundation.BACKUP_ROLE_ARN: BACKUP_ROLE_ARN,
        Foundation.ACCOUNT_ID: ACCOUNT_ID,
    }


@pytest.fixture
def foundation_outputs() -> dict[str, Any]:
    return fake_foundation_outputs()


def read_inventory(path: Path | None = None) -> Inventory:
    settings = load_settings(REPO_ROOT)
    return load_inventory(path or settings.inventory_file, settings.repo_root, settings.environment_suffix)


@pytest.fixture
def inventory() -> Inventory:
    return read_inventory()


def rich_inventory_data() -> dict[str, Any]:
    """The example inventory plus tables and buckets that use every schema feature the example does not."""
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
                {"AttributeName": "entryId", "AttributeType": "S"},
                {"AttributeName": "currency", "AttributeType": "S"},
                {"AttributeName": "postedAt", "AttributeType": "N"},
                {"AttributeName": "batchDigest", "AttributeType": "B"},
            ],
            "KeySchema": [
                {"AttributeName": "accountId", "KeyType": "HASH"},
                {"AttributeName": "entryId", "KeyType": "RANGE"},
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "byCurrency",
                    "KeySchema": [
                        {"AttributeName": "currency", "KeyType": "HASH"},
                        {"AttributeName": "postedAt", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                },
                {
                    "IndexName": "byBatch",
                    "KeySchema": [{"AttributeName": "batchDigest", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["amount", "status"]},
                },
            ],
            "LocalSecondaryIndexes": [
                {
                    "IndexName": "byPostedAt",
                    "KeySchema": [
                        {"AttributeName": "accountId", "KeyType": "HASH"},
                        {"AttributeName": "postedAt", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["amount"]},
                },
                {
                    "IndexName": "byCurrencyLocal",
                    "KeySchema": [
                        {"AttributeName": "accountId", "KeyType": "HASH"},
                        {"AttributeName": "currency", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                },
            ],
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
            "TimeToLive": {"AttributeName": "purgeAt", "Enabled": True},
        },
        {
            "TableName": "payments-audit-dev",
            "AttributeDefinitions": [
                {"AttributeName": "sequence", "AttributeType": "N"},
                {"AttributeName": "recordedAt", "AttributeType": "S"},
            ],
            "KeySchema": [
                {"AttributeName": "sequence", "KeyType": "HASH"},
                {"AttributeName": "recordedAt", "KeyType": "RANGE"},
            ],
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
            "TimeToLive": {"AttributeName": "expiresAt", "Enabled": False},
        },
        {
            "TableName": "payments-settlements-dev",
            "AttributeDefinitions": [{"AttributeName": "settlementId", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "settlementId", "KeyType": "HASH"}],
            "StreamSpecification": {"StreamEnabled": False},
        },
    ]
    return data


@pytest.fixture(scope="module")
def rich_inventory_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rich inventory, written once per module and never modified."""
    return write_inventory(rich_inventory_data(), tmp_path_factory.mktemp("rich"))


@pytest.fixture
def rich_inventory(rich_inventory_file: Path) -> Inventory:
    return read_inventory(rich_inventory_file)


@pytest.fixture
def dev_account() -> Iterator[Callable[..., None]]:
    """moto's AWS; call the yielded function to seed it from an inventory (optionally skipping resources).

    Seeding is idempotent per inventory file so one test can run the layer several times.
    """
    seeded: set[Path] = set()
    with mock_aws():

        def seed(inv: Inventory, skip: frozenset[str] = frozenset()) -> None:
            if inv.source not in seeded:
                seed_dev_account(inv, skip=skip)
                seeded.add(inv.source)

        yield seed


def _run(foundation: dict[str, Any], inventory_file: Path | None, config: dict[str, Any] | None) -> LayerRun:
    merged = dict(config or {})
    if inventory_file is not None:
        merged["inventoryFile"] = str(inventory_file)
    return run_layer("data", upstream={Foundation.LAYER: foundation}, config=merged)


@pytest.fixture(scope="module")
def planned_data_runs() -> PlannedRuns:
    """The data runs this module planned, by inventory file, configuration and foundation outputs."""
    return PlannedRuns()


@pytest.fixture
def run_data(foundation_outputs: dict[str, Any], planned_data_runs: PlannedRuns) -> Callable[..., LayerRun]:
    """Run the data layer in a dev account seeded from the inventory it will read.

    Each distinct run (inventory file, configuration, foundation outputs) is planned once per
    module, in its own freshly seeded emulated account, and every caller gets a deep copy.
    """

    def run(inventory_file: Path | None = None, config: dict[str, Any] | None = None) -> LayerRun:
        def plan() -> LayerRun:
            with mock_aws():
                seed_dev_account(read_inventory(inventory_file))
                return _run(foundation_outputs, inventory_file, config)

        return planned_data_runs.get([str(inventory_file), config or {}, foundation_outputs], plan)

    return run


@pytest.fixture(scope="session")
def planned_data_example() -> LayerRun:
    """The layer planned once per test process on the example inventory with default settings."""
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for var in AMBIENT_AWS:
            patch.delenv(var, raising=False)
        seed_dev_account(read_inventory())
        return _run(fake_foundation_outputs(), None, None)


@pytest.fixture
def example_run(planned_data_example: LayerRun) -> LayerRun:
    """The example run, for the policy tests of every data module: each test reads its own deep copy."""
    return copy.deepcopy(planned_data_example)
