"""The dev inventory: the example loads; every kind of bad input is named by its JSON path, all at once."""

import copy
import json

import pytest

from payments_tools.harness import REPO_ROOT
from shared.errors import ConfigError
from shared.inventory import load_inventory, parse_inventory, validate_inventory

EXAMPLE = json.loads((REPO_ROOT / "config" / "dev-environment.json").read_text())


@pytest.fixture
def raw():
    return copy.deepcopy(EXAMPLE)


def problems_of(data, suffix="eu1"):
    problems, _ = validate_inventory(data, REPO_ROOT, suffix)
    return dict(problems)


def test_the_example_inventory_is_valid_and_complete():
    inventory = load_inventory(REPO_ROOT / "config" / "dev-environment.json", REPO_ROOT, "eu1")
    assert inventory.region == "us-east-1"
    assert [b.name for b in inventory.buckets] == ["payments-documents-dev", "payments-receipts-dev"]
    transactions = inventory.table("payments-transactions-dev")
    assert transactions is not None
    assert transactions.hash_key == "transactionId"
    assert transactions.stream_view_type == "NEW_AND_OLD_IMAGES"
    gsi = transactions.global_secondary_indexes[0]
    assert (gsi.name, [k.attribute_name for k in gsi.key_schema]) == ("byMerchant", ["merchantId", "createdAt"])
    idempotency = inventory.table("payments-idempotency-dev")
    assert idempotency is not None and idempotency.ttl_attribute == "expiresAt"
    assert {f.runtime for f in inventory.functions} == {"nodejs18.x"}
    assert all(128 <= f.memory_size <= 256 for f in inventory.functions)
    assert inventory.api.document["openapi"].startswith("3.")


def test_disabled_ttl_and_stream_are_not_carried_as_enabled(raw):
    raw["dynamodbTables"][0]["StreamSpecification"] = {"StreamEnabled": False}
    inventory = parse_inventory(raw, REPO_ROOT, "eu1")
    transactions = inventory.tables[0]
    assert transactions.stream_view_type is None
    assert transactions.ttl_attribute is None  # TimeToLive present but Enabled false


def test_missing_and_mistyped_fields_are_named(raw):
    del raw["dynamodbTables"][1]["KeySchema"]
    raw["lambdaFunctions"][0]["MemorySize"] = "256"
    raw["s3Buckets"][0]["purpose"] = 7
    problems = problems_of(raw)
    assert problems["dynamodbTables[1].KeySchema"] == "is required"
    assert "is not of type 'integer'" in problems["lambdaFunctions[0].MemorySize"]
    assert "is not of type 'string'" in problems["s3Buckets[0].purpose"]


def test_undefined_key_attribute_is_named_with_its_path(raw):
    raw["dynamodbTables"][1]["KeySchema"][0]["AttributeName"] = "customerId"
    problems = problems_of(raw)
    assert problems["dynamodbTables[1].KeySchema[0].AttributeName"] == "'customerId' is not defined in AttributeDefinitions"
    with pytest.raises(ConfigError, match=r"dynamodbTables\[1\]\.KeySchema\[0\]\.AttributeName: 'customerId' is not defined"):
        parse_inventory(raw, REPO_ROOT, "eu1")


def test_undefined_index_attribute_and_unused_definition(raw):
    raw["dynamodbTables"][0]["GlobalSecondaryIndexes"][0]["KeySchema"][1]["AttributeName"] = "created"
    problems = problems_of(raw)
    assert "'created' is not defined" in problems["dynamodbTables[0].GlobalSecondaryIndexes[0].KeySchema[1].AttributeName"]
    assert "not used by the key schema" in problems["dynamodbTables[0].AttributeDefinitions[2].AttributeName"]


