"""The production REST API: the migrated contract, its deployment, stage, logs and throttling.

The API is imported from the production contract (the dev OpenAPI document with only its Lambda
targets rewritten, see `payments_edge.contract`), so paths, methods, parameters, schemas,
responses, validators and authorizers exist exactly as in dev. Ordering that AWS cares about is
explicit: the execution log group exists before the stage (otherwise API Gateway creates it with
no expiry and no key), and the account's CloudWatch role is set before anything logs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from payments_edge import names
from payments_edge.contract import document_hash, production_contract
from shared.logs import encrypted_log_group
from shared.settings import ApiSettings

ACCESS_LOG_FIELDS: dict[str, str] = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integration.status",
    "principalId": "$context.authorizer.principalId",
    "authorizerError": "$context.authorizer.error",
    "errorMessage": "$context.error.message",
    "wafResponseCode": "$context.wafResponseCode",
    "xrayTraceId": "$context.xrayTraceId",
}
"""One JSON object per request. Only `$context` variables: no header, query string or body, so no
API key or payment data can reach the log. Every value is quoted because API Gateway writes `-`
for a missing one, which would otherwise break the JSON."""


def access_log_format(fields: Mapping[str, str] = ACCESS_LOG_FIELDS) -> str:
    """The stage's access log format: a compact JSON object of `$context` variables."""
    return json.dumps(dict(fields), separators=(",", ":"))


def log_destination_arn(log_group_arn: str) -> str:
    """A log group ARN without the `:*` some APIs append; API Gateway and WAF refuse the suffix."""
    return log_group_arn.removesuffix(":*")


def method_settings(api: ApiSettings) -> aws.apigateway.MethodSettingsSettingsArgs:
    """Settings applied to every method (`*/*`) of the stage.

    INFO execution logging and metrics for operations; data tracing stays off because it writes
    full request and response bodies (card and payment data) to the execution log.
    """
    return aws.apigateway.MethodSettingsSettingsArgs(
        throttling_rate_limit=api.throttle_rate_limit,
        throttling_burst_limit=api.throttle_burst_limit,
        metrics_enabled=True,
        logging_level="INFO",
        data_trace_enabled=False,
    )


def contract_body(dev_doc: Mapping[str, Any], invoke_arns: Mapping[str, str], *, api_name: str, region: str) -> dict[str, Any]:
    """The production contract for the invoke ARNs the compute layer exported (see `production_contract`)."""
    return production_contract(dev_doc, function_invoke_arns=invoke_arns, api_name=api_name, region=region)


@dataclass(frozen=True)
class PaymentsApiArgs:
    """Inputs of the production REST API."""

    api_name: str
    """Physical name of the REST API (the dev name through the naming rule)."""
    stage_name: str
    """Name of the production stage (see `names.stage_name`)."""
    dev_document: Mapping[str, Any]
    """The dev OpenAPI export, already checked to be secured (`require_secured`)."""
    function_invoke_arns: pulumi.Output[dict[str, str]]
    """{dev function name: production invoke ARN}, from the compute layer."""
    region: str
    """The production region; every invoke ARN must be in it."""
    logs_key_arn: pulumi.Input[str]
    """CMK encrypting the access and execution log groups."""
    log_retention_days: int
    """Retention of the access and execution log groups."""
    api: ApiSettings
    """Throttling and the account logging-role switch."""
    logging_role_arn: pulumi.Input[str] | None
    """Role API Gateway uses to write CloudWatch Logs; None leaves the account setting alone."""


class PaymentsApi(pulumi.ComponentResource):
    """REST API + deployment + stage with X-Ray, JSON access logs, execution logs and throttling."""

    rest_api: aws.apigateway.RestApi
    stage: aws.apigateway.Stage
    access_log_group: aws.cloudwatch.LogGroup
    execution_log_group: aws.cloudwatch.LogGroup
    document_hash: pulumi.Output[str]

    def __init__(self, name: str, args: PaymentsApiArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("payments:edge:PaymentsApi", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        contract = args.function_invoke_arns.apply(
            lambda arns: contract_body(args.dev_document, arns, api_name=args.api_name, region=args.region)
        )
        self.document_hash = contract.apply(document_hash)
        self.rest_api = aws.apigateway.RestApi(
            f"{name}-api",
            name=args.api_name,
            body=contract.apply(lambda doc: json.dumps(doc)),
            endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(types="REGIONAL"),
            # The contract is the whole API: anything not in it (a console edit) is removed.
            put_rest_api_mode="overwrite",
            fail_on_warnings=True,
            opts=child,
        )
        deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=self.rest_api.id,
            description="Production deployment of the migrated dev contract",
            # A new deployment whenever the imported document changes. Pulumi replaces
            # create-before-delete, so the stage moves to the new deployment before the old goes.
            triggers={"redeployment": self.document_hash},
            opts=child,
        )

        self.execution_log_group = encrypted_log_group(
            f"{name}-execution-logs",
            name=pulumi.Output.concat(names.EXECUTION_LOG_GROUP_PREFIX, self.rest_api.id, "/", args.stage_name),
            kms_key_arn=args.logs_key_arn,
            retention_days=args.log_retention_days,
            opts=child,
        )
        self.access_log_group = encrypted_log_group(
            f"{name}-access-logs",
            name=names.access_log_group_name(args.api_name),
            kms_key_arn=args.logs_key_arn,
            retention_days=args.log_retention_days,
            opts=child,
        )

        logging_ready: list[pulumi.Resource] = [self.execution_log_group]
        if args.logging_role_arn is not None:
            # One setting per account and region: API Gateway refuses stage logging until it is set.
            logging_ready.append(aws.apigateway.Account(f"{name}-account-logging", cloudwatch_role_arn=args.logging_role_arn, opts=child))

        self.stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=self.rest_api.id,
            deployment=deployment.id,
            stage_name=args.stage_name,
            xray_tracing_enabled=True,
            access_log_settings=aws.apigateway.StageAccessLogSettingsArgs(
                destination_arn=self.access_log_group.arn.apply(log_destination_arn),
                format=access_log_format(),
            ),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=logging_ready)),
        )
        aws.apigateway.MethodSettings(
            f"{name}-method-settings",
            rest_api=self.rest_api.id,
            stage_name=self.stage.stage_name,
            method_path="*/*",
            settings=method_settings(args.api),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=logging_ready)),
        )

        self.register_outputs(
            {
                "apiId": self.rest_api.id,
                "stageArn": self.stage.arn,
                "invokeUrl": self.stage.invoke_url,
                "documentHash": self.document_hash,
            }
        )
