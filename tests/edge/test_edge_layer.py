"""Policies of the edge layer as planned: what it creates, how it is wired, and what it refuses."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from payments_edge.contract import ContractError, contract_diff, document_hash
from payments_tools.harness import REPO_ROOT, LayerRun, run_layer
from payments_tools.mocks import PlanMocks
from shared.errors import ConfigError
from shared.outputs import Compute, Edge, Foundation
from shared.settings import load_settings

REST_API = "aws:apigateway/restApi:RestApi"
DEPLOYMENT = "aws:apigateway/deployment:Deployment"
STAGE = "aws:apigateway/stage:Stage"
METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
ACCOUNT = "aws:apigateway/account:Account"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
PERMISSION = "aws:lambda/permission:Permission"
DOMAIN = "aws:apigateway/domainName:DomainName"
MAPPING = "aws:apigateway/basePathMapping:BasePathMapping"
RECORD = "aws:route53/record:Record"
CERTIFICATE = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"

INTEGRATION = "x-amazon-apigateway-integration"
AUTHORIZER = "x-amazon-apigateway-authorizer"
SUFFIX = load_settings(REPO_ROOT).environment_suffix
API_NAME = f"payments-api-production-{SUFFIX}"
CERT = "arn:aws:acm:eu-west-1:111122223333:certificate/5a5a5a5a-0000-4000-8000-000000000000"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def dev_contract() -> dict[str, Any]:
    return json.loads((REPO_ROOT / "config" / "dev-api.openapi.json").read_text())


def only(run: LayerRun, typ: str) -> dict[str, Any]:
    (resource,) = run.of_type(typ)
    return resource


def body(run: LayerRun) -> dict[str, Any]:
    return json.loads(only(run, REST_API)["inputs"]["body"])


def log_group(run: LayerRun, name: str) -> dict[str, Any]:
    (group,) = [g for g in run.of_type(LOG_GROUP) if g["inputs"]["name"] == name]
    return group


# --- the REST API from the dev contract ---------------------------------------------------------


def test_the_rest_api_is_regional_named_by_the_naming_rule_and_strict(example_run: LayerRun) -> None:
    api = only(example_run, REST_API)["inputs"]
    assert api["name"] == API_NAME
    assert api["endpointConfiguration"]["types"] == "REGIONAL"
    assert api["putRestApiMode"] == "overwrite"
    assert api["failOnWarnings"] is True


def test_the_api_body_is_the_dev_contract_with_only_its_lambda_targets_rewritten(example_run: LayerRun) -> None:
    dev = dev_contract()
    assert sorted(contract_diff(dev, body(example_run))) == sorted(
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


def test_every_integration_and_authorizer_invokes_the_compute_layers_function(fake: Any, example_run: LayerRun) -> None:
    doc = body(example_run)
    assert doc["paths"]["/payments"]["post"][INTEGRATION]["uri"] == fake.invoke_arn("payments-process-payment-dev")
    assert doc["paths"]["/payments/{paymentId}/receipt"]["get"][INTEGRATION]["uri"] == fake.invoke_arn("payments-generate-receipt-dev")
    authorizer = doc["components"]["securitySchemes"]["merchantApiKey"][AUTHORIZER]
    assert authorizer["authorizerUri"] == fake.invoke_arn("payments-authorizer-dev")
    assert "us-east-1" not in json.dumps(doc) and "123456789012" not in json.dumps(doc)


def rich_inventory(write_inventory: Callable[..., Path]) -> Path:
    """The rich fixture contract (two authorizers, ANY, proxy, HTTP, mock) with its functions in the inventory."""
    contract = json.loads((FIXTURES / "rich-contract.json").read_text())
    portal = [
        "portal-health-dev", "portal-merchants-dev", "portal-payouts-dev", "portal-webhooks-dev",
        "portal-reports-dev", "portal-fallback-dev", "portal-request-authorizer-dev", "portal-token-authorizer-dev",
    ]  # fmt: skip

    def edit(inventory: dict[str, Any]) -> None:
        template = inventory["lambdaFunctions"][1]
        inventory["lambdaFunctions"] += [{**template, "FunctionName": name} for name in portal]
        inventory["apiGateway"]["publicOperations"] = ["GET /health"]

    return write_inventory(edit=edit, contract=contract)


def test_a_rich_contract_migrates_with_every_target_rewritten_and_nothing_else(fake: Any, write_inventory: Callable[..., Path]) -> None:
    path = rich_inventory(write_inventory)
    run = run_layer("edge", upstream=fake.upstream_for(path), config={"inventoryFile": str(path)})
    dev = json.loads((FIXTURES / "rich-contract.json").read_text())
    prod = body(run)
    changed = set(contract_diff(dev, prod))
    assert {"/servers", "/info/title"} <= changed
    spelled_out = {p for p in changed if p.endswith("/security")}
    assert len(spelled_out) == 5  # operations inheriting the document-level requirement
    rewritten = changed - {"/servers", "/info/title"} - spelled_out
    assert len(rewritten) == 8 + 2  # eight Lambda integrations, two Lambda authorizers
    assert all(p.endswith(f"{INTEGRATION}/uri") or p.endswith(f"{AUTHORIZER}/authorizerUri") for p in rewritten)
    token = prod["components"]["securitySchemes"]["webhookToken"][AUTHORIZER]
    assert token["authorizerUri"] == fake.invoke_arn("portal-token-authorizer-dev")
    authorizer_permissions = [p for p in run.of_type(PERMISSION) if p["inputs"]["sourceArn"].endswith("/authorizers/*")]
    assert sorted(p["inputs"]["function"] for p in authorizer_permissions) == sorted(
        [fake.function_arn("portal-request-authorizer-dev"), fake.function_arn("portal-token-authorizer-dev")]
    )
    assert len(run.of_type(PERMISSION)) == 8 + 2


def test_a_function_the_compute_layer_did_not_export_is_named(upstream: dict[str, dict[str, Any]]) -> None:
    del upstream["compute"][Compute.FUNCTION_INVOKE_ARNS]["payments-refund-payment-dev"]
    # Raised while resolving the body, so Pulumi wraps it; the message survives.
    with pytest.raises(ValueError, match=r"POST /payments/\{paymentId\}/refunds → payments-refund-payment-dev \(known: "):
        run_layer("edge", upstream=upstream)


def test_a_permission_for_a_function_the_compute_layer_did_not_export_names_the_layer(upstream: dict[str, dict[str, Any]]) -> None:
    del upstream["compute"][Compute.FUNCTION_ARNS]["payments-authorizer-dev"]
    with pytest.raises(ValueError, match=r"compute:functionArns\[payments-authorizer-dev\]: .*redeploy the compute layer"):
        run_layer("edge", upstream=upstream)


def test_a_missing_upstream_layer_says_which_to_deploy_first(fake: Any) -> None:
    with pytest.raises(ValueError, match="upstream output missing; deploy the foundation layer first"):
        run_layer("edge", upstream={"compute": fake.compute_outputs(list(fake.example_functions))})


# --- deployment and stage -----------------------------------------------------------------------


def test_the_deployment_redeploys_exactly_when_the_document_changes(
    example_run: LayerRun, upstream: dict[str, dict[str, Any]], write_inventory: Callable[..., Path]
) -> None:
    trigger = only(example_run, DEPLOYMENT)["inputs"]["triggers"]["redeployment"]
    assert trigger == document_hash(body(example_run))
    assert trigger == only(run_layer("edge", upstream=upstream), DEPLOYMENT)["inputs"]["triggers"]["redeployment"]

    def describe(doc: dict[str, Any]) -> None:
        doc["paths"]["/payments"]["post"]["summary"] = "Create, authorise and capture a payment."

    changed = run_layer("edge", upstream=upstream, config={"inventoryFile": str(write_inventory(edit_contract=describe))})
    assert only(changed, DEPLOYMENT)["inputs"]["triggers"]["redeployment"] != trigger


def test_the_stage_is_traced_and_writes_json_access_logs_to_its_encrypted_group(fake: Any, example_run: LayerRun) -> None:
    stage = only(example_run, STAGE)
    inputs = stage["inputs"]
    assert inputs["stageName"] == "production"
    assert inputs["xrayTracingEnabled"] is True
    assert inputs["deployment"] == only(example_run, DEPLOYMENT)["id"]
    access = log_group(example_run, f"/aws/apigateway/{API_NAME}/access")
    assert inputs["accessLogSettings"]["destinationArn"] == access["state"]["arn"]
    assert not inputs["accessLogSettings"]["destinationArn"].endswith(":*")
    assert json.loads(inputs["accessLogSettings"]["format"])["xrayTraceId"] == "$context.xrayTraceId"
    assert (access["inputs"]["retentionInDays"], access["inputs"]["kmsKeyId"]) == (30, fake.foundation[Foundation.LOGS_KEY_ARN])


def test_the_execution_log_group_is_the_one_api_gateway_writes_to_and_exists_before_the_stage(fake: Any, example_run: LayerRun) -> None:
    run = example_run
    api_id = only(run, REST_API)["id"]
    execution = log_group(run, f"API-Gateway-Execution-Logs_{api_id}/production")
    assert (execution["inputs"]["retentionInDays"], execution["inputs"]["kmsKeyId"]) == (30, fake.foundation[Foundation.LOGS_KEY_ARN])
    assert {"payments-api-execution-logs", "payments-api-account-logging"} <= run.dependencies(STAGE, "payments-api-stage")
    assert "payments-api-account-logging" in run.dependencies(METHOD_SETTINGS, "payments-api-method-settings")


def test_log_retention_follows_configuration(upstream: dict[str, dict[str, Any]]) -> None:
    run = run_layer("edge", upstream=upstream, config={"logRetentionDays": 90})
    assert {g["inputs"]["retentionInDays"] for g in run.of_type(LOG_GROUP)} == {90}
    assert len(run.of_type(LOG_GROUP)) == 3


def test_every_log_group_is_encrypted_with_the_logs_key(fake: Any, example_run: LayerRun) -> None:
    assert {g["inputs"]["kmsKeyId"] for g in example_run.of_type(LOG_GROUP)} == {fake.foundation[Foundation.LOGS_KEY_ARN]}


def test_the_account_logging_role_comes_from_the_foundation_layer(fake: Any, example_run: LayerRun) -> None:
    assert only(example_run, ACCOUNT)["inputs"]["cloudwatchRoleArn"] == fake.foundation[Foundation.API_GATEWAY_LOGGING_ROLE_ARN]


def test_the_account_setting_can_be_left_to_another_stack(upstream: dict[str, dict[str, Any]]) -> None:
    del upstream["foundation"][Foundation.API_GATEWAY_LOGGING_ROLE_ARN]
    run = run_layer("edge", upstream=upstream, config={"api": {"manageAccountLoggingRole": False}})
    assert run.of_type(ACCOUNT) == []
    assert len(run.of_type(STAGE)) == 1


def test_every_method_is_throttled_with_metrics_and_info_logs_but_no_data_trace(upstream: dict[str, dict[str, Any]]) -> None:
    run = run_layer("edge", upstream=upstream, config={"api": {"throttleBurstLimit": 5000}})
    settings = only(run, METHOD_SETTINGS)
    assert settings["inputs"]["methodPath"] == "*/*"
    assert settings["inputs"]["stageName"] == "production"
    assert settings["inputs"]["settings"] == {
        "throttlingRateLimit": 1000,
        "throttlingBurstLimit": 5000,
        "metricsEnabled": True,
        "loggingLevel": "INFO",
        "dataTraceEnabled": False,
    }


def test_a_burst_below_1000_is_refused(upstream: dict[str, dict[str, Any]]) -> None:
    with pytest.raises(ConfigError, match=r"api\.throttleBurstLimit"):
        run_layer("edge", upstream=upstream, config={"api": {"throttleBurstLimit": 999}})


# --- Lambda permissions -------------------------------------------------------------------------


def test_each_function_may_be_invoked_only_by_this_api_on_its_own_route(fake: Any, example_run: LayerRun) -> None:
    execution_arn = example_run.outputs[Edge.EXECUTION_ARN]
    granted = {(p["inputs"]["function"], p["inputs"]["sourceArn"]) for p in example_run.of_type(PERMISSION)}
    assert granted == {
        (fake.function_arn("payments-process-payment-dev"), f"{execution_arn}/*/POST/payments"),
        (fake.function_arn("payments-get-payment-dev"), f"{execution_arn}/*/GET/payments/*"),
        (fake.function_arn("payments-refund-payment-dev"), f"{execution_arn}/*/POST/payments/*/refunds"),
        (fake.function_arn("payments-generate-receipt-dev"), f"{execution_arn}/*/GET/payments/*/receipt"),
        (fake.function_arn("payments-authorizer-dev"), f"{execution_arn}/authorizers/*"),
    }
    for permission in example_run.of_type(PERMISSION):
        assert permission["inputs"]["principal"] == "apigateway.amazonaws.com"
        assert permission["inputs"]["action"] == "lambda:InvokeFunction"


def test_permissions_are_created_after_the_rest_api(example_run: LayerRun) -> None:
    permissions = [r["name"] for r in example_run.registrations if r["type"] == PERMISSION]
    assert len(permissions) == 5
    for name in permissions:
        assert "payments-api-api" in example_run.dependencies(PERMISSION, name), name


# --- refusing an open API -----------------------------------------------------------------------


def open_every_operation(doc: dict[str, Any]) -> None:
    for item in doc["paths"].values():
        for operation in item.values():
            operation.pop("security", None)


def test_an_open_contract_is_refused_naming_every_open_operation_before_any_resource(
    upstream: dict[str, dict[str, Any]], write_inventory: Callable[..., Path]
) -> None:
    path = write_inventory(edit_contract=open_every_operation)
    mocks = PlanMocks()
    with pytest.raises(ContractError) as caught:
        run_layer("edge", upstream=upstream, config={"inventoryFile": str(path)}, mocks=mocks)
    for operation in (
        "POST /payments",
        "GET /payments/{paymentId}",
        "POST /payments/{paymentId}/refunds",
        "GET /payments/{paymentId}/receipt",
    ):
        assert operation in str(caught.value)
    assert "apiGateway.publicOperations" in str(caught.value)
    assert caught.value.path.startswith("apiGateway.openApiFile")
    assert [r["type"] for r in mocks.registrations if r["type"].startswith("aws:")] == []


def test_an_operation_marked_public_may_stay_open(upstream: dict[str, dict[str, Any]], write_inventory: Callable[..., Path]) -> None:
    def open_receipt(doc: dict[str, Any]) -> None:
        del doc["paths"]["/payments/{paymentId}/receipt"]["get"]["security"]

    refused = write_inventory(edit_contract=open_receipt)
    with pytest.raises(ContractError, match=r"GET /payments/\{paymentId\}/receipt;"):
        run_layer("edge", upstream=upstream, config={"inventoryFile": str(refused)})

    def mark_public(inventory: dict[str, Any]) -> None:
        inventory["apiGateway"]["publicOperations"] = ["GET /payments/{paymentId}/receipt"]

    allowed = write_inventory(edit=mark_public, edit_contract=open_receipt)
    run = run_layer("edge", upstream=upstream, config={"inventoryFile": str(allowed)})
    assert "security" not in body(run)["paths"]["/payments/{paymentId}/receipt"]["get"]


def test_an_iam_and_api_key_contract_is_secured_and_carried_over(fake: Any, write_inventory: Callable[..., Path]) -> None:
    contract = json.loads((FIXTURES / "iam-apikey-contract.json").read_text())

    def edit(inventory: dict[str, Any]) -> None:
        template = inventory["lambdaFunctions"][1]
        inventory["lambdaFunctions"] += [{**template, "FunctionName": n} for n in ("documents-export-dev", "documents-usage-dev")]

    path = write_inventory(edit=edit, contract=contract)
    run = run_layer("edge", upstream=fake.upstream_for(path), config={"inventoryFile": str(path)})
    assert body(run)["components"] == contract["components"]
    assert [p for p in run.of_type(PERMISSION) if p["inputs"]["sourceArn"].endswith("/authorizers/*")] == []


# --- custom domain ------------------------------------------------------------------------------


def test_the_domain_is_regional_tls_1_2_and_mapped_to_the_stage(example_run: LayerRun) -> None:
    domain = only(example_run, DOMAIN)["inputs"]
    assert domain["domainName"] == "api.payments.example.com"
    assert domain["endpointConfiguration"]["types"] == "REGIONAL"
    assert domain["securityPolicy"] == "TLS_1_2"
    mapping = only(example_run, MAPPING)["inputs"]
    assert (mapping["restApi"], mapping["stageName"], mapping["domainName"]) == (
        example_run.outputs[Edge.API_ID],
        "production",
        "api.payments.example.com",
    )
    assert mapping.get("basePath", "") == ""


def test_with_only_a_zone_a_certificate_is_requested_and_dns_validated_before_the_domain(upstream: dict[str, dict[str, Any]]) -> None:
    run = run_layer("edge", upstream=upstream, config={"api": {"certificateArn": None, "hostedZoneId": "Z0EXAMPLEZONE"}})
    certificate = only(run, CERTIFICATE)
    assert (certificate["inputs"]["domainName"], certificate["inputs"]["validationMethod"]) == ("api.payments.example.com", "DNS")
    option = certificate["state"]["domainValidationOptions"][0]
    records = {r["name"]: r["inputs"] for r in run.of_type(RECORD)}
    validation_record = records["custom-domain-certificate-validation"]
    assert validation_record["zoneId"] == "Z0EXAMPLEZONE"
    assert (validation_record["name"], validation_record["type"], validation_record["records"]) == (
        option["resourceRecordName"],
        option["resourceRecordType"],
        [option["resourceRecordValue"]],
    )
    assert only(run, VALIDATION)["inputs"]["certificateArn"] == certificate["state"]["arn"]
    assert only(run, DOMAIN)["inputs"]["regionalCertificateArn"] == certificate["state"]["arn"]
    assert "custom-domain-certificate-validated" in run.dependencies(DOMAIN, "custom-domain-domain")
    assert run.outputs[Edge.CERTIFICATE_ARN] == certificate["state"]["arn"]


def test_a_zone_gets_an_alias_record_to_the_regional_endpoint(example_run: LayerRun) -> None:
    (alias,) = [r for r in example_run.of_type(RECORD) if r["name"] == "custom-domain-alias"]
    domain = only(example_run, DOMAIN)["state"]
    assert alias["inputs"]["type"] == "A"
    assert alias["inputs"]["name"] == "api.payments.example.com"
    assert alias["inputs"]["aliases"] == [
        {"name": domain["regionalDomainName"], "zoneId": domain["regionalZoneId"], "evaluateTargetHealth": False}
    ]


def test_an_existing_certificate_is_used_as_is_and_no_dns_is_touched_without_a_zone(upstream: dict[str, dict[str, Any]]) -> None:
    run = run_layer("edge", upstream=upstream, config={"api": {"certificateArn": CERT, "hostedZoneId": None}})
    assert run.of_type(CERTIFICATE) == [] and run.of_type(VALIDATION) == [] and run.of_type(RECORD) == []
    assert only(run, DOMAIN)["inputs"]["regionalCertificateArn"] == CERT
    assert run.outputs[Edge.CUSTOM_DOMAIN_TARGET] == only(run, DOMAIN)["state"]["regionalDomainName"]


def test_an_existing_certificate_with_a_zone_gets_only_the_alias(upstream: dict[str, dict[str, Any]]) -> None:
    run = run_layer("edge", upstream=upstream, config={"api": {"certificateArn": CERT, "hostedZoneId": "Z0EXAMPLEZONE"}})
    assert run.of_type(CERTIFICATE) == []
    assert [r["name"] for r in run.of_type(RECORD)] == ["custom-domain-alias"]


def test_no_certificate_and_no_zone_is_refused_before_any_resource(upstream: dict[str, dict[str, Any]]) -> None:
    mocks = PlanMocks()
    with pytest.raises(ConfigError) as caught:
        run_layer("edge", upstream=upstream, config={"api": {"certificateArn": None, "hostedZoneId": None}}, mocks=mocks)
    assert "api.certificateArn" in str(caught.value) and "api.hostedZoneId" in str(caught.value)
    assert [r["type"] for r in mocks.registrations if r["type"].startswith("aws:")] == []


# --- WAF ----------------------------------------------------------------------------------------


def test_the_web_acl_is_regional_allows_by_default_and_runs_every_rule_with_metrics(upstream: dict[str, dict[str, Any]]) -> None:
    run = run_layer("edge", upstream=upstream, config={"api": {"wafRateLimit": 500}})
    acl = only(run, WEB_ACL)["inputs"]
    assert acl["name"] == f"payments-api-waf-production-{SUFFIX}"
    assert acl["scope"] == "REGIONAL"
    assert acl["defaultAction"] == {"allow": {}}
    assert acl["visibilityConfig"]["cloudwatchMetricsEnabled"] is True
    rules = {rule["name"]: rule for rule in acl["rules"]}
    assert set(rules) == {
        "per-ip-rate-limit",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesAnonymousIpList",
    }
    rate = rules["per-ip-rate-limit"]
    assert rate["statement"]["rateBasedStatement"]["limit"] == 500
    assert rate["statement"]["rateBasedStatement"]["aggregateKeyType"] == "IP"
    assert rate["action"] == {"block": {}}
    for name, rule in rules.items():
        assert rule["visibilityConfig"]["cloudwatchMetricsEnabled"] is True, name
        if name != "per-ip-rate-limit":
            assert rule["overrideAction"] == {"none": {}}
            expected = {"name": name, "vendorName": "AWS"}
            if name == "AWSManagedRulesAnonymousIpList":
                expected["ruleActionOverrides"] = [{"name": "HostingProviderIPList", "actionToUse": {"count": {}}}]
            assert rule["statement"]["managedRuleGroupStatement"] == expected


def test_waf_logs_go_to_an_encrypted_aws_waf_logs_group_without_the_api_key(fake: Any, example_run: LayerRun) -> None:
    group = log_group(example_run, f"aws-waf-logs-payments-api-waf-production-{SUFFIX}")
    assert (group["inputs"]["retentionInDays"], group["inputs"]["kmsKeyId"]) == (30, fake.foundation[Foundation.LOGS_KEY_ARN])
    logging = only(example_run, WAF_LOGGING)["inputs"]
    assert logging["logDestinationConfigs"] == [group["state"]["arn"]]
    assert not logging["logDestinationConfigs"][0].endswith(":*")
    assert logging["resourceArn"] == example_run.outputs[Edge.WEB_ACL_ARN]
    assert logging["redactedFields"] == [{"singleHeader": {"name": "authorization"}}]


def test_the_web_acl_protects_the_stage_once_the_stage_exists(example_run: LayerRun) -> None:
    run = example_run
    association = only(run, WAF_ASSOCIATION)["inputs"]
    assert association["resourceArn"] == run.outputs[Edge.STAGE_ARN]
    assert association["webAclArn"] == run.outputs[Edge.WEB_ACL_ARN]
    assert "payments-api-stage" in run.dependencies(WAF_ASSOCIATION, "waf-association")
    assert "waf-log-delivery" in run.dependencies(WAF_LOGGING, "waf-logging")


# --- outputs ------------------------------------------------------------------------------------


def test_the_layer_exports_its_contract_keys(example_run: LayerRun) -> None:
    outputs = example_run.outputs
    api_id = only(example_run, REST_API)["id"]
    assert outputs[Edge.API_ID] == api_id
    assert outputs[Edge.API_NAME] == API_NAME
    assert outputs[Edge.STAGE_NAME] == "production"
    assert outputs[Edge.STAGE_ARN] == f"arn:aws:apigateway:eu-west-1::/restapis/{api_id}/stages/production"
    assert outputs[Edge.EXECUTION_ARN] == f"arn:aws:execute-api:eu-west-1:111122223333:{api_id}"
    assert outputs[Edge.INVOKE_URL] == f"https://{api_id}.execute-api.eu-west-1.amazonaws.com/production"
    assert outputs[Edge.CUSTOM_DOMAIN_URL] == "https://api.payments.example.com"
    assert outputs[Edge.WEB_ACL_ARN] == only(example_run, WEB_ACL)["state"]["arn"]
    assert outputs[Edge.ACCESS_LOG_GROUP_ARN] == log_group(example_run, f"/aws/apigateway/{API_NAME}/access")["state"]["arn"]
    assert outputs[Edge.EXECUTION_LOG_GROUP_ARN].endswith(f":log-group:API-Gateway-Execution-Logs_{api_id}/production")
    declared = {value for key, value in vars(Edge).items() if key.isupper() and key != "LAYER"}
    assert set(outputs) == declared
