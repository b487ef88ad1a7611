"""Fake upstream outputs for the observability layer, and richer dev inventories to run it against.

The outputs are what the foundation, data, compute and edge layers would export for a given
inventory: production names from the naming rule, ARNs in the formats the plan mocks use.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from payments_tools.harness import REPO_ROOT, LayerRun, PlannedRuns, example_inventory_data, run_layer, write_inventory
from payments_tools.mocks import ACCOUNT_ID, REGION
from shared.inventory import Inventory, load_inventory
from shared.naming import production_name, resource_name
from shared.outputs import Compute, Data, Edge, Foundation
from shared.settings import load_settings

SETTINGS = load_settings(REPO_ROOT)
SUFFIX = SETTINGS.environment_suffix
DEV_INVENTORY = REPO_ROOT / "config" / "dev-environment.json"
LOGS_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0f1e2d3c-0000-4000-8000-4c6f67734b65"
STAGE_NAME = "production"
ARTIFACTS_BUCKET = resource_name("payments-lambda", "artifacts", SUFFIX)


def fake_upstream(inventory: Inventory, suffix: str = SUFFIX) -> dict[str, dict[str, Any]]:
    """What the four upstream layers would export for `inventory`."""
    tables = {t.name: production_name(t.name, suffix) for t in inventory.tables}
    buckets = {b.name: production_name(b.name, suffix) for b in inventory.buckets}
    functions = {f.name: production_name(f.name, suffix) for f in inventory.functions}
    return {
        Foundation.LAYER: {Foundation.LOGS_KEY_ARN: LOGS_KEY_ARN, Foundation.ACCOUNT_ID: ACCOUNT_ID},
        Data.LAYER: {
            Data.TABLE_NAMES: tables,
            Data.TABLE_ARNS: {dev: f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}" for dev, name in tables.items()},
            Data.BUCKET_NAMES: buckets,
            Data.ARTIFACTS_BUCKET_NAME: ARTIFACTS_BUCKET,
        },
        Compute.LAYER: {
            Compute.FUNCTION_NAMES: functions,
            Compute.FUNCTION_ARNS: {dev: f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}" for dev, name in functions.items()},
        },
        Edge.LAYER: {Edge.API_NAME: production_name(inventory.api.name, suffix), Edge.STAGE_NAME: STAGE_NAME},
    }


def _rich_inventory_data(extra_tables: int, extra_functions: int) -> dict[str, Any]:
    """The example inventory plus `extra_tables` tables and `extra_functions` functions (absolute paths, so it can live anywhere)."""
    data = example_inventory_data()
    for i in range(extra_tables):
        data["dynamodbTables"].append(
            {
                "TableName": f"payments-ledger{i}-dev",
                "AttributeDefinitions": [{"AttributeName": "entryId", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "entryId", "KeyType": "HASH"}],
            }
        )
    template = data["lambdaFunctions"][1]
    for i in range(extra_functions):
        function = copy.deepcopy(template)
        function["FunctionName"] = f"payments-report{i}-dev"
        data["lambdaFunctions"].append(function)
    return data


@pytest.fixture
def fakes() -> SimpleNamespace:
    """The fake upstream values and helpers, for tests to compare against (conftest is not importable under importlib mode)."""
    return SimpleNamespace(
        suffix=SUFFIX,
        dev_inventory=DEV_INVENTORY,
        logs_key_arn=LOGS_KEY_ARN,
        stage_name=STAGE_NAME,
        artifacts_bucket=ARTIFACTS_BUCKET,
        upstream_for=fake_upstream,
        load=lambda path: load_inventory(path, REPO_ROOT, SUFFIX),
    )


@pytest.fixture
def inventory() -> Inventory:
    """The example dev inventory."""
    return load_inventory(DEV_INVENTORY, REPO_ROOT, SUFFIX)


@pytest.fixture
def upstream(inventory: Inventory) -> dict[str, dict[str, Any]]:
    """Upstream outputs for the example inventory."""
    return fake_upstream(inventory)


@pytest.fixture
def tableless_inventory_file(tmp_path: Path) -> Path:
    """An inventory with functions and the API but no tables or buckets (nothing for DynamoDB alarms to watch)."""
    data = _rich_inventory_data(extra_tables=0, extra_functions=0)
    data["dynamodbTables"], data["s3Buckets"] = [], []
    for function in data["lambdaFunctions"]:
        function["Permissions"] = []
    return write_inventory(data, tmp_path)


@pytest.fixture(scope="module")
def rich_inventory_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An inventory of 7 tables and 9 functions (the example has 3 and 5); one file per module, never modified."""
    return write_inventory(_rich_inventory_data(extra_tables=4, extra_functions=4), tmp_path_factory.mktemp("rich"))


@pytest.fixture(scope="module")
def run_observability() -> Callable[..., LayerRun]:
    """Run the layer against an inventory file (default: the example) with that inventory's fake upstream outputs.

    A run with the derived upstream outputs is planned once per module for each inventory file
    and configuration, and each caller gets its own deep copy: most tests only read the example
    run. A run with explicit upstream outputs, or one that fails, is never reused.
    """
    planned = PlannedRuns()

    def run(
        inventory_file: Path = DEV_INVENTORY, *, upstream: dict[str, Any] | None = None, config: dict[str, Any] | None = None
    ) -> LayerRun:
        merged = {"inventoryFile": str(inventory_file), **(config or {})}
        if upstream is not None:
            return run_layer("observability", upstream=upstream, config=merged)

        def plan() -> LayerRun:
            derived = fake_upstream(load_inventory(inventory_file, REPO_ROOT, SUFFIX))
            return run_layer("observability", upstream=derived, config=merged)

        return planned.get(merged, plan)

    return run
