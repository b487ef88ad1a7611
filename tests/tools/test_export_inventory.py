"""`make export-dev-inventory`: the inventory written from the dev account round-trips through validation and the plan."""

import copy
import json

import boto3

from payments_tools import export_inventory as export_module
from payments_tools.devaccount import seed_dev_account
from payments_tools.export_inventory import export_inventory, export_usable, function_entry, table_entry, validate_export, write_export
from payments_tools.harness import REPO_ROOT
from payments_tools.plan import plan_layers
from shared import openapi
from shared.inventory import parse_inventory

DEV_CONTRACT = json.loads((REPO_ROOT / "config" / "dev-api.openapi.json").read_text())


def export_from(raw, *, prefix=None):
    api = raw["apiGateway"]
    session = boto3.Session(region_name=raw["region"])
    return export_inventory(session, raw, region=raw["region"], api_name=api["name"], stage=api["stageName"], prefix=prefix)


def write_and_parse(export, tmp_path, settings):
    out, contract = tmp_path / "dev-environment.json", tmp_path / "dev-api.openapi.json"
    write_export(export, out, contract, REPO_ROOT)
    data = json.loads(out.read_text())
    return data, parse_inventory(data, REPO_ROOT, settings.environment_suffix, source=out), out


def test_export_reproduces_the_inventory_the_account_was_built_from(dev_account, raw_inventory, settings, tmp_path):
    export = export_from(raw_inventory)
    assert export.problems == []
    data, exported, _ = write_and_parse(export, tmp_path, settings)
    assert exported.tables == dev_account.tables
    assert exported.functions == dev_account.functions
    assert exported.buckets == dev_account.buckets
    assert (exported.region, exported.account_id) == (dev_account.region, dev_account.account_id)
    # Only the fields MISSION.md lists: nothing of DescribeTable's status, sizes or ARNs leaks in.
    assert {k for t in data["dynamodbTables"] for k in t} <= {
        "TableName",
        "AttributeDefinitions",
        "KeySchema",
        "GlobalSecondaryIndexes",
        "LocalSecondaryIndexes",
        "StreamSpecification",
        "TimeToLive",
    }
    assert {k for f in data["lambdaFunctions"] for k in f} <= {
        "FunctionName",
        "Runtime",
        "Handler",
        "MemorySize",
        "Timeout",
        "Environment",
        "CodePath",
        "Permissions",
    }


def test_what_the_account_cannot_tell_is_kept_from_the_existing_file(dev_account, raw_inventory, settings, tmp_path):
    existing = copy.deepcopy(raw_inventory)
    public = next(openapi.iter_operations(DEV_CONTRACT)).key
    existing["apiGateway"]["publicOperations"] = [public]
    existing["s3Buckets"][0]["purpose"] = "statements"
    data, _, _ = write_and_parse(export_from(existing), tmp_path, settings)
    assert data["s3Buckets"][0] == {"name": "payments-documents-dev", "purpose": "statements"}
    for before, after in zip(raw_inventory["lambdaFunctions"], data["lambdaFunctions"], strict=True):
        assert (after["CodePath"], after["Permissions"]) == (before["CodePath"], before["Permissions"])
    assert data["apiGateway"]["publicOperations"] == [public]
    # TTL disabled in dev: AWS forgets the attribute name, the file keeps it.
    assert data["dynamodbTables"][0]["TimeToLive"] == {"AttributeName": "expiresAt", "Enabled": False}


def test_unrelated_account_resources_stay_out_and_prefix_discovers_new_ones(dev_account, raw_inventory, settings, tmp_path):
    dynamodb = boto3.client("dynamodb", region_name=dev_account.region)
    for name in ("payments-disputes-dev", "marketing-leads-dev"):
        dynamodb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    boto3.client("s3", region_name=dev_account.region).create_bucket(Bucket="someone-elses-bucket")

    plain = export_from(raw_inventory)
    assert [t["TableName"] for t in plain.inventory["dynamodbTables"]] == [t.name for t in dev_account.tables]
    assert [b["name"] for b in plain.inventory["s3Buckets"]] == [b.name for b in dev_account.buckets]

    discovered = export_from(raw_inventory, prefix="payments-")
    names = [t["TableName"] for t in discovered.inventory["dynamodbTables"]]
    assert names == [*(t.name for t in dev_account.tables), "payments-disputes-dev"]
    assert any("discovered table payments-disputes-dev" in note for note in discovered.notes)
    assert validate_export(discovered, REPO_ROOT, settings.environment_suffix) == []


def test_missing_dev_resources_are_all_reported_and_nothing_is_written(aws, inventory, raw_inventory, monkeypatch, capsys, tmp_path):
    seed_dev_account(inventory, skip=frozenset({"payments-receipts-dev", "payments-idempotency-dev", "payments-get-payment-dev"}))
    export = export_from(raw_inventory)
    where = " ".join(w for w, _ in export.problems)
    for name in ("payments-receipts-dev", "payments-idempotency-dev", "payments-get-payment-dev"):
        assert name in where
    monkeypatch.chdir(REPO_ROOT)
    out = tmp_path / "inventory.json"
    assert export_module.main(["--out", str(out), "--openapi-out", str(tmp_path / "api.json")]) == 1
    assert "nothing written; 3 problem(s)" in capsys.readouterr().err
    assert not out.exists()


