"""Function-setting policies, proven on the pure rules without a deploy."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from payments_compute.rules import (
    check_concurrency,
    function_specs,
    production_environment,
    production_memory,
    resource_name_map,
    rewrite_names,
)
from shared.errors import ConfigError
from shared.inventory import Inventory, parse_inventory
from shared.outputs import Data, Foundation
from shared.references import require_entry
from shared.settings import ComputeSettings, Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
SUFFIX = "eu1"
MIGRATION = dt.date(2026, 12, 1)


@pytest.fixture
def settings() -> Settings:
    return load_settings(REPO)


@pytest.fixture
def inventory(dev_inventory: dict[str, Any]) -> Inventory:
    return parse_inventory(dev_inventory, REPO, SUFFIX)


def with_compute(settings: Settings, **changes: object) -> Settings:
    return dataclasses.replace(settings, compute=dataclasses.replace(settings.compute, **changes))


# --- memory, timeout, naming ----------------------------------------------------------------


@pytest.mark.parametrize(("dev", "floor", "expected"), [(128, 512, 512), (512, 512, 512), (1024, 512, 1024), (3008, 1024, 3008)])
def test_memory_is_never_below_the_floor_nor_the_dev_function(dev: int, floor: int, expected: int) -> None:
    assert production_memory(dev, floor) == expected


def test_specs_follow_the_inventory_and_settings(inventory: Inventory, settings: Settings) -> None:
    specs = {s.dev_name: s for s in function_specs(inventory, settings)}
    assert set(specs) == {f.name for f in inventory.functions}
    for function in inventory.functions:
        spec = specs[function.name]
        assert spec.name == function.name.removesuffix("-dev") + "-production-eu1"
        assert spec.timeout == function.timeout
        assert spec.handler == function.handler
        assert spec.memory_size == max(512, function.memory_size)
        assert spec.runtime == settings.compute.runtime
        assert spec.log_group_name == f"/aws/lambda/{spec.name}"
    assert specs["payments-process-payment-dev"].reserved_concurrency == 100
    assert specs["payments-get-payment-dev"].reserved_concurrency == settings.compute.default_reserved_concurrency


# --- reserved concurrency -------------------------------------------------------------------


def test_exactly_100_unreserved_is_accepted() -> None:
    check_concurrency({"a-dev": 450, "b-dev": 450}, 1000)


def test_a_total_leaving_fewer_than_100_unreserved_is_refused_naming_numbers_and_functions() -> None:
    with pytest.raises(ConfigError) as err:
        check_concurrency({"payments-a-dev": 500, "payments-b-dev": 401}, 1000)
    message = str(err.value)
    assert err.value.paths == ["compute.reservedConcurrency"]
    for fragment in ("901", "1000", "leaves 99 unreserved", "at least 100", "payments-a-dev=500", "payments-b-dev=401"):
        assert fragment in message


def test_the_default_counts_toward_the_total(inventory: Inventory, settings: Settings) -> None:
    # 2 × 100 configured + 3 × 250 default = 950 of 1000: only 50 left.
    with pytest.raises(ConfigError, match="reserving 950 of the account limit 1000"):
        function_specs(inventory, with_compute(settings, default_reserved_concurrency=250))


def test_a_larger_account_limit_admits_the_same_reservations(inventory: Inventory, settings: Settings) -> None:
    specs = function_specs(inventory, with_compute(settings, default_reserved_concurrency=250, account_concurrency_limit=2000))
    assert sum(s.reserved_concurrency for s in specs) == 950


def test_a_reservation_for_an_unknown_function_is_refused(inventory: Inventory, settings: Settings) -> None:
    reservations = MappingProxyType({**settings.compute.reserved_concurrency, "payments-typo-dev": 10})
    with pytest.raises(ConfigError) as err:
        function_specs(inventory, with_compute(settings, reserved_concurrency=reservations))
    assert err.value.paths == ["compute.reservedConcurrency.payments-typo-dev"]


# --- environment rewriting ------------------------------------------------------------------

NAME_MAP = {
    "payments-receipts-dev": "payments-receipts-production-eu1",
    "payments-receipts-archive-dev": "archive-bucket-prod",
    "archive-dev": "should-never-appear",
    "payments-transactions-dev": "payments-transactions-production-eu1",
}


def test_names_are_rewritten_anywhere_in_a_value_longest_first() -> None:
    assert rewrite_names("s3://payments-receipts-archive-dev/x", NAME_MAP) == "s3://archive-bucket-prod/x"
    assert rewrite_names("payments-receipts-dev,payments-transactions-dev", NAME_MAP) == (
        "payments-receipts-production-eu1,payments-transactions-production-eu1"
    )
    assert rewrite_names("no names here", NAME_MAP) == "no names here"


def test_rewriting_is_one_pass() -> None:
    # A production name containing a dev name must not be rewritten again.
    assert rewrite_names("a-dev", {"a-dev": "a-dev-b-dev", "b-dev": "x"}) == "a-dev-b-dev"


def test_production_environment_rewrites_dev_values_and_extra_wins() -> None:
    env = production_environment(
        {"RECEIPTS_BUCKET": "payments-receipts-dev", "LOG_LEVEL": "debug", "OTHER": "kept"},
        NAME_MAP,
        {"LOG_LEVEL": "info", "ARCHIVE": "payments-receipts-archive-dev"},
    )
    assert env == {
        "RECEIPTS_BUCKET": "payments-receipts-production-eu1",
        "LOG_LEVEL": "info",
        "OTHER": "kept",
        "ARCHIVE": "archive-bucket-prod",
    }


def test_no_dev_name_survives_in_any_example_function(inventory: Inventory, settings: Settings, upstream: dict[str, Any]) -> None:
    outputs = upstream[Data.LAYER]
    names = resource_name_map(inventory, outputs[Data.TABLE_NAMES], outputs[Data.BUCKET_NAMES], SUFFIX)
    assert set(names) == set(inventory.resource_names)
    for function in inventory.functions:
        env = production_environment(function.environment, names, settings.compute.environment)
        assert env["LOG_LEVEL"] == "info"
        for value in env.values():
            assert not any(dev in value for dev in inventory.resource_names), value
            assert not value.endswith("-dev")


def test_reserved_variables_are_refused() -> None:
    with pytest.raises(ConfigError) as err:
        production_environment({"AWS_REGION": "us-east-1", "_HANDLER": "x"}, {}, {}, owner="payments-x-dev")
    assert err.value.paths == ["payments-x-dev.Environment.Variables.AWS_REGION", "payments-x-dev.Environment.Variables._HANDLER"]


def test_a_dev_arn_is_refused_rather_than_half_rewritten() -> None:
    dev_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/payments-transactions-dev"
    with pytest.raises(ConfigError, match="TABLE_ARN: holds the dev account id 123456789012"):
        production_environment({"TABLE_ARN": dev_arn}, NAME_MAP, {}, dev_account_id="123456789012")


def test_data_outputs_missing_a_dev_resource_are_refused(inventory: Inventory, upstream: dict[str, Any]) -> None:
    outputs = upstream[Data.LAYER]
    tables = {k: v for k, v in outputs[Data.TABLE_NAMES].items() if k != "payments-merchants-dev"}
    with pytest.raises(ConfigError) as err:
        resource_name_map(inventory, tables, {}, SUFFIX)
    message = str(err.value)
    assert "data:tableNames: has no entry for 'payments-merchants-dev'" in message
    assert "data:bucketNames: has no entry for 'payments-documents-dev'" in message
    assert "redeploy the data layer" in message


# --- role -----------------------------------------------------------------------------------


def test_the_role_is_the_one_foundation_made_for_the_function(upstream: dict[str, Any]) -> None:
    roles = upstream[Foundation.LAYER][Foundation.FUNCTION_ROLE_ARNS]
    assert require_entry(roles, "payments-get-payment-dev", layer="foundation", key=Foundation.FUNCTION_ROLE_ARNS).endswith(
        ":role/payments-get-payment-role-production-eu1"
    )
    with pytest.raises(ConfigError, match=r"foundation:functionRoleArns\[payments-new-dev\]: the foundation layer exports nothing"):
        require_entry(roles, "payments-new-dev", layer="foundation", key=Foundation.FUNCTION_ROLE_ARNS)


def test_default_settings_match_the_spec() -> None:
    compute = ComputeSettings()
    assert (compute.runtime, compute.min_memory_mb, dict(compute.environment)) == ("nodejs24.x", 512, {"LOG_LEVEL": "info"})
