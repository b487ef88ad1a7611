"""Merchant onboarding against moto: keys as the authorizer looks them up, conditional writes, and the CLI's words."""

import datetime as dt
import hashlib
import json

import boto3
import pytest

from payments_tools import merchants as tool
from payments_tools.merchants import MerchantError, Merchants, authorizer_ttl_seconds, table_from_plan, table_from_stack
from shared.errors import ConfigError

TABLE = "payments-merchants-production-eu1"


@pytest.fixture
def client(aws, raw_inventory):
    """The merchants table with the dev schema (hash key merchantId, GSI byApiKeyHash projecting status)."""
    spec = next(t for t in raw_inventory["dynamodbTables"] if t["TableName"].startswith("payments-merchants"))
    ddb = boto3.client("dynamodb", region_name="eu-west-1")
    ddb.create_table(
        TableName=TABLE,
        AttributeDefinitions=spec["AttributeDefinitions"],
        KeySchema=spec["KeySchema"],
        GlobalSecondaryIndexes=spec["GlobalSecondaryIndexes"],
        BillingMode="PAY_PER_REQUEST",
    )
    return ddb


@pytest.fixture
def merchants(client):
    return Merchants(client, TABLE)


def raw_items(client):
    return client.scan(TableName=TABLE)["Items"]


