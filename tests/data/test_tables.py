"""Policies for the production tables: the dev schema exactly, with production durability and encryption."""

from __future__ import annotations

import json
from typing import Any

import pytest

from payments_data.tables import global_index_args, local_index_args, table_args
from shared.inventory import Index, KeyElement
from shared.naming import production_name
from shared.outputs import Data, Foundation

TABLE = "aws:dynamodb/table:Table"
KEY = "arn:aws:kms:eu-west-1:111122223333:key/test"


def describe(inputs: dict[str, Any]) -> dict[str, Any]:
    """Rebuild a DescribeTable-shaped schema from a registered table's inputs, to compare with the dev inventory."""

    def projection(ix: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"ProjectionType": ix["projectionType"]}
        if ix.get("nonKeyAttributes"):
            out["NonKeyAttributes"] = ix["nonKeyAttributes"]
        return out

    keys = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
    if inputs.get("rangeKey"):
        keys.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
    schema: dict[str, Any] = {
        "AttributeDefinitions": [{"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs["attributes"]],
        "KeySchema": keys,
    }
    if inputs.get("globalSecondaryIndexes"):
        schema["GlobalSecondaryIndexes"] = [
            {
                "IndexName": ix["name"],
                "KeySchema": [{"AttributeName": k["attributeName"], "KeyType": k["keyType"]} for k in ix["keySchemas"]],
                "Projection": projection(ix),
            }
            for ix in inputs["globalSecondaryIndexes"]
        ]
    if inputs.get("localSecondaryIndexes"):
        schema["LocalSecondaryIndexes"] = [
            {
                "IndexName": ix["name"],
                "KeySchema": [keys[0], {"AttributeName": ix["rangeKey"], "KeyType": "RANGE"}],
                "Projection": projection(ix),
            }
            for ix in inputs["localSecondaryIndexes"]
        ]
    if inputs.get("streamEnabled"):
        schema["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": inputs["streamViewType"]}
    if inputs.get("ttl"):
        schema["TimeToLive"] = {"AttributeName": inputs["ttl"]["attributeName"], "Enabled": inputs["ttl"]["enabled"]}
    return schema


def dev_schema(raw: dict[str, Any]) -> dict[str, Any]:
    """The schema-bearing part of a dev DescribeTable object (disabled streams and TTL carry no contract)."""
    schema = {k: raw[k] for k in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes") if k in raw}
    if (raw.get("StreamSpecification") or {}).get("StreamEnabled"):
        schema["StreamSpecification"] = raw["StreamSpecification"]
    if (raw.get("TimeToLive") or {}).get("Enabled"):
        schema["TimeToLive"] = raw["TimeToLive"]
    return schema


@pytest.fixture
def rich_run(run_data, rich_inventory_file):
    return run_data(rich_inventory_file)


def test_every_production_table_reproduces_its_dev_schema_exactly(rich_run, rich_inventory_file):
    dev_tables = json.loads(rich_inventory_file.read_text())["dynamodbTables"]
    registered = {r["inputs"]["name"]: r["inputs"] for r in rich_run.of_type(TABLE)}
    assert len(registered) == len(dev_tables) == 6
    for raw in dev_tables:
        prod = production_name(raw["TableName"], "eu1")
        assert describe(registered[prod]) == dev_schema(raw), raw["TableName"]


def test_every_table_is_on_demand_with_pitr_and_encrypted_with_the_data_key(rich_run, foundation_outputs):
    for r in rich_run.of_type(TABLE):
        inputs = r["inputs"]
        assert inputs["billingMode"] == "PAY_PER_REQUEST", r["name"]
        assert inputs["pointInTimeRecovery"] == {"enabled": True}, r["name"]
        assert inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": foundation_outputs[Foundation.DATA_KEY_ARN]}
        assert "readCapacity" not in inputs and "writeCapacity" not in inputs


def test_every_table_is_destroyable(rich_run):
    assert all(r["inputs"]["deletionProtectionEnabled"] is False for r in rich_run.of_type(TABLE))


def test_ttl_is_set_only_where_dev_enables_it(rich_run):
    ttl = {r["inputs"]["name"]: r["inputs"].get("ttl") for r in rich_run.of_type(TABLE)}
    assert ttl["payments-ledger-production-eu1"] == {"attributeName": "purgeAt", "enabled": True}
    assert ttl["payments-idempotency-production-eu1"] == {"attributeName": "expiresAt", "enabled": True}
    # Disabled in dev (with an attribute name recorded) and absent in dev: no TTL in production.
    assert ttl["payments-audit-production-eu1"] is None
    assert ttl["payments-transactions-production-eu1"] is None
    assert ttl["payments-settlements-production-eu1"] is None


def test_streams_only_where_dev_has_one_and_their_arns_are_exported(rich_run):
    streamed = {r["inputs"]["name"]: r["inputs"]["streamViewType"] for r in rich_run.of_type(TABLE) if r["inputs"].get("streamEnabled")}
    assert streamed == {
        "payments-transactions-production-eu1": "NEW_AND_OLD_IMAGES",
        "payments-ledger-production-eu1": "NEW_IMAGE",
        "payments-audit-production-eu1": "KEYS_ONLY",
    }
    stream_arns = rich_run.outputs[Data.TABLE_STREAM_ARNS]
    assert set(stream_arns) == {"payments-transactions-dev", "payments-ledger-dev", "payments-audit-dev"}
    for dev, arn in stream_arns.items():
        assert arn.startswith(rich_run.outputs[Data.TABLE_ARNS][dev] + "/stream/")


def test_table_args_carry_composite_keys_and_every_index(rich_inventory):
    ledger = rich_inventory.table("payments-ledger-dev")
    args = table_args(ledger, "payments-ledger-production-eu1", KEY)
    assert (args.hash_key, args.range_key) == ("accountId", "entryId")
    assert [(a.name, a.type) for a in args.attributes] == list(ledger.attribute_definitions)
    gsis = {g.name: g for g in args.global_secondary_indexes}
    assert gsis["byCurrency"].projection_type == "KEYS_ONLY" and gsis["byCurrency"].non_key_attributes is None
    assert [(k.attribute_name, k.key_type) for k in gsis["byCurrency"].key_schemas] == [("currency", "HASH"), ("postedAt", "RANGE")]
    assert gsis["byBatch"].projection_type == "INCLUDE" and gsis["byBatch"].non_key_attributes == ["amount", "status"]
    lsis = {i.name: i for i in args.local_secondary_indexes}
    assert (lsis["byPostedAt"].range_key, lsis["byPostedAt"].projection_type) == ("postedAt", "INCLUDE")
    assert lsis["byPostedAt"].non_key_attributes == ["amount"]
    assert (lsis["byCurrencyLocal"].range_key, lsis["byCurrencyLocal"].projection_type) == ("currency", "KEYS_ONLY")
    assert args.stream_enabled is True and args.stream_view_type == "NEW_IMAGE"
    assert args.ttl.attribute_name == "purgeAt" and args.ttl.enabled is True


def test_table_args_of_a_plain_table_have_no_indexes_stream_or_ttl(rich_inventory):
    args = table_args(rich_inventory.table("payments-settlements-dev"), "payments-settlements-production-eu1", KEY)
    assert args.range_key is None
    assert args.global_secondary_indexes is None and args.local_secondary_indexes is None
    assert args.stream_enabled is False and args.stream_view_type is None
    assert args.ttl is None


def test_gsi_keeps_a_hash_only_key_schema():
    index = Index("byHash", (KeyElement("h", "HASH"),), "ALL")
    assert [(k.attribute_name, k.key_type) for k in global_index_args(index).key_schemas] == [("h", "HASH")]


def test_a_local_index_without_a_range_key_is_refused_by_name():
    with pytest.raises(ValueError, match="'broken'"):
        local_index_args(Index("broken", (KeyElement("h", "HASH"),), "ALL"))


def test_table_names_follow_the_naming_rule(example_run, inventory):
    assert example_run.outputs[Data.TABLE_NAMES] == {t.name: production_name(t.name, "eu1") for t in inventory.tables}