def test_key_schema_order_projection_and_lsi_rules(raw):
    table = raw["dynamodbTables"][0]
    table["KeySchema"] = [{"AttributeName": "transactionId", "KeyType": "RANGE"}]
    table["GlobalSecondaryIndexes"][0]["Projection"] = {"ProjectionType": "INCLUDE"}
    table["LocalSecondaryIndexes"] = [
        {
            "IndexName": "byCreated",
            "KeySchema": [{"AttributeName": "merchantId", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["x"]},
        }
    ]
    problems = problems_of(raw)
    assert "one HASH key" in problems["dynamodbTables[0].KeySchema"]
    assert (
        problems["dynamodbTables[0].GlobalSecondaryIndexes[0].Projection.NonKeyAttributes"] == "is required when ProjectionType is INCLUDE"
    )
    assert "only allowed with INCLUDE" in problems["dynamodbTables[0].LocalSecondaryIndexes[0].Projection.NonKeyAttributes"]
    assert "share the table's hash key" in problems["dynamodbTables[0].LocalSecondaryIndexes[0].KeySchema"]


def test_duplicate_names_are_each_reported(raw):
    raw["s3Buckets"].append(dict(raw["s3Buckets"][0], purpose="other"))
    raw["dynamodbTables"].append(copy.deepcopy(raw["dynamodbTables"][1]))
    raw["lambdaFunctions"].append(copy.deepcopy(raw["lambdaFunctions"][0]))
    problems = problems_of(raw)
    assert problems["s3Buckets[2]"] == "duplicate bucket name 'payments-documents-dev'"
    assert problems["dynamodbTables[3]"] == "duplicate table name 'payments-idempotency-dev'"
    assert problems["lambdaFunctions[5]"] == "duplicate function name 'payments-process-payment-dev'"


def test_access_must_be_read_write_or_read_write(raw):
    raw["lambdaFunctions"][1]["Permissions"][0]["Access"] = "admin"
    assert "'admin' is not one of ['read', 'write', 'read-write']" in problems_of(raw)["lambdaFunctions[1].Permissions[0].Access"]


def test_permission_on_a_resource_absent_from_the_inventory(raw):
    raw["lambdaFunctions"][2]["Permissions"].append({"Resource": "payments-ledger-dev", "Access": "read"})
    assert (
        problems_of(raw)["lambdaFunctions[2].Permissions[2].Resource"] == "'payments-ledger-dev' is not a bucket or table in this inventory"
    )


def test_code_path_must_exist_and_hold_the_handler_file(raw):
    raw["lambdaFunctions"][0]["CodePath"] = "stacks/compute/handlers/nowhere"
    raw["lambdaFunctions"][1]["Handler"] = "missing-file.handler"
    problems = problems_of(raw)
    assert problems["lambdaFunctions[0].CodePath"] == "folder 'stacks/compute/handlers/nowhere' does not exist"
    assert "missing-file{.js,.mjs,.cjs} does not exist" in problems["lambdaFunctions[1].Handler"]


def test_openapi_file_missing(raw):
    raw["apiGateway"]["openApiFile"] = "config/nope.json"
    assert problems_of(raw)["apiGateway.openApiFile"] == "'config/nope.json' does not exist"


def test_openapi_file_that_is_not_openapi_3(raw, tmp_path):
    swagger = tmp_path / "swagger.json"
    swagger.write_text(json.dumps({"swagger": "2.0", "info": {"title": "x", "version": "1"}, "paths": {}}))
    raw["apiGateway"]["openApiFile"] = str(swagger)
    problems = problems_of(raw)
    assert any(path.startswith("apiGateway.openApiFile") for path in problems), problems


def test_integration_naming_a_function_not_in_the_inventory(raw):
    raw["lambdaFunctions"] = [f for f in raw["lambdaFunctions"] if f["FunctionName"] != "payments-get-payment-dev"]
    problems = problems_of(raw)
    key = "apiGateway.openApiFile: GET /payments/{paymentId}"
    assert problems[key] == "integration names function 'payments-get-payment-dev', which is not in lambdaFunctions"


def test_authorizer_naming_a_function_not_in_the_inventory(raw):
    raw["lambdaFunctions"] = [f for f in raw["lambdaFunctions"] if f["FunctionName"] != "payments-authorizer-dev"]
    problems = problems_of(raw)
    assert any("authorizer names function 'payments-authorizer-dev'" in why for why in problems.values()), problems


def test_public_operation_must_exist_in_the_contract(raw):
    raw["apiGateway"]["publicOperations"] = ["GET /health"]
    assert problems_of(raw)["apiGateway.publicOperations[0]"] == "'GET /health' is not an operation of the dev contract"


@pytest.mark.parametrize(
    ("section", "field", "name", "limit"),
    [
        ("s3Buckets", "name", "b" * 52 + "-dev", "at most 63 for s3 bucket"),
        ("lambdaFunctions", "FunctionName", "f" * 55 + "-dev", "at most 64 for lambda function"),
        ("lambdaFunctions", "FunctionName", "f" * 48 + "-dev", "at most 64 for iam role"),
        ("dynamodbTables", "TableName", "t" * 246 + "-dev", "at most 255 for dynamodb table"),
    ],
)
def test_production_name_over_the_aws_limit(raw, section, field, name, limit):
    raw[section][0][field] = name
    if section == "dynamodbTables":
        raw[section][0]["TableName"] = name
    problems, _ = validate_inventory(raw, REPO_ROOT, "eu1")
    reasons = [why for where, why in problems if where == f"{section}[0].{field}"]
    assert any(limit in why for why in reasons), reasons


def test_dev_name_without_environment_token(raw):
    raw["s3Buckets"][0]["name"] = "payments-documents"
    assert "does not end in an environment token" in problems_of(raw)["s3Buckets[0].name"]


def test_all_problems_are_reported_together(raw):
    raw["dynamodbTables"][1]["KeySchema"][0]["AttributeName"] = "customerId"
    raw["lambdaFunctions"][2]["Permissions"].append({"Resource": "payments-ledger-dev", "Access": "read"})
    raw["lambdaFunctions"][0]["CodePath"] = "nowhere"
    with pytest.raises(ConfigError) as err:
        parse_inventory(raw, REPO_ROOT, "eu1")
    message = str(err.value)
    # The three edits, plus the consequence of the first: idempotencyKey is no longer used by any key.
    assert len(err.value.problems) == 4
    assert "dynamodbTables[1].AttributeDefinitions[0].AttributeName" in message
    assert "dynamodbTables[1].KeySchema[0].AttributeName" in message
    assert "lambdaFunctions[2].Permissions[2].Resource" in message
    assert "lambdaFunctions[0].CodePath" in message


def test_unreadable_files_are_named(tmp_path):
    with pytest.raises(ConfigError, match=r"inventoryFile: .* does not exist"):
        load_inventory(tmp_path / "missing.json", REPO_ROOT, "eu1")
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    with pytest.raises(ConfigError, match=r"inventoryFile: .* is not valid JSON: line 1 column 3"):
        load_inventory(broken, REPO_ROOT, "eu1")


def test_a_non_object_document_is_refused():
    assert problems_of([]) == {"<root>": "the inventory must be a JSON object"}