def by_hash(client, key):
    """What the authorizer's Query on byApiKeyHash finds for a key."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    return client.query(
        TableName=TABLE,
        IndexName="byApiKeyHash",
        KeyConditionExpression="apiKeyHash = :h",
        ExpressionAttributeValues={":h": {"S": digest}},
    )["Items"]


def test_add_stores_only_the_hash_the_authorizer_queries_and_a_short_prefix(client, merchants):
    item, issued = merchants.add("Acme Ltd")
    assert issued.key.startswith("pk_live_") and len(issued.key) >= 40
    assert 16 <= len(issued.key) <= 256  # the authorizer's Bearer pattern bounds
    found = by_hash(client, issued.key)
    assert [f["merchantId"]["S"] for f in found] == [item["merchantId"]]
    stored = json.dumps(raw_items(client))
    assert issued.key not in stored, "the key itself must never be stored"
    assert item["apiKeyPrefix"] == issued.key[:14] and len(item["apiKeyPrefix"]) < len(issued.key) // 2
    assert item["status"] == "active" and item["name"] == "Acme Ltd"


def test_keys_and_ids_are_different_every_time(merchants):
    issued = [merchants.add(f"m{i}") for i in range(5)]
    assert len({i.key for _, i in issued}) == 5 and len({m["merchantId"] for m, _ in issued}) == 5


def test_add_never_overwrites_an_existing_merchant(client, merchants, monkeypatch):
    first, _ = merchants.add("first")
    monkeypatch.setattr(tool, "new_merchant_id", lambda: first["merchantId"])
    with pytest.raises(MerchantError, match=f"{first['merchantId']} already exists; nothing was overwritten"):
        merchants.add("second")
    assert merchants.get(first["merchantId"])["name"] == "first"


def test_add_refuses_an_empty_or_overlong_name(merchants):
    for name in ("", "   ", "x" * 129):
        with pytest.raises(MerchantError, match="name must be 1-128 characters"):
            merchants.add(name)


def test_rotation_moves_the_old_hash_to_a_retired_record_with_its_expiry(client, merchants):
    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    clocked = Merchants(client, TABLE, clock=lambda: now)
    item, old = clocked.add("Acme")
    new, expires = clocked.rotate_key(item["merchantId"], grace_hours=24)
    assert expires == "2026-12-02T12:00:00Z"
    assert [f["merchantId"]["S"] for f in by_hash(client, new.key)] == [item["merchantId"]]
    retired = by_hash(client, old.key)
    assert len(retired) == 1 and retired[0]["status"]["S"] == "retired"
    record = merchants.list()[0]
    assert record["apiKeyPrefix"] == new.prefix
    assert record["retiredKeys"] == [{"apiKeyPrefix": old.prefix, "keyExpiresAt": "2026-12-02T12:00:00Z"}]


def test_rotation_without_grace_leaves_no_trace_of_the_old_key(client, merchants):
    item, old = merchants.add("Acme")
    _, expires = merchants.rotate_key(item["merchantId"], grace_hours=0)
    assert expires is None and by_hash(client, old.key) == []


def test_rotation_refuses_a_grace_period_out_of_bounds(merchants):
    item, _ = merchants.add("Acme")
    with pytest.raises(MerchantError, match="--grace-hours must be between 0 and 720"):
        merchants.rotate_key(item["merchantId"], grace_hours=721)


def test_rotation_loses_no_key_when_another_rotation_won_the_race(client, merchants, monkeypatch):
    item, _ = merchants.add("Acme")
    stale = merchants.get(item["merchantId"])
    merchants.rotate_key(item["merchantId"], grace_hours=1)
    monkeypatch.setattr(merchants, "get", lambda _id: stale)
    with pytest.raises(MerchantError, match="deleted or rotated concurrently; nothing was changed"):
        merchants.rotate_key(item["merchantId"], grace_hours=1)


def test_rotate_and_suspend_never_resurrect_a_deleted_merchant(client, merchants, monkeypatch):
    item, _ = merchants.add("Gone")
    snapshot = merchants.get(item["merchantId"])
    client.delete_item(TableName=TABLE, Key={"merchantId": {"S": item["merchantId"]}})
    with pytest.raises(MerchantError, match="does not exist in"):
        merchants.suspend(item["merchantId"])
    monkeypatch.setattr(merchants, "get", lambda _id: snapshot)  # read before the deletion, write after it
    with pytest.raises(MerchantError, match="deleted or rotated concurrently"):
        merchants.rotate_key(item["merchantId"], grace_hours=1)
    assert raw_items(client) == []


def test_suspend_sets_the_status_the_authorizer_checks(client, merchants):
    item, issued = merchants.add("Acme")
    assert merchants.suspend(item["merchantId"])["status"] == "suspended"
    assert by_hash(client, issued.key)[0]["status"]["S"] == "suspended"


def test_reactivation_lets_a_suspended_merchants_keys_in_again_and_never_creates_one(client, merchants):
    item, issued = merchants.add("Acme")
    merchants.suspend(item["merchantId"])
    assert merchants.reactivate(item["merchantId"])["status"] == "active"
    assert by_hash(client, issued.key)[0]["status"]["S"] == "active"
    with pytest.raises(MerchantError, match="m_doesnotexist does not exist in"):
        merchants.reactivate("m_doesnotexist")
    assert [m["merchantId"] for m in merchants.list()] == [item["merchantId"]]


def test_a_retired_key_record_is_not_a_merchant(client, merchants):
    item, _ = merchants.add("Acme")
    merchants.rotate_key(item["merchantId"], grace_hours=1)
    retired_id = next(i["merchantId"]["S"] for i in raw_items(client) if "keyOf" in i)
    with pytest.raises(MerchantError):
        merchants.suspend(retired_id)
    with pytest.raises(MerchantError):
        merchants.reactivate(retired_id)
    with pytest.raises(MerchantError, match="does not exist"):
        merchants.rotate_key(retired_id, grace_hours=1)
    assert [m["merchantId"] for m in merchants.list()] == [item["merchantId"]]


def test_the_table_comes_from_the_plan_or_the_deployed_data_layer(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            [
                {
                    "layer": "data",
                    "built": True,
                    "outputs": {
                        "tableNames": {"payments-transactions-dev": "payments-transactions-production-eu1", "payments-merchants-dev": TABLE}
                    },
                }
            ]
        )
    )
    assert table_from_plan(plan) == TABLE
    with pytest.raises(ConfigError, match="run `make plan` first"):
        table_from_plan(tmp_path / "missing.json")

    seen = []

    def pulumi(command, cwd):
        seen.append((command, cwd.name))
        return json.dumps({"payments-merchants-dev": TABLE})

    assert table_from_stack(tmp_path, "prod", pulumi) == TABLE
    assert seen == [(["pulumi", "stack", "output", "tableNames", "--json", "-s", "prod"], "data")]

    def broken(command, cwd):
        raise RuntimeError("no stack named 'prod' found")

    with pytest.raises(ConfigError, match=r"stacks/data \(prod\).*no stack named"):
        table_from_stack(tmp_path, "prod", broken)


def test_the_suspension_delay_is_the_contracts_authorizer_ttl(inventory):
    assert authorizer_ttl_seconds(inventory.api.document) == 300


def test_cli_prints_what_each_action_did(client, capsys, monkeypatch):
    monkeypatch.setattr(tool.boto3, "client", lambda *a, **k: client)
    assert tool.main(["--table", TABLE, "add", "--name", "Acme"]) == 0
    out = capsys.readouterr().out
    merchant_id = out.split("created merchant ")[1].split()[0]
    key = out.split("only its SHA-256 is kept): ")[1].split()[0]
    assert by_hash(client, key)[0]["merchantId"]["S"] == merchant_id

    assert tool.main(["--table", TABLE, "rotate-key", "--id", merchant_id, "--grace-hours", "2"]) == 0
    out = capsys.readouterr().out
    assert f"rotated the API key of merchant {merchant_id}" in out and "keeps working until" in out and "300 s" in out

    assert tool.main(["--table", TABLE, "suspend", "--id", merchant_id]) == 0
    assert "refused within 300 s (the authorizer cache TTL" in capsys.readouterr().out

    assert tool.main(["--table", TABLE, "list"]) == 0
    listed = capsys.readouterr().out
    assert "1 merchant(s)" in listed and merchant_id in listed and "suspended" in listed and key not in listed

    assert tool.main(["--table", TABLE, "reactivate", "--id", merchant_id]) == 0
    assert "accepted again within 300 s" in capsys.readouterr().out
    assert tool.main(["--table", TABLE, "list"]) == 0
    assert "suspended" not in capsys.readouterr().out

    assert tool.main(["--table", TABLE, "suspend", "--id", "m_doesnotexist"]) == 1
    assert "m_doesnotexist does not exist" in capsys.readouterr().err
