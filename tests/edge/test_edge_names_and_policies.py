"""Policies of the edge layer's pure functions: names, log formats, permissions, WAF rules, domain choices."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest

from payments_edge import names
from payments_edge.api import ACCESS_LOG_FIELDS, access_log_format, log_destination_arn, method_settings
from payments_edge.domain import DomainPlan, domain_plan, validation_record
from payments_edge.permissions import AUTHORIZER_SOURCE_SUFFIX, integration_source_suffix, invoke_grants
from payments_edge.waf import MANAGED_RULE_GROUPS, RATE_LIMIT_RULE, log_delivery_policy, waf_rules
from shared.errors import ConfigError
from shared.settings import ApiSettings

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
LOG_GROUP_ARN = "arn:aws:logs:eu-west-1:111122223333:log-group:aws-waf-logs-payments-api-waf-production-eu1"


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dev", "production"),
    [("dev", "production"), ("development", "production"), ("payments-dev", "payments-production"), ("v1", "v1"), ("devices", "devices")],
)
def test_the_stage_replaces_the_dev_environment_token_and_keeps_any_other_name(dev: str, production: str) -> None:
    assert names.stage_name(dev) == production


def test_log_group_names_follow_aws_conventions() -> None:
    assert names.access_log_group_name("payments-api-production-eu1") == "/aws/apigateway/payments-api-production-eu1/access"
    acl = names.web_acl_name("payments-api-dev", "eu1")
    assert acl == "payments-api-waf-production-eu1"
    # WAF refuses a CloudWatch destination whose name does not start with aws-waf-logs-.
    assert names.waf_log_group_name(acl).startswith("aws-waf-logs-")
    assert names.custom_domain_url("api.payments.example.com") == "https://api.payments.example.com"


# --- access logs and method settings --------------------------------------------------------


def test_access_log_is_one_json_object_with_the_required_context_fields() -> None:
    record = json.loads(access_log_format())
    assert record == ACCESS_LOG_FIELDS
    for field, variable in {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "responseLatency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "xrayTraceId": "$context.xrayTraceId",
    }.items():
        assert record[field] == variable


def test_access_log_never_records_headers_query_strings_or_bodies() -> None:
    for variable in ACCESS_LOG_FIELDS.values():
        assert re.fullmatch(r"\$context\.[A-Za-z.]+", variable), variable
        assert not re.search(r"header|querystring|body|requestOverride|responseOverride", variable, re.IGNORECASE), variable


@pytest.mark.parametrize("arn", [LOG_GROUP_ARN, LOG_GROUP_ARN + ":*"])
def test_log_destinations_never_end_in_a_wildcard(arn: str) -> None:
    assert log_destination_arn(arn) == LOG_GROUP_ARN


def test_every_method_is_throttled_measured_and_logged_without_payment_data() -> None:
    settings = method_settings(ApiSettings(throttle_rate_limit=1000, throttle_burst_limit=3000))
    assert settings.throttling_rate_limit == 1000
    assert settings.throttling_burst_limit == 3000
    assert settings.metrics_enabled is True
    assert settings.logging_level == "INFO"
    assert settings.data_trace_enabled is False


# --- invoke permissions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "suffix"),
    [
        ("POST /payments", "/*/POST/payments"),
        ("GET /payments/{paymentId}", "/*/GET/payments/*"),
        ("POST /payments/{paymentId}/refunds", "/*/POST/payments/*/refunds"),
        ("GET /merchants/{merchantId}/payouts/{payoutId}", "/*/GET/merchants/*/payouts/*"),
        ("ANY /{proxy+}", "/*/*/*"),
        ("GET /", "/*/GET/"),
    ],
)
def test_an_integration_permission_is_scoped_to_its_method_and_path(operation: str, suffix: str) -> None:
    assert integration_source_suffix(operation) == suffix


def test_the_example_contract_needs_one_permission_per_operation_and_one_for_the_authorizer() -> None:
    grants = invoke_grants(load(REPO / "config" / "dev-api.openapi.json"), "eu1")
    assert [(g.dev_function, g.source_suffix) for g in grants] == [
        ("payments-process-payment-dev", "/*/POST/payments"),
        ("payments-get-payment-dev", "/*/GET/payments/*"),
        ("payments-refund-payment-dev", "/*/POST/payments/*/refunds"),
        ("payments-generate-receipt-dev", "/*/GET/payments/*/receipt"),
        ("payments-authorizer-dev", AUTHORIZER_SOURCE_SUFFIX),
    ]


def test_rich_contract_permissions_are_unique_valid_and_cover_every_lambda() -> None:
    grants = invoke_grants(load(FIXTURES / "rich-contract.json"), "eu1")
    merchants = [g for g in grants if g.dev_function == "portal-merchants-dev"]
    assert sorted(g.source_suffix for g in merchants) == ["/*/DELETE/merchants/*", "/*/GET/merchants/*", "/*/PUT/merchants/*"]
    authorizers = [g.dev_function for g in grants if g.source_suffix == AUTHORIZER_SOURCE_SUFFIX]
    assert authorizers == ["portal-request-authorizer-dev", "portal-token-authorizer-dev"]
    assert len({g.logical_name for g in grants}) == len(grants)
    for grant in grants:  # logical names carry the production function, never the dev one
        assert grant.logical_name.startswith(grant.dev_function.removesuffix("dev") + "production-eu1-"), grant.logical_name
    for function in {g.dev_function for g in grants}:
        ids = [g.statement_id for g in grants if g.dev_function == function]
        assert len(set(ids)) == len(ids)
    for grant in grants:
        assert re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", grant.statement_id), grant.statement_id


def test_an_authorizer_shared_by_two_schemes_gets_one_permission() -> None:
    doc = load(FIXTURES / "rich-contract.json")
    schemes = doc["components"]["securitySchemes"]
    schemes["webhookToken"]["x-amazon-apigateway-authorizer"]["authorizerUri"] = schemes["merchantApiKey"][
        "x-amazon-apigateway-authorizer"
    ]["authorizerUri"]
    authorizers = [g.dev_function for g in invoke_grants(doc, "eu1") if g.source_suffix == AUTHORIZER_SOURCE_SUFFIX]
    assert authorizers == ["portal-request-authorizer-dev"]


def test_paths_that_slug_alike_still_get_distinct_statement_ids() -> None:
    doc = load(REPO / "config" / "dev-api.openapi.json")
    doc["paths"]["/payments/paymentId"] = {"get": doc["paths"]["/payments/{paymentId}"]["get"]}
    ids = [g.statement_id for g in invoke_grants(doc, "eu1") if g.dev_function == "payments-get-payment-dev"]
    assert len(ids) == 2 and len(set(ids)) == 2


def test_iam_contract_needs_no_authorizer_permission() -> None:
    grants = invoke_grants(load(FIXTURES / "iam-apikey-contract.json"), "eu1")
    assert {g.dev_function for g in grants} == {"documents-export-dev", "documents-usage-dev"}
    assert all(g.source_suffix != AUTHORIZER_SOURCE_SUFFIX for g in grants)


# --- WAF ------------------------------------------------------------------------------------


def test_waf_runs_the_rate_limit_then_every_required_managed_group() -> None:
    rules = waf_rules("acl", 750)
    assert [r.name for r in rules] == [RATE_LIMIT_RULE, *MANAGED_RULE_GROUPS]
    assert set(MANAGED_RULE_GROUPS) == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesAnonymousIpList",
    }
    assert sorted(r.priority for r in rules) == list(range(len(rules)))


def test_anonymous_ip_list_blocks_but_only_counts_hosting_providers() -> None:
    [anonymous] = [r for r in waf_rules("acl", 750) if r.name == "AWSManagedRulesAnonymousIpList"]
    statement = anonymous.statement.managed_rule_group_statement
    assert statement.vendor_name == "AWS"
    [override] = statement.rule_action_overrides
    # Merchants call the API from cloud servers: HostingProviderIPList must not block them.
    assert override.name == "HostingProviderIPList"
    assert override.action_to_use.count is not None and override.action_to_use.block is None
    # The group's other rule (AnonymousIPList: Tor, anonymising proxies) keeps its block action.
    assert anonymous.override_action.none is not None
    others = [r for r in waf_rules("acl", 750) if r.name not in ("AWSManagedRulesAnonymousIpList", RATE_LIMIT_RULE)]
    assert all(r.statement.managed_rule_group_statement.rule_action_overrides is None for r in others)


def test_the_web_acl_stays_within_its_1500_wcu_budget() -> None:
    from payments_edge.waf import MANAGED_GROUP_WCU, WEB_ACL_WCU_LIMIT, web_acl_capacity

    # WAF developer guide, "AWS Managed Rules rule groups list": the published capacity of each group.
    assert MANAGED_GROUP_WCU == {
        "AWSManagedRulesAmazonIpReputationList": 25,
        "AWSManagedRulesAnonymousIpList": 50,
        "AWSManagedRulesCommonRuleSet": 700,
        "AWSManagedRulesKnownBadInputsRuleSet": 200,
        "AWSManagedRulesSQLiRuleSet": 200,
    }
    assert web_acl_capacity() == 1177 <= WEB_ACL_WCU_LIMIT
    # Every group the ACL runs has a recorded capacity (an unrecorded one is refused, not counted as 0).
    assert set(MANAGED_RULE_GROUPS) <= set(MANAGED_GROUP_WCU)
    with pytest.raises(ValueError, match="AWSManagedRulesBotControlRuleSet"):
        web_acl_capacity((*MANAGED_RULE_GROUPS, "AWSManagedRulesBotControlRuleSet"))


def test_the_rate_rule_blocks_an_ip_over_the_configured_limit() -> None:
    rate = waf_rules("acl", 750)[0]
    statement = rate.statement.rate_based_statement
    assert (statement.limit, statement.aggregate_key_type, statement.evaluation_window_sec) == (750, "IP", 300)
    assert rate.action.block is not None and rate.override_action is None


def test_managed_groups_keep_their_own_actions_and_every_rule_is_visible() -> None:
    rules = waf_rules("acl", 750)
    for rule in rules[1:]:
        assert rule.statement.managed_rule_group_statement.vendor_name == "AWS"
        assert rule.statement.managed_rule_group_statement.name == rule.name
        assert rule.override_action.none is not None and rule.action is None
    for rule in rules:
        vis = rule.visibility_config
        assert vis.cloudwatch_metrics_enabled and vis.sampled_requests_enabled
        assert vis.metric_name == f"acl-{rule.name}"


def test_waf_log_delivery_is_scoped_to_its_group_and_account() -> None:
    policy = log_delivery_policy(LOG_GROUP_ARN + ":*")
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert statement["Resource"] == LOG_GROUP_ARN + ":*"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:logs:eu-west-1:111122223333:*"}


def test_waf_log_delivery_refuses_anything_but_a_log_group() -> None:
    with pytest.raises(ValueError, match="not a CloudWatch Logs log group ARN"):
        log_delivery_policy("arn:aws:s3:::aws-waf-logs-bucket")


# --- custom domain --------------------------------------------------------------------------

CERT = "arn:aws:acm:eu-west-1:111122223333:certificate/5a5a5a5a-0000-4000-8000-000000000000"


def test_a_domain_needs_a_certificate_or_a_zone() -> None:
    with pytest.raises(ConfigError) as caught:
        domain_plan(ApiSettings(certificate_arn=None, hosted_zone_id=None))
    assert caught.value.paths == ["api.certificateArn"]
    assert "api.hostedZoneId" in str(caught.value) and "api.payments.example.com" in str(caught.value)


@pytest.mark.parametrize(("certificate", "zone"), [(CERT, None), (None, "Z0123"), (CERT, "Z0123")])
def test_domain_plan_variants(certificate: str | None, zone: str | None) -> None:
    plan = domain_plan(ApiSettings(certificate_arn=certificate, hosted_zone_id=zone))
    assert plan == DomainPlan("api.payments.example.com", certificate, zone)


def test_the_validation_record_is_the_one_acm_asks_for_the_domain() -> None:
    option = aws.acm.outputs.CertificateDomainValidationOption
    options = [
        option(
            domain_name="other.example.com", resource_record_name="_x.other.", resource_record_type="CNAME", resource_record_value="_y."
        ),
        option(domain_name="api.example.com", resource_record_name="_a.api.", resource_record_type="CNAME", resource_record_value="_b."),
    ]
    record = validation_record(options, "api.example.com")
    assert (record.name, record.type, record.value) == ("_a.api.", "CNAME", "_b.")
    with pytest.raises(ConfigError, match=r"no DNS validation option for missing\.example\.com"):
        validation_record(options, "missing.example.com")
