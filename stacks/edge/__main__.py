"""Edge layer: the dev API contract in production behind a custom domain, WAF, throttling and tracing."""

from pathlib import Path

import pulumi

from payments_edge.api import PaymentsApi, PaymentsApiArgs
from payments_edge.domain import CustomDomain, CustomDomainArgs
from payments_edge.names import custom_domain_url
from payments_edge.permissions import InvokePermissions, InvokePermissionsArgs
from payments_edge.preflight import plan_edge
from payments_edge.upstream import read_upstream
from payments_edge.waf import WebAcl, WebAclArgs
from shared.layer import start_layer
from shared.outputs import Edge

ctx = start_layer(Edge.LAYER, Path(__file__).parent)
settings, inventory = ctx.settings, ctx.inventory
plan = plan_edge(settings, inventory)  # refuses an open contract before any resource exists
upstream = read_upstream(ctx)
opts = pulumi.ResourceOptions(provider=ctx.provider)

api = PaymentsApi(
    "payments-api",
    PaymentsApiArgs(
        api_name=plan.api_name,
        stage_name=plan.stage_name,
        dev_document=inventory.api.document,
        function_invoke_arns=upstream.function_invoke_arns,
        region=settings.region,
        logs_key_arn=upstream.logs_key_arn,
        log_retention_days=settings.log_retention_days,
        api=settings.api,
        logging_role_arn=upstream.logging_role_arn,
    ),
    opts,
)
InvokePermissions(
    "invoke-permissions",
    InvokePermissionsArgs(
        dev_document=inventory.api.document,
        execution_arn=api.rest_api.execution_arn,
        upstream=upstream,
        suffix=settings.environment_suffix,
    ),
    opts,
)
domain = CustomDomain(
    "custom-domain", CustomDomainArgs(plan=plan.domain, rest_api_id=api.rest_api.id, stage_name=api.stage.stage_name), opts
)
waf = WebAcl(
    "waf",
    WebAclArgs(
        acl_name=plan.web_acl_name,
        rate_limit=settings.api.waf_rate_limit,
        stage=api.stage,
        logs_key_arn=upstream.logs_key_arn,
        log_retention_days=settings.log_retention_days,
    ),
    opts,
)

pulumi.export(Edge.API_ID, api.rest_api.id)
pulumi.export(Edge.API_NAME, api.rest_api.name)
pulumi.export(Edge.API_ARN, api.rest_api.arn)
pulumi.export(Edge.EXECUTION_ARN, api.rest_api.execution_arn)
pulumi.export(Edge.STAGE_NAME, api.stage.stage_name)
pulumi.export(Edge.STAGE_ARN, api.stage.arn)
pulumi.export(Edge.INVOKE_URL, api.stage.invoke_url)
pulumi.export(Edge.ACCESS_LOG_GROUP_ARN, api.access_log_group.arn)
pulumi.export(Edge.EXECUTION_LOG_GROUP_ARN, api.execution_log_group.arn)
pulumi.export(Edge.CUSTOM_DOMAIN_URL, custom_domain_url(plan.domain.domain_name))
pulumi.export(Edge.CUSTOM_DOMAIN_TARGET, domain.domain.regional_domain_name)
pulumi.export(Edge.CERTIFICATE_ARN, domain.certificate_arn)
pulumi.export(Edge.WEB_ACL_ARN, waf.acl.arn)
pulumi.export(Edge.WAF_LOG_GROUP_ARN, waf.log_group.arn)
