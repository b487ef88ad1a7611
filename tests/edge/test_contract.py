"""Policies for the production API contract: the dev contract with only its targets rewritten."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from payments_edge.contract import (
    ContractError,
    contract_diff,
    document_hash,
    production_contract,
    require_secured,
)
from shared.openapi import authorizer_targets, integration_targets, openapi_problems

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REGION = "eu-west-1"
PROD_API = "payments-api-production-ab12"


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def prod_invoke_arn(dev_function: str, region: str = REGION) -> str:
    """The invoke ARN the compute layer would export for the production twin of `dev_function`."""
    name = f"{dev_function.removesuffix('-dev')}-production-ab12"
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/arn:aws:lambda:{region}:210987654321:function:{name}/invocations"


def invoke_arns_for(doc: dict[str, Any]) -> dict[str, str]:
    names = set(integration_targets(doc).values()) | set(authorizer_targets(doc).values())
    return {name: prod_invoke_arn(name) for name in names}


def migrate(doc: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"function_invoke_arns": invoke_arns_for(doc), "api_name": PROD_API, "region": REGION}
    kwargs.update(overrides)
    return production_contract(doc, **kwargs)


@pytest.fixture
def dev_contract() -> dict[str, Any]:
    return load(REPO / "config" / "dev-api.openapi.json")


@pytest.fixture
def rich_contract() -> dict[str, Any]:
    return load(FIXTURES / "rich-contract.json")


@pytest.fixture
def iam_contract() -> dict[str, Any]:
    return load(FIXTURES / "iam-apikey-contract.json")


INTEGRATION = "x-amazon-apigateway-integration"
AUTHORIZER = "x-amazon-apigateway-authorizer"


# --- the example contract ---------------------------------------------------------------------


def test_example_contract_changes_only_targets_title_and_servers(dev_contract: dict[str, Any]) -> None:
    prod = migrate(dev_contract)
    assert sorted(contract_diff(dev_contract, prod)) == sorted(
        [
            "/servers",
            "/info/title",
            f"/paths/~1payments/post/{INTEGRATION}/uri",
            f"/paths/~1payments~1{{paymentId}}/get/{INTEGRATION}/uri",
            f"/paths/~1payments~1{{paymentId}}~1refunds/post/{INTEGRATION}/uri",
            f"/paths/~1payments~1{{paymentId}}~1receipt/get/{INTEGRATION}/uri",
            f"/components/securitySchemes/merchantApiKey/{AUTHORIZER}/authorizerUri",
        ]
    )


def test_example_contract_points_at_the_production_functions(dev_contract: dict[str, Any]) -> None:
    prod = migrate(dev_contract)
    assert prod["info"]["title"] == PROD_API
    assert "servers" not in prod
    assert prod["paths"]["/payments"]["post"][INTEGRATION]["uri"] == prod_invoke_arn("payments-process-payment-dev")
    assert prod["paths"]["/payments/{paymentId}/receipt"]["get"][INTEGRATION]["uri"] == prod_invoke_arn("payments-generate-receipt-dev")
    assert prod["components"]["securitySchemes"]["merchantApiKey"][AUTHORIZER]["authorizerUri"] == prod_invoke_arn(
        "payments-authorizer-dev"
    )
    assert "us-east-1" not in json.dumps(prod)
    assert "123456789012" not in json.dumps(prod)


def test_example_contract_keeps_every_path_method_parameter_schema_response_and_validator(
    dev_contract: dict[str, Any],
) -> None:
    prod = migrate(dev_contract)
    assert prod["components"]["schemas"] == dev_contract["components"]["schemas"]
    assert prod["x-amazon-apigateway-request-validators"] == dev_contract["x-amazon-apigateway-request-validators"]
    assert prod["x-amazon-apigateway-gateway-responses"] == dev_contract["x-amazon-apigateway-gateway-responses"]
    assert list(prod["paths"]) == list(dev_contract["paths"])
    for path, item in dev_contract["paths"].items():
        assert list(prod["paths"][path]) == list(item)
        for method, operation in item.items():
            migrated = prod["paths"][path][method]
            for field in ("parameters", "requestBody", "responses", "security", "x-amazon-apigateway-request-validator"):
                assert migrated.get(field) == operation.get(field), (path, method, field)
            dev_integration = {k: v for k, v in operation[INTEGRATION].items() if k != "uri"}
            assert {k: v for k, v in migrated[INTEGRATION].items() if k != "uri"} == dev_integration


def test_example_production_contract_is_still_valid_and_secured(dev_contract: dict[str, Any]) -> None:
    prod = migrate(dev_contract)
    assert openapi_problems(prod) == []
    require_secured(prod, public=[])


def test_the_dev_contract_is_not_modified(dev_contract: dict[str, Any]) -> None:
    before = copy.deepcopy(dev_contract)
    migrate(dev_contract)
    assert dev_contract == before


# --- a richer contract --------------------------------------------------------------------------


# Operations of the rich contract with no `security` of their own (the OPTIONS preflight aside).
INHERITING_OPS = [
    ("/merchants/{merchantId}", "get"),
    ("/merchants/{merchantId}/payouts/{payoutId}", "get"),
    ("/reports/{reportId}", "get"),
    ("/legacy/{proxy+}", "x-amazon-apigateway-any-method"),
    ("/{proxy+}", "x-amazon-apigateway-any-method"),
]


def test_inherited_security_is_spelled_out_on_every_operation_but_the_cors_preflight(rich_contract: dict[str, Any]) -> None:
    """API Gateway authorizes per method: a document-level requirement must reach each operation."""
    prod = migrate(rich_contract)
    for path, method in INHERITING_OPS:
        assert "security" not in rich_contract["paths"][path][method]
        assert prod["paths"][path][method]["security"] == rich_contract["security"], (path, method)
    assert "security" not in prod["paths"]["/merchants/{merchantId}"]["options"]
    # Operations that declare their own requirement, open ones included, keep exactly that.
    assert prod["paths"]["/health"]["get"]["security"] == []
    assert prod["paths"]["/webhooks"]["post"]["security"] == rich_contract["paths"]["/webhooks"]["post"]["security"]


def test_without_document_level_security_nothing_is_added(iam_contract: dict[str, Any]) -> None:
    assert "security" not in iam_contract
    prod = migrate(iam_contract)
    for path, item in iam_contract["paths"].items():
        for method, operation in item.items():
            assert prod["paths"][path][method].get("security") == operation.get("security")


def test_rich_contract_rewrites_every_lambda_target_and_nothing_else(rich_contract: dict[str, Any]) -> None:
    prod = migrate(rich_contract)
    lambda_ops = [
        ("/health", "get"),
        ("/merchants/{merchantId}", "get"),
        ("/merchants/{merchantId}", "put"),
        ("/merchants/{merchantId}", "delete"),
        ("/merchants/{merchantId}/payouts/{payoutId}", "get"),
        ("/webhooks", "post"),
        ("/reports/{reportId}", "get"),
        ("/{proxy+}", "x-amazon-apigateway-any-method"),
    ]
    expected = {"/servers", "/info/title"}
    expected |= {f"/paths/{path.replace('/', '~1')}/{method}/{INTEGRATION}/uri" for path, method in lambda_ops}
    expected |= {f"/components/securitySchemes/{scheme}/{AUTHORIZER}/authorizerUri" for scheme in ("merchantApiKey", "webhookToken")}
    expected |= {f"/paths/{path.replace('/', '~1')}/{method}/security" for path, method in INHERITING_OPS}
    assert set(contract_diff(rich_contract, prod)) == expected
    assert len(contract_diff(rich_contract, prod)) == len(expected)
    assert openapi_problems(prod) == []


def test_rich_contract_drops_dev_aliases_for_the_production_invoke_arn(rich_contract: dict[str, Any]) -> None:
    prod = migrate(rich_contract)
    assert prod["paths"]["/{proxy+}"]["x-amazon-apigateway-any-method"][INTEGRATION]["uri"] == prod_invoke_arn("portal-fallback-dev")
    assert prod["paths"]["/webhooks"]["post"][INTEGRATION]["uri"] == prod_invoke_arn("portal-webhooks-dev")
    assert prod["paths"]["/reports/{reportId}"]["get"][INTEGRATION]["uri"] == prod_invoke_arn("portal-reports-dev")
    token = prod["components"]["securitySchemes"]["webhookToken"][AUTHORIZER]
    assert token["authorizerUri"] == prod_invoke_arn("portal-token-authorizer-dev")
    assert token["identityValidationExpression"] == "^v1=[a-f0-9]{64}$"


def test_rich_contract_keeps_http_mock_and_cognito_unchanged(rich_contract: dict[str, Any]) -> None:
    prod = migrate(rich_contract)
    for path, method in [("/legacy/{proxy+}", "x-amazon-apigateway-any-method"), ("/merchants/{merchantId}", "options")]:
        kept = {k: v for k, v in prod["paths"][path][method].items() if k != "security"}
        assert kept == rich_contract["paths"][path][method]
    assert prod["components"]["securitySchemes"]["adminPool"] == rich_contract["components"]["securitySchemes"]["adminPool"]
    assert prod["paths"]["/merchants/{merchantId}"]["parameters"] == rich_contract["paths"]["/merchants/{merchantId}"]["parameters"]
    assert prod["security"] == rich_contract["security"]


def test_rich_contract_needs_its_open_health_check_marked_public(rich_contract: dict[str, Any]) -> None:
    with pytest.raises(ContractError) as caught:
        require_secured(rich_contract, public=[])
    assert caught.value.path == "paths"
    assert "GET /health;" in str(caught.value)
    # The CORS preflight is exempt and the ANY methods inherit the top-level requirement.
    assert "OPTIONS" not in str(caught.value) and "ANY" not in str(caught.value)
    require_secured(migrate(rich_contract), public=["GET /health"])


def test_authorizer_targets_are_the_lambda_authorizers(rich_contract: dict[str, Any]) -> None:
    assert authorizer_targets(rich_contract) == {
        "merchantApiKey": "portal-request-authorizer-dev",
        "webhookToken": "portal-token-authorizer-dev",
    }


# --- IAM and API keys ---------------------------------------------------------------------------


def test_iam_and_api_key_contract_carries_its_security_over_unchanged(iam_contract: dict[str, Any]) -> None:
    prod = migrate(iam_contract)
    assert set(contract_diff(iam_contract, prod)) == {
        "/info/title",
        f"/paths/~1exports/post/{INTEGRATION}/uri",
        f"/paths/~1usage/get/{INTEGRATION}/uri",
    }
    assert prod["components"] == iam_contract["components"]
    assert prod["paths"]["/documents/{key}"] == iam_contract["paths"]["/documents/{key}"]
    assert authorizer_targets(prod) == {}
    require_secured(prod, public=[])
    assert openapi_problems(prod) == []


# --- refusals -----------------------------------------------------------------------------------


def test_missing_invoke_arn_names_the_operation(dev_contract: dict[str, Any]) -> None:
    arns = invoke_arns_for(dev_contract)
    del arns["payments-refund-payment-dev"]
    with pytest.raises(ContractError) as caught:
        migrate(dev_contract, function_invoke_arns=arns)
    assert caught.value.path == f"paths./payments/{{paymentId}}/refunds.post.{INTEGRATION}.uri"
    assert "POST /payments/{paymentId}/refunds → payments-refund-payment-dev" in caught.value.reason
    assert str(caught.value).startswith(caught.value.path + ": ")
    assert isinstance(caught.value, ValueError)


def test_missing_authorizer_invoke_arn_names_the_scheme(dev_contract: dict[str, Any]) -> None:
    arns = invoke_arns_for(dev_contract)
    del arns["payments-authorizer-dev"]
    with pytest.raises(ContractError) as caught:
        migrate(dev_contract, function_invoke_arns=arns)
    assert caught.value.path == f"components.securitySchemes.merchantApiKey.{AUTHORIZER}.authorizerUri"
    assert "authorizer merchantApiKey → payments-authorizer-dev" in caught.value.reason


def test_every_missing_invoke_arn_is_listed_at_once(rich_contract: dict[str, Any]) -> None:
    arns = invoke_arns_for(rich_contract)
    del arns["portal-merchants-dev"], arns["portal-token-authorizer-dev"]
    with pytest.raises(ContractError) as caught:
        migrate(rich_contract, function_invoke_arns=arns)
    assert caught.value.path == "paths"
    for what in (
        "GET /merchants/{merchantId} → portal-merchants-dev",
        "PUT /merchants/{merchantId} → portal-merchants-dev",
        "DELETE /merchants/{merchantId} → portal-merchants-dev",
        "authorizer webhookToken → portal-token-authorizer-dev",
    ):
        assert what in caught.value.reason


def test_a_stage_variable_function_name_is_refused_not_carried_over(dev_contract: dict[str, Any]) -> None:
    integration = dev_contract["paths"]["/payments"]["post"][INTEGRATION]
    integration["uri"] = integration["uri"].replace("payments-process-payment-dev", "${stageVariables.processor}")
    with pytest.raises(ContractError, match=r"POST /payments → \$\{stageVariables.processor\}"):
        migrate(dev_contract, function_invoke_arns=invoke_arns_for(load(REPO / "config" / "dev-api.openapi.json")))


@pytest.mark.parametrize(
    "bad_arn",
    [
        prod_invoke_arn("payments-get-payment-dev", region="us-east-1"),
        prod_invoke_arn("payments-get-payment-dev").replace("arn:aws:lambda:eu-west-1:", "arn:aws:lambda:us-east-1:"),
        "arn:aws:lambda:eu-west-1:210987654321:function:payments-get-payment-production-ab12",
        "",
    ],
)
def test_an_invoke_arn_outside_the_region_or_malformed_is_refused(dev_contract: dict[str, Any], bad_arn: str) -> None:
    arns = invoke_arns_for(dev_contract)
    arns["payments-get-payment-dev"] = bad_arn
    with pytest.raises(ContractError) as caught:
        migrate(dev_contract, function_invoke_arns=arns)
    assert caught.value.path == f"paths./payments/{{paymentId}}.get.{INTEGRATION}.uri"
    assert "eu-west-1" in caught.value.reason


def test_a_dev_iam_role_in_an_authorizer_is_refused(dev_contract: dict[str, Any]) -> None:
    authorizer = dev_contract["components"]["securitySchemes"]["merchantApiKey"][AUTHORIZER]
    authorizer["authorizerCredentials"] = "arn:aws:iam::123456789012:role/apigw-invoke-authorizer-dev"
    with pytest.raises(ContractError) as caught:
        migrate(dev_contract)
    assert caught.value.path.endswith("merchantApiKey.x-amazon-apigateway-authorizer.authorizerCredentials")


def test_a_dev_iam_role_in_an_integration_is_refused(dev_contract: dict[str, Any]) -> None:
    dev_contract["paths"]["/payments"]["post"][INTEGRATION]["credentials"] = "arn:aws:iam::123456789012:role/x"
    with pytest.raises(ContractError, match=r"^paths\./payments\.post\.x-amazon-apigateway-integration\.credentials: "):
        migrate(dev_contract)


def test_unsecured_contract_is_refused_listing_every_open_operation(dev_contract: dict[str, Any]) -> None:
    dev_contract["paths"]["/payments"]["post"]["security"] = []
    del dev_contract["paths"]["/payments/{paymentId}/receipt"]["get"]["security"]
    dev_contract["paths"]["/payments/{paymentId}"]["get"]["security"] = [{"merchantApiKey": []}, {}]
    with pytest.raises(ContractError) as caught:
        require_secured(dev_contract, public=[])
    assert str(caught.value) == (
        "paths: operations without a security requirement: POST /payments, GET /payments/{paymentId}, "
        "GET /payments/{paymentId}/receipt; mark them public in apiGateway.publicOperations or secure them"
    )


def test_public_operations_are_allowed(dev_contract: dict[str, Any]) -> None:
    del dev_contract["paths"]["/payments/{paymentId}/receipt"]["get"]["security"]
    require_secured(dev_contract, public=["GET /payments/{paymentId}/receipt"])
    with pytest.raises(ContractError, match=r"GET /payments/\{paymentId\}/receipt;"):
        require_secured(dev_contract, public=["GET /payments/{paymentId}"])


def test_top_level_security_secures_operations_without_their_own(dev_contract: dict[str, Any]) -> None:
    for item in dev_contract["paths"].values():
        for operation in item.values():
            del operation["security"]
    with pytest.raises(ContractError):
        require_secured(dev_contract, public=[])
    dev_contract["security"] = [{"merchantApiKey": []}]
    require_secured(dev_contract, public=[])


# --- contract_diff ------------------------------------------------------------------------------


def test_contract_diff_of_equal_documents_is_empty(dev_contract: dict[str, Any]) -> None:
    assert contract_diff(dev_contract, copy.deepcopy(dev_contract)) == []


def test_contract_diff_escapes_pointer_tokens_and_pinpoints_list_items() -> None:
    left = {"paths": {"/a/{id}": {"get": {"parameters": [{"name": "id"}, {"name": "q"}]}}}, "x~y": 1}
    right = {"paths": {"/a/{id}": {"get": {"parameters": [{"name": "id"}, {"name": "r"}, {"name": "s"}]}}}, "x~y": 1}
    assert contract_diff(left, right) == ["/paths/~1a~1{id}/get/parameters/1/name", "/paths/~1a~1{id}/get/parameters/2"]
    assert contract_diff({"x~y": 1}, {"x~y": 2}) == ["/x~0y"]


def test_contract_diff_reports_keys_on_either_side_and_type_changes() -> None:
    assert contract_diff({"a": 1, "b": 2}, {"b": 2, "c": 3}) == ["/a", "/c"]
    assert contract_diff({"a": 1}, {"a": True}) == ["/a"]
    assert contract_diff({"a": 1}, {"a": 1.0}) == ["/a"]
    assert contract_diff({"a": [1]}, {"a": {"0": 1}}) == ["/a"]
    assert contract_diff([1], [1, 2]) == ["/1"]
    assert contract_diff(1, 2) == [""]


# --- document_hash ------------------------------------------------------------------------------


def test_document_hash_is_sha256_of_canonical_json() -> None:
    expected = hashlib.sha256(b'{"a":[1,2],"b":{"c":"\xc3\xa9"}}').hexdigest()
    assert document_hash({"b": {"c": "é"}, "a": [1, 2]}) == expected


def test_document_hash_ignores_key_order_but_not_content(dev_contract: dict[str, Any]) -> None:
    reordered = json.loads(json.dumps(dev_contract, sort_keys=True))
    assert list(reordered) != list(dev_contract)
    assert document_hash(reordered) == document_hash(dev_contract)
    prod = migrate(dev_contract)
    other_arns = {name: arn.replace("-ab12", "-cd34") for name, arn in invoke_arns_for(dev_contract).items()}
    assert document_hash(prod) != document_hash(migrate(dev_contract, function_invoke_arns=other_arns))
    assert document_hash(prod) == document_hash(migrate(dev_contract))
