"""Policies for reading a dev API contract: operations, Lambda targets, validity, open operations."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from shared.openapi import (
    HTTP_METHODS,
    Operation,
    authorizer_targets,
    function_name_from_uri,
    integration_targets,
    iter_operations,
    openapi_problems,
    unsecured_operations,
)

REPO = Path(__file__).resolve().parents[2]
DEV_CONTRACT = REPO / "config" / "dev-api.openapi.json"
INVENTORY = REPO / "config" / "dev-environment.json"

LAMBDA_URI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{}/invocations"


def lambda_uri(function: str) -> str:
    return LAMBDA_URI.format(function)


@pytest.fixture
def dev_contract() -> dict[str, Any]:
    return json.loads(DEV_CONTRACT.read_text())


def minimal(**extra: Any) -> dict[str, Any]:
    """A valid OpenAPI 3.0 document with one secured and one open operation to build cases from."""
    doc: dict[str, Any] = {
        "openapi": "3.0.1",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/things": {
                "get": {"responses": {"200": {"description": "ok"}}, "security": [{"key": []}]},
                "post": {"responses": {"201": {"description": "created"}}},
            }
        },
        "components": {"securitySchemes": {"key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}},
    }
    doc.update(extra)
    return doc


# --- the example contract ---------------------------------------------------------------------


def test_example_contract_is_a_valid_openapi_30_document(dev_contract: dict[str, Any]) -> None:
    assert dev_contract["openapi"].startswith("3.0.")
    assert openapi_problems(dev_contract) == []


def test_example_contract_operations_are_the_payments_api(dev_contract: dict[str, Any]) -> None:
    assert [op.key for op in iter_operations(dev_contract)] == [
        "POST /payments",
        "GET /payments/{paymentId}",
        "POST /payments/{paymentId}/refunds",
        "GET /payments/{paymentId}/receipt",
    ]


def test_example_contract_operations_are_served_by_the_inventory_functions(dev_contract: dict[str, Any]) -> None:
    inventory = json.loads(INVENTORY.read_text())
    functions = {f["FunctionName"] for f in inventory["lambdaFunctions"]}
    targets = integration_targets(dev_contract)
    assert targets == {
        "POST /payments": "payments-process-payment-dev",
        "GET /payments/{paymentId}": "payments-get-payment-dev",
        "POST /payments/{paymentId}/refunds": "payments-refund-payment-dev",
        "GET /payments/{paymentId}/receipt": "payments-generate-receipt-dev",
    }
    assert authorizer_targets(dev_contract) == {"merchantApiKey": "payments-authorizer-dev"}
    assert set(targets.values()) | set(authorizer_targets(dev_contract).values()) <= functions


def test_example_contract_secures_every_operation(dev_contract: dict[str, Any]) -> None:
    inventory = json.loads(INVENTORY.read_text())
    assert unsecured_operations(dev_contract, inventory["apiGateway"]["publicOperations"]) == []


def test_example_contract_posts_require_an_idempotency_key(dev_contract: dict[str, Any]) -> None:
    for op in iter_operations(dev_contract):
        headers = {p["name"]: p for p in op.spec.get("parameters", []) if p["in"] == "header"}
        if op.method == "POST":
            assert headers["Idempotency-Key"]["required"] is True, op.key
            assert op.spec["x-amazon-apigateway-request-validator"] == "all", op.key
        else:
            assert "Idempotency-Key" not in headers, op.key


# --- Operation and iter_operations -------------------------------------------------------------


def test_http_methods_are_the_openapi_fixed_fields_and_any() -> None:
    expected = {"get", "put", "post", "delete", "options", "head", "patch", "trace", "x-amazon-apigateway-any-method"}
    assert expected == HTTP_METHODS


def test_operation_key_and_pointer() -> None:
    op = Operation(path="/payments/{paymentId}", method="GET", spec={})
    assert op.key == "GET /payments/{paymentId}"
    assert op.pointer == "paths./payments/{paymentId}.get"


def test_any_method_is_keyed_any_and_pointed_at_the_extension() -> None:
    doc = {"paths": {"/{proxy+}": {"x-amazon-apigateway-any-method": {"responses": {}}}}}
    (op,) = iter_operations(doc)
    assert (op.key, op.pointer) == ("ANY /{proxy+}", "paths./{proxy+}.x-amazon-apigateway-any-method")


def test_iter_operations_skips_path_level_fields_and_malformed_items() -> None:
    doc = {
        "paths": {
            "/a": {"parameters": [{"name": "q"}], "summary": "s", "get": {"x": 1}, "post": "not an operation"},
            "/b": ["not", "a", "path", "item"],
            "/c": {"delete": {}},
        }
    }
    assert [(op.key, dict(op.spec)) for op in iter_operations(doc)] == [("GET /a", {"x": 1}), ("DELETE /c", {})]
    assert list(iter_operations({"paths": []})) == []
    assert list(iter_operations({})) == []


# --- function_name_from_uri ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (lambda_uri("payments-get-payment-dev"), "payments-get-payment-dev"),
        (lambda_uri("fn:live"), "fn"),
        (lambda_uri("fn:$LATEST"), "fn"),
        (lambda_uri("fn:7"), "fn"),
        (lambda_uri("fn:${stageVariables.alias}"), "fn"),
        (lambda_uri("${stageVariables.function}"), "${stageVariables.function}"),
        (
            "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
            "arn:aws:lambda:eu-west-1:210987654321:function:payments-get-payment-production-abc/invocations",
            "payments-get-payment-production-abc",
        ),
        (
            "arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/"
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:fn/invocations",
            "fn",
        ),
    ],
)
def test_function_name_from_lambda_uris(uri: str, expected: str) -> None:
    assert function_name_from_uri(uri) == expected


@pytest.mark.parametrize(
    "uri",
    [
        "https://legacy.payments.example.com/{proxy}",
        "http://10.0.0.1/payments",
        "arn:aws:apigateway:us-east-1:dynamodb:action/PutItem",
        "arn:aws:apigateway:us-east-1:s3:path/bucket/{key}",
        "arn:aws:apigateway:us-east-1:sqs:path/123456789012/queue",
        "arn:aws:lambda:us-east-1:123456789012:function:fn",  # a bare function ARN is not an invoke URI
        lambda_uri("fn").removesuffix("/invocations"),
        lambda_uri("fn") + "/extra",
        lambda_uri(""),
        "",
    ],
)
def test_function_name_from_non_lambda_uris_is_none(uri: str) -> None:
    assert function_name_from_uri(uri) is None


# --- integration_targets and authorizer_targets ------------------------------------------------


def test_integration_targets_skip_mock_http_and_service_integrations() -> None:
    doc = {
        "paths": {
            "/a": {
                "get": {"x-amazon-apigateway-integration": {"type": "aws_proxy", "uri": lambda_uri("fa:live")}},
                "options": {"x-amazon-apigateway-integration": {"type": "mock"}},
            },
            "/b": {"x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": {"type": "aws", "uri": lambda_uri("fb")}}},
            "/c": {"get": {"x-amazon-apigateway-integration": {"type": "http_proxy", "uri": "https://example.com/c"}}},
            "/d": {"put": {"x-amazon-apigateway-integration": {"type": "aws", "uri": "arn:aws:apigateway:us-east-1:s3:path/b/k"}}},
            "/e": {"get": {}},
        }
    }
    assert integration_targets(doc) == {"GET /a": "fa", "ANY /b": "fb"}


def test_authorizer_targets_are_lambda_authorizers_only() -> None:
    doc = {
        "components": {
            "securitySchemes": {
                "request": {"x-amazon-apigateway-authorizer": {"type": "request", "authorizerUri": lambda_uri("auth-req")}},
                "token": {"x-amazon-apigateway-authorizer": {"type": "token", "authorizerUri": lambda_uri("auth-tok:live")}},
                "pool": {"x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": ["arn:x"]}},
                "sigv4": {"type": "apiKey", "x-amazon-apigateway-authtype": "awsSigv4"},
                "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
            }
        }
    }
    assert authorizer_targets(doc) == {"request": "auth-req", "token": "auth-tok"}
    assert authorizer_targets({}) == {}


# --- openapi_problems ---------------------------------------------------------------------------


def test_a_valid_document_has_no_problems() -> None:
    assert openapi_problems(minimal()) == []


def test_swagger_20_is_refused_naming_the_format() -> None:
    problems = openapi_problems({"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}})
    assert [path for path, _ in problems] == ["openapi"]
    assert "Swagger 2.0" in problems[0][1]


def test_missing_version_is_refused() -> None:
    doc = minimal()
    del doc["openapi"]
    assert openapi_problems(doc) == [("openapi", "missing: expected an OpenAPI 3.0 version such as '3.0.1'")]


@pytest.mark.parametrize("version", ["3.1.0", "2.0", "3", "3.0", 3.0, None])
def test_other_versions_are_refused(version: object) -> None:
    problems = openapi_problems(minimal(openapi=version))
    if version is None:
        assert problems == [("openapi", "missing: expected an OpenAPI 3.0 version such as '3.0.1'")]
    else:
        assert problems == [("openapi", f"{version!r} is not supported: API Gateway REST APIs import OpenAPI 3.0.x")]


@pytest.mark.parametrize("garbage", [[], "openapi: 3.0.1", 42, None])
def test_garbage_is_refused(garbage: object) -> None:
    assert openapi_problems(garbage) == [("(document)", f"must be a JSON object, got {type(garbage).__name__}")]


def test_missing_paths_is_reported_once() -> None:
    doc = minimal()
    del doc["paths"]
    assert openapi_problems(doc) == [("paths", "missing")]


def test_paths_of_the_wrong_type_is_reported_once() -> None:
    problems = openapi_problems(minimal(paths=["/x"]))
    assert [path for path, _ in problems] == ["paths"]


def test_validator_findings_are_reported_with_their_location() -> None:
    doc = minimal()
    del doc["info"]
    doc["paths"]["/things"]["get"]["responses"] = "nope"
    problems = openapi_problems(doc)
    assert ("info", "missing") in problems
    assert any(path == "paths./things.get.responses" for path, _ in problems), problems


def test_an_unresolved_path_parameter_is_a_problem() -> None:
    doc = minimal(paths={"/things/{id}": {"get": {"responses": {"200": {"description": "ok"}}}}})
    problems = openapi_problems(doc)
    assert len(problems) == 1 and "'id'" in problems[0][1], problems


def test_a_dangling_ref_is_a_problem_not_a_crash() -> None:
    doc = minimal()
    doc["paths"]["/things"]["get"]["responses"] = {"200": {"$ref": "#/components/responses/Nope"}}
    problems = openapi_problems(doc)
    assert problems and problems[-1][0] == "(document)"
    assert "could not be validated" in problems[-1][1]
    assert all(len(reason) <= 300 for _, reason in problems)


# --- unsecured_operations -----------------------------------------------------------------------


def test_operation_without_security_and_no_top_level_security_is_open() -> None:
    assert unsecured_operations(minimal(), public=[]) == ["POST /things"]


def test_top_level_security_is_inherited() -> None:
    assert unsecured_operations(minimal(security=[{"key": []}]), public=[]) == []


def test_empty_security_overrides_top_level_and_is_open() -> None:
    doc = minimal(security=[{"key": []}])
    doc["paths"]["/things"]["post"]["security"] = []
    assert unsecured_operations(doc, public=[]) == ["POST /things"]


def test_an_empty_requirement_makes_authentication_optional_so_open() -> None:
    doc = minimal()
    doc["paths"]["/things"]["get"]["security"] = [{"key": []}, {}]
    doc["paths"]["/things"]["post"]["security"] = [{"key": []}]
    assert unsecured_operations(doc, public=[]) == ["GET /things"]


def test_top_level_empty_requirement_is_open_for_operations_that_inherit_it() -> None:
    doc = minimal(security=[{}])
    assert unsecured_operations(doc, public=[]) == ["POST /things"]


def test_a_requirement_naming_an_undeclared_scheme_secures_nothing() -> None:
    doc = minimal()
    doc["paths"]["/things"]["post"]["security"] = [{"keyy": []}]
    assert unsecured_operations(doc, public=[]) == ["POST /things"]


@pytest.mark.parametrize("security", [None, "key", {"key": []}, [["key"]]])
def test_malformed_security_is_open(security: object) -> None:
    doc = minimal()
    doc["paths"]["/things"]["post"]["security"] = security
    assert unsecured_operations(doc, public=[]) == ["POST /things"]


def test_public_operations_are_allowed_open() -> None:
    assert unsecured_operations(minimal(), public=["POST /things"]) == []
    assert unsecured_operations(minimal(), public=("post /things", "POST /things/")) == ["POST /things"]


def test_every_open_operation_is_listed_in_document_order() -> None:
    doc = minimal()
    doc["paths"]["/things"]["get"].pop("security")
    doc["paths"]["/other"] = {"x-amazon-apigateway-any-method": {"responses": {}}, "head": {"responses": {}}}
    assert unsecured_operations(doc, public=[]) == ["GET /things", "POST /things", "ANY /other", "HEAD /other"]


def test_cors_preflight_with_mock_integration_is_exempt() -> None:
    doc = minimal()
    doc["paths"]["/things"]["post"]["security"] = [{"key": []}]
    doc["paths"]["/things"]["options"] = {
        "responses": {"200": {"description": "cors"}},
        "x-amazon-apigateway-integration": {"type": "MOCK"},
    }
    assert unsecured_operations(doc, public=[]) == []


def test_only_options_is_exempt_for_a_mock_integration() -> None:
    doc = minimal()
    doc["paths"]["/things"]["post"]["x-amazon-apigateway-integration"] = {"type": "mock"}
    assert unsecured_operations(doc, public=[]) == ["POST /things"]


def test_options_served_by_a_function_is_not_exempt() -> None:
    doc = minimal()
    doc["paths"]["/things"]["post"]["security"] = [{"key": []}]
    doc["paths"]["/things"]["options"] = {
        "responses": {"200": {"description": "cors"}},
        "x-amazon-apigateway-integration": {"type": "aws_proxy", "uri": lambda_uri("cors")},
    }
    assert unsecured_operations(doc, public=[]) == ["OPTIONS /things"]


def test_unsecured_operations_does_not_modify_the_document() -> None:
    doc = minimal(security=[{"key": []}])
    before = copy.deepcopy(doc)
    unsecured_operations(doc, public=["GET /things"])
    assert doc == before
