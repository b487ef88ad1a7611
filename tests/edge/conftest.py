"""Fake upstream outputs for the edge layer, in the formats the plan mocks give real resources."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from payments_tools.harness import REPO_ROOT, LayerRun, example_inventory_data, run_layer
from payments_tools.harness import write_inventory as write_inventory_file
from payments_tools.mocks import ACCOUNT_ID, REGION
from shared.naming import production_name
from shared.outputs import Compute, Foundation
from shared.settings import load_settings

SUFFIX = load_settings(REPO_ROOT).environment_suffix


def function_arn(dev_name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{production_name(dev_name, SUFFIX)}"


def invoke_arn(dev_name: str) -> str:
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn(dev_name)}/invocations"


def compute_outputs(dev_functions: list[str]) -> dict[str, Any]:
    """What the compute layer exports for these dev functions."""
    return {
        Compute.FUNCTION_NAMES: {name: production_name(name, SUFFIX) for name in dev_functions},
        Compute.FUNCTION_ARNS: {name: function_arn(name) for name in dev_functions},
        Compute.FUNCTION_INVOKE_ARNS: {name: invoke_arn(name) for name in dev_functions},
    }


FOUNDATION_OUTPUTS: dict[str, Any] = {
    Foundation.LOGS_KEY_ARN: f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1b2c3d4e-0000-4000-8000-0123456789ab",
    Foundation.API_GATEWAY_LOGGING_ROLE_ARN: f"arn:aws:iam::{ACCOUNT_ID}:role/payments-apigateway-logs-role-production-{SUFFIX}",
}


def inventory_functions(inventory_path: Path) -> list[str]:
    return [f["FunctionName"] for f in json.loads(inventory_path.read_text())["lambdaFunctions"]]


EXAMPLE_FUNCTIONS = inventory_functions(REPO_ROOT / "config" / "dev-environment.json")


class Fakes:
    """The fake upstream helpers, as a fixture: test modules cannot import conftest under importlib mode."""

    suffix = SUFFIX
    example_functions = tuple(EXAMPLE_FUNCTIONS)

    def __init__(self) -> None:
        self.foundation = dict(FOUNDATION_OUTPUTS)

    @staticmethod
    def function_arn(dev_name: str) -> str:
        return function_arn(dev_name)

    @staticmethod
    def invoke_arn(dev_name: str) -> str:
        return invoke_arn(dev_name)

    @staticmethod
    def compute_outputs(dev_functions: list[str]) -> dict[str, Any]:
        return compute_outputs(dev_functions)

    def upstream_for(self, inventory_path: Path) -> dict[str, dict[str, Any]]:
        """Upstream outputs for every function of an inventory file."""
        return {"foundation": dict(self.foundation), "compute": compute_outputs(inventory_functions(inventory_path))}


@pytest.fixture
def fake() -> Fakes:
    return Fakes()


@pytest.fixture
def upstream() -> dict[str, dict[str, Any]]:
    """Upstream outputs for the example inventory."""
    return {"foundation": dict(FOUNDATION_OUTPUTS), "compute": compute_outputs(EXAMPLE_FUNCTIONS)}


@pytest.fixture(scope="module")
def example_run() -> LayerRun:
    """The edge layer planned once against the example inventory (shared by read-only tests)."""
    return run_layer("edge", upstream={"foundation": dict(FOUNDATION_OUTPUTS), "compute": compute_outputs(EXAMPLE_FUNCTIONS)})


@pytest.fixture
def write_inventory(tmp_path: Path) -> Callable[..., Path]:
    """Write a modified copy of the example inventory (and optionally a contract) into tmp_path.

    `edit(inventory)` and `edit_contract(contract)` mutate the loaded JSON in place; the copy
    points at absolute CodePaths and at its own contract file.
    """

    def write(
        edit: Callable[[dict[str, Any]], None] | None = None,
        edit_contract: Callable[[dict[str, Any]], None] | None = None,
        contract: dict[str, Any] | None = None,
    ) -> Path:
        inventory = example_inventory_data()
        document = contract if contract is not None else json.loads(Path(inventory["apiGateway"]["openApiFile"]).read_text())
        if edit_contract:
            edit_contract(document)
        contract_path = tmp_path / "contract.json"
        contract_path.write_text(json.dumps(document))
        inventory["apiGateway"]["openApiFile"] = str(contract_path)
        if edit:
            edit(inventory)
        return write_inventory_file(inventory, tmp_path)

    return write
