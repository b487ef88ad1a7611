"""`make validate-dev`: every dev resource exists and matches its inventory entry, or every problem is named."""

import dataclasses

import boto3
import pytest

from payments_tools.devaccount import seed_dev_account
from payments_tools.harness import REPO_ROOT
from payments_tools.validate_dev import DRIFT, MISSING, OK, function_drift, live_table, main, table_drift, validate_dev
from shared.inventory import Index, KeyElement


def session(inventory):
    return boto3.Session(region_name=inventory.region)


def test_an_account_matching_the_inventory_has_no_problems(dev_account):
    findings = validate_dev(dev_account, session(dev_account))
    assert {f.status for f in findings} == {OK}
    expected = {b.name for b in dev_account.buckets} | {t.name for t in dev_account.tables} | {f.name for f in dev_account.functions}
    assert {f.name for f in findings} == expected | {dev_account.api.name}


def test_the_command_prints_the_table_and_exits_zero(dev_account, monkeypatch, capsys):
    monkeypatch.chdir(REPO_ROOT)
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["KIND", "NAME", "STATUS", "DETAIL"]
    for table in dev_account.tables:
        assert f"table     {table.name}" in out


def _drifted(inventory):
    """The dev account as it drifted from the inventory: a GSI projection, TTL, a stream, memory and an env var."""
    transactions, idempotency, merchants = inventory.tables
    gsi = transactions.global_secondary_indexes[0]
    drifted_tables = (
        dataclasses.replace(
            transactions,
            global_secondary_indexes=(dataclasses.replace(gsi, projection_type="KEYS_ONLY"),),
            stream_view_type="NEW_IMAGE",
        ),
        dataclasses.replace(idempotency, ttl_attribute=None),
        merchants,
    )
    process = inventory.function("payments-process-payment-dev")
    drifted_functions = tuple(
        dataclasses.replace(f, memory_size=1024, environment={**f.environment, "FEATURE_FLAG": "on"}) if f is process else f
        for f in inventory.functions
    )
    return dataclasses.replace(inventory, tables=drifted_tables, functions=drifted_functions)


def test_missing_and_drifted_resources_are_each_named_and_fail(aws, inventory, monkeypatch, capsys):
    seed_dev_account(_drifted(inventory), skip=frozenset({"payments-receipts-dev", "payments-merchants-dev", "payments-authorizer-dev"}))
    findings = validate_dev(inventory, session(inventory))
    problems = {(f.kind, f.name, f.status) for f in findings if f.problem}
    assert problems == {
        ("bucket", "payments-receipts-dev", MISSING),
        ("table", "payments-merchants-dev", MISSING),
        ("function", "payments-authorizer-dev", MISSING),
        ("table", "payments-transactions-dev", DRIFT),
        ("table", "payments-idempotency-dev", DRIFT),
        ("function", "payments-process-payment-dev", DRIFT),
    }
    details = " | ".join(f.detail for f in findings if f.status == DRIFT)
    assert "GlobalSecondaryIndexes byMerchant" in details and "KEYS_ONLY" in details
    assert "StreamSpecification: inventory NEW_AND_OLD_IMAGES, dev NEW_IMAGE" in details
    assert "TimeToLive: inventory expiresAt, dev off" in details
    assert "MemorySize: inventory 256, dev 1024" in details
    assert "Environment variables only in dev: FEATURE_FLAG" in details

    monkeypatch.chdir(REPO_ROOT)
    assert main([]) == 1
    err = capsys.readouterr().err
    assert f"{sum(f.problem for f in findings)} problem(s)" in err
    for name in (
        "payments-receipts-dev",
        "payments-merchants-dev",
        "payments-authorizer-dev",
        "payments-transactions-dev",
        "payments-idempotency-dev",
        "payments-process-payment-dev",
    ):
        assert name in err


def test_a_missing_api_stage_is_a_problem(aws, inventory):
    seed_dev_account(dataclasses.replace(inventory, api=dataclasses.replace(inventory.api, stage_name="v2")))
    findings = validate_dev(inventory, session(inventory))
    assert [(f.kind, f.status) for f in findings if f.problem] == [("api", MISSING)]


def test_an_account_other_than_the_inventorys_cannot_be_validated(dev_account, monkeypatch, capsys):
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "999999999999")
    assert main([]) == 2
    assert "999999999999" in capsys.readouterr().err


# --- the pure comparisons ---------------------------------------------------------------------


def test_attribute_and_index_order_is_not_drift(inventory):
    table = inventory.table("payments-transactions-dev")
    described = {
        "TableName": table.name,
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in reversed(table.attribute_definitions)],
        "KeySchema": [{"AttributeName": "transactionId", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "byMerchant",
                "KeySchema": [{"AttributeName": "merchantId", "KeyType": "HASH"}, {"AttributeName": "createdAt", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
                "IndexStatus": "ACTIVE",
            }
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "TableStatus": "ACTIVE",
    }
    assert table_drift(table, live_table(described, {"TimeToLiveStatus": "DISABLED"})) == []


def test_key_schema_lsi_and_attribute_type_drift_are_reported(inventory):
    table = inventory.table("payments-transactions-dev")
    actual = dataclasses.replace(
        table,
        attribute_definitions=(("transactionId", "N"), *table.attribute_definitions[1:]),
        key_schema=(KeyElement("transactionId", "HASH"), KeyElement("createdAt", "RANGE")),
        local_secondary_indexes=(Index("byStatus", (KeyElement("transactionId", "HASH"),), "ALL"),),
    )
    drift = " | ".join(table_drift(table, actual))
    assert "AttributeDefinitions" in drift and "'N'" in drift
    assert "KeySchema" in drift
    assert "LocalSecondaryIndexes byStatus: in dev, not in the inventory" in drift


def test_function_drift_names_variables_but_never_their_values(inventory):
    function = inventory.function("payments-get-payment-dev")
    configuration = {
        "Runtime": "nodejs20.x",
        "Handler": function.handler,
        "MemorySize": function.memory_size,
        "Timeout": 30,
        "Environment": {"Variables": {**function.environment, "LOG_LEVEL": "s3cr3t-value"}},
    }
    drift = function_drift(function, configuration)
    assert drift == [
        "Runtime: inventory nodejs18.x, dev nodejs20.x",
        "Timeout: inventory 5, dev 30",
        "Environment variables different values: LOG_LEVEL",
    ]
    assert not any("s3cr3t" in line for line in drift)


@pytest.mark.parametrize("status", ["ENABLED", "ENABLING"])
def test_ttl_being_enabled_counts_as_on(inventory, status):
    table = inventory.table("payments-idempotency-dev")
    described = {
        "TableName": table.name,
        "AttributeDefinitions": [{"AttributeName": "idempotencyKey", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "idempotencyKey", "KeyType": "HASH"}],
    }
    assert table_drift(table, live_table(described, {"TimeToLiveStatus": status, "AttributeName": "expiresAt"})) == []