def test_motos_swagger_export_is_refused_and_the_existing_contract_kept(dev_account, settings, monkeypatch, capsys, tmp_path):
    """moto exports Swagger 2.0 without integrations whatever is asked: the tool says so and keeps the contract."""
    monkeypatch.chdir(REPO_ROOT)
    out, contract = tmp_path / "inventory.json", tmp_path / "api.json"
    assert export_module.main(["--out", str(out), "--openapi-out", str(contract)]) == 0
    stdout = capsys.readouterr().out
    assert "kept the existing OpenAPI file config/dev-api.openapi.json" in stdout and "Swagger 2.0" in stdout
    assert not contract.exists()
    assert json.loads(out.read_text())["apiGateway"]["openApiFile"] == "config/dev-api.openapi.json"


def test_a_usable_oas30_export_is_written_and_the_inventory_points_at_it(dev_account, raw_inventory, settings, monkeypatch, tmp_path):
    """What real API Gateway returns for oas30 + extensions=apigateway (moto cannot): the dev contract itself."""
    monkeypatch.setattr(export_module, "fetch_export", lambda client, api_id, stage: copy.deepcopy(DEV_CONTRACT))
    export = export_from(raw_inventory)
    assert export.openapi_document == DEV_CONTRACT
    _, exported, _ = write_and_parse(export, tmp_path, settings)
    assert exported.api.openapi_file == tmp_path / "dev-api.openapi.json"
    assert exported.api.document == DEV_CONTRACT


def test_an_export_naming_functions_outside_the_inventory_is_not_written(dev_account, raw_inventory, settings, monkeypatch):
    contract = copy.deepcopy(DEV_CONTRACT)
    integration = contract["paths"]["/payments"]["post"]["x-amazon-apigateway-integration"]
    integration["uri"] = integration["uri"].replace("payments-process-payment-dev", "payments-process-payment-v2-dev")
    monkeypatch.setattr(export_module, "fetch_export", lambda client, api_id, stage: contract)
    problems = validate_export(export_from(raw_inventory), REPO_ROOT, settings.environment_suffix)
    assert any("payments-process-payment-v2-dev" in why for _, why in problems)


def by_identity(resources):
    """Resources as comparable JSON, in a fixed order; assets compare by the file they point at."""

    def encode(value):
        return getattr(value, "path", None) or repr(value)

    return sorted(json.dumps(r, sort_keys=True, default=encode) for r in resources)


def test_the_exported_inventory_plans_exactly_like_the_original(example_plan, dev_account, raw_inventory, settings, tmp_path):
    _, _, out = write_and_parse(export_from(raw_inventory), tmp_path, settings)
    exported = plan_layers(REPO_ROOT, extra_config={"inventoryFile": str(out)})
    original = list(example_plan.plans.values())
    assert [p.layer for p in exported] == [p.layer for p in original]
    for before, after in zip(original, exported, strict=True):
        # Registration order follows Pulumi's async scheduling, so compare resources as a set.
        assert by_identity(after.resources) == by_identity(before.resources), before.layer
        assert after.outputs == before.outputs, before.layer


# --- the pure shapes ---------------------------------------------------------------------------


def test_table_entry_keeps_only_the_schema():
    described = {
        "TableName": "payments-ledger-dev",
        "TableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/payments-ledger-dev",
        "TableStatus": "ACTIVE",
        "ItemCount": 12,
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "lsk", "AttributeType": "N"},
        ],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "LocalSecondaryIndexes": [
            {
                "IndexName": "byLsk",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "lsk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["amount"]},
                "IndexSizeBytes": 0,
            }
        ],
        "StreamSpecification": {"StreamEnabled": False},
        "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0},
    }
    assert table_entry(described, {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}) == {
        "TableName": "payments-ledger-dev",
        "AttributeDefinitions": described["AttributeDefinitions"],
        "KeySchema": described["KeySchema"],
        "LocalSecondaryIndexes": [
            {
                "IndexName": "byLsk",
                "KeySchema": described["LocalSecondaryIndexes"][0]["KeySchema"],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["amount"]},
            }
        ],
        "TimeToLive": {"AttributeName": "expiresAt", "Enabled": True},
    }


def test_a_new_function_gets_no_permissions_and_the_shared_code_folder():
    configuration = {
        "FunctionName": "payments-void-dev",
        "Runtime": "nodejs18.x",
        "Handler": "void.handler",
        "MemorySize": 128,
        "Timeout": 3,
        "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:payments-void-dev",
        "CodeSize": 10,
    }
    assert function_entry(configuration, None, "stacks/compute/handlers/payments") == {
        "FunctionName": "payments-void-dev",
        "Runtime": "nodejs18.x",
        "Handler": "void.handler",
        "MemorySize": 128,
        "Timeout": 3,
        "CodePath": "stacks/compute/handlers/payments",
        "Permissions": [],
    }


def test_an_export_without_integrations_is_not_usable():
    stripped = json.loads(json.dumps(DEV_CONTRACT).replace("x-amazon-apigateway-integration", "x-removed"))
    assert export_usable(DEV_CONTRACT) == []
    assert export_usable(stripped)[0][0] == "x-amazon-apigateway-integration"
