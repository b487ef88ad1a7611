"""Fake upstream outputs for the compute layer, derived from an inventory with the naming rule.

Values use the mock runtime's ARN formats (account 111122223333, eu-west-1), so what the
layer builds from them looks like what it would build from the real foundation and data
stacks.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from payments_tools.mocks import ACCOUNT_ID, REGION
from shared.naming import derived_name, production_name, resource_name
from shared.outputs import Data, Foundation

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "config" / "dev-environment.json"
SUFFIX = "eu1"

DATA_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0a1b2c3d-0000-4000-8000-data00000001"
LOGS_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0a1b2c3d-0000-4000-8000-logs00000001"


def load_inventory_json(path: Path = INVENTORY) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def upstream_for(inventory: dict[str, Any], suffix: str = SUFFIX) -> dict[str, dict[str, Any]]:
    """The foundation and data outputs the real layers would export for `inventory`."""
    functions = [f["FunctionName"] for f in inventory["lambdaFunctions"]]
    buckets = [b["name"] for b in inventory["s3Buckets"]]
    tables = [t["TableName"] for t in inventory["dynamodbTables"]]
    artifacts = resource_name("payments-lambda", "artifacts", suffix)
    return {
        Foundation.LAYER: {
            Foundation.DATA_KEY_ARN: DATA_KEY_ARN,
            Foundation.LOGS_KEY_ARN: LOGS_KEY_ARN,
            Foundation.FUNCTION_ROLE_ARNS: {f: f"arn:aws:iam::{ACCOUNT_ID}:role/{derived_name(f, 'role', suffix)}" for f in functions},
            Foundation.ACCOUNT_ID: ACCOUNT_ID,
        },
        Data.LAYER: {
            Data.ARTIFACTS_BUCKET_NAME: artifacts,
            Data.ARTIFACTS_BUCKET_ARN: f"arn:aws:s3:::{artifacts}",
            Data.BUCKET_NAMES: {b: production_name(b, suffix) for b in buckets},
            Data.BUCKET_ARNS: {b: f"arn:aws:s3:::{production_name(b, suffix)}" for b in buckets},
            Data.TABLE_NAMES: {t: production_name(t, suffix) for t in tables},
            Data.TABLE_ARNS: {t: f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{production_name(t, suffix)}" for t in tables},
        },
    }


@pytest.fixture
def dev_inventory() -> dict[str, Any]:
    """A fresh copy of the example inventory, safe to modify."""
    return copy.deepcopy(load_inventory_json())


@pytest.fixture
def upstream() -> dict[str, dict[str, Any]]:
    """Upstream outputs for the example inventory."""
    return upstream_for(load_inventory_json())


@pytest.fixture(scope="session")
def make_upstream() -> Callable[[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Upstream outputs for any inventory (tests import nothing from conftest under importlib mode)."""
    return upstream_for


def write_handler_tree(root: Path, handlers: dict[str, str]) -> Path:
    """A small source folder with one ES module per handler (`{"module": "body"}`)."""
    root.mkdir(parents=True, exist_ok=True)
    for module, body in handlers.items():
        (root / f"{module}.mjs").write_text(f"export const handler = async () => {body};\n", encoding="utf-8")
    return root


def rich_inventory_in(folder: Path) -> dict[str, Any]:
    """The example inventory plus what it does not exercise, its extra code written under `folder`.

    - a reporting function with 1024 MB (above the 512 floor) in its own code folder,
      whose variables embed dev names inside larger values (an S3 URI, a list, another
      function's name) and include a name that contains another dev name;
    - a webhook function sharing that code folder (so two functions share one package);
    - an archive bucket and a table whose names contain other dev names.
    """
    inv = load_inventory_json()
    inv["s3Buckets"].append({"name": "payments-receipts-archive-dev", "purpose": "archive"})
    inv["dynamodbTables"].append(
        {
            "TableName": "payments-transactions-ledger-dev",
            "AttributeDefinitions": [{"AttributeName": "entryId", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "entryId", "KeyType": "HASH"}],
        }
    )
    code = write_handler_tree(folder / "reporting-src", {"report": "({ statusCode: 200 })", "webhook": "({ statusCode: 202 })"})
    (code / "README.md").write_text("not shipped\n")
    inv["lambdaFunctions"] += [
        {
            "FunctionName": "payments-reporting-dev",
            "Runtime": "nodejs18.x",
            "Handler": "report.handler",
            "MemorySize": 1024,
            "Timeout": 120,
            "Environment": {
                "Variables": {
                    "ARCHIVE_URI": "s3://payments-receipts-archive-dev/reports/",
                    "SOURCE_TABLES": "payments-transactions-dev,payments-transactions-ledger-dev",
                    "NOTIFY_FUNCTION": "payments-generate-receipt-dev",
                    "LOG_LEVEL": "debug",
                }
            },
            "CodePath": str(code),
            "Permissions": [
                {"Resource": "payments-transactions-dev", "Access": "read"},
                {"Resource": "payments-transactions-ledger-dev", "Access": "read"},
                {"Resource": "payments-receipts-archive-dev", "Access": "write"},
            ],
        },
        {
            "FunctionName": "payments-webhook-dev",
            "Runtime": "nodejs18.x",
            "Handler": "webhook.handler",
            "MemorySize": 512,
            "Timeout": 30,
            "Environment": {"Variables": {"RECEIPTS_BUCKET": "payments-receipts-dev", "FEATURE_FLAG": "on"}},
            "CodePath": str(code),
            "Permissions": [{"Resource": "payments-receipts-dev", "Access": "read"}],
        },
    ]
    return inv


@pytest.fixture
def small_code_inventory(tmp_path: Path, dev_inventory: dict[str, Any]) -> dict[str, Any]:
    """The example inventory with every function's code replaced by a one-line module of the same name.

    For tests about settings, where what the bundle holds is beside the point: esbuild bundles
    the real handlers (and the AWS SDK) in a second or two for each Node.js target.
    """
    modules = {f["Handler"].rsplit(".", 1)[0]: "({ statusCode: 200 })" for f in dev_inventory["lambdaFunctions"]}
    code = write_handler_tree(tmp_path / "small-src", modules)
    for function in dev_inventory["lambdaFunctions"]:
        function["CodePath"] = str(code)
    return dev_inventory


@pytest.fixture
def rich_inventory(tmp_path: Path) -> dict[str, Any]:
    """The rich inventory (see `rich_inventory_in`) with its own code folder, safe to modify."""
    return rich_inventory_in(tmp_path)


@pytest.fixture(scope="session")
def make_rich_inventory() -> Callable[[Path], dict[str, Any]]:
    """`rich_inventory_in`, for module-scoped fixtures (tests import nothing from conftest under importlib mode)."""
    return rich_inventory_in


@pytest.fixture
def write_inventory(tmp_path: Path) -> Callable[[dict[str, Any]], str]:
    """Write an inventory into tmp_path; returns the path to pass as `config={"inventoryFile": ...}`."""
    counter = iter(range(1000))

    def write(inventory: dict[str, Any]) -> str:
        path = tmp_path / f"inventory-{next(counter)}.json"
        path.write_text(json.dumps(inventory), encoding="utf-8")
        return str(path)

    return write
