"""The WAFv2 web ACL in front of the stage, and its logs.

AWS managed rule groups cover the common attacks (OWASP-style common rules, known bad inputs,
SQL injection, IPs with a bad reputation); a rate-based rule blocks a single client IP that floods
the API. Every rule and the ACL publish CloudWatch metrics and sampled requests. Logs go to a
CMK-encrypted `aws-waf-logs-...` group with the Authorization header redacted, since it carries
the merchant's API key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from payments_edge import names
from payments_edge.api import log_destination_arn
from shared.logs import encrypted_log_group

MANAGED_RULE_GROUPS: tuple[str, ...] = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)
"""AWS managed rule groups, in evaluation order: the cheap IP-list checks first."""

COUNTED_RULES: dict[str, tuple[str, ...]] = {
    # Merchants call the API from servers in cloud providers: blocking hosting-provider IPs would
    # block them. Counted, so the metric still shows how much traffic the rule would have matched.
    "AWSManagedRulesAnonymousIpList": ("HostingProviderIPList",),
}
"""Rules of a managed group overridden to count instead of their own block action."""

MANAGED_GROUP_WCU: dict[str, int] = {
    "AWSManagedRulesAmazonIpReputationList": 25,
    "AWSManagedRulesAnonymousIpList": 50,
    "AWSManagedRulesCommonRuleSet": 700,
    "AWSManagedRulesKnownBadInputsRuleSet": 200,
    "AWSManagedRulesSQLiRuleSet": 200,
}
"""Each managed group's capacity as the AWS WAF developer guide publishes it ("VendorName: AWS, Name: ..., WCU: n")."""
RATE_RULE_WCU = 2
"""A rate-based rule aggregating on IP alone with no scope-down statement (WAF guide, rate-based statement)."""
WEB_ACL_WCU_LIMIT = 1500
"""The default web ACL capacity: above it WAF charges per extra 500 WCU and refuses past the hard maximum."""


def web_acl_capacity(groups: tuple[str, ...] = MANAGED_RULE_GROUPS) -> int:
    """The ACL's WCU: the rate rule plus each managed group's published capacity; an unknown group is refused."""
    unknown = [g for g in groups if g not in MANAGED_GROUP_WCU]
    if unknown:
        raise ValueError(f"no published WCU recorded for {', '.join(unknown)}; add it to MANAGED_GROUP_WCU")
    return RATE_RULE_WCU + sum(MANAGED_GROUP_WCU[g] for g in groups)


RATE_LIMIT_RULE = "per-ip-rate-limit"
RATE_WINDOW_SECONDS = 300
"""WAF counts requests per IP over this window; `api.wafRateLimit` is the limit per window."""

REDACTED_HEADERS: tuple[str, ...] = ("authorization",)
"""Headers never written to WAF logs: the merchant API key travels in Authorization."""


def visibility(metric_name: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    """Metrics and sampled requests on, under `metric_name`."""
    return aws.wafv2.WebAclRuleVisibilityConfigArgs(cloudwatch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True)


def count_overrides(group: str) -> list[aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs]:
    """Overrides turning the rules of `group` listed in COUNTED_RULES into count."""
    return [
        aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs(
            name=rule,
            action_to_use=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs(
                count=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseCountArgs()
            ),
        )
        for rule in COUNTED_RULES.get(group, ())
    ]


def waf_rules(acl_name: str, rate_limit: int) -> list[aws.wafv2.WebAclRuleArgs]:
    """The ACL's rules: the per-IP rate limit first (priority 0), then the managed groups in order.

    Managed groups keep their own block actions (`override_action: none`); the rate rule blocks.
    """
    rules = [
        aws.wafv2.WebAclRuleArgs(
            name=RATE_LIMIT_RULE,
            priority=0,
            action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                    limit=rate_limit, aggregate_key_type="IP", evaluation_window_sec=RATE_WINDOW_SECONDS
                )
            ),
            visibility_config=visibility(f"{acl_name}-{RATE_LIMIT_RULE}"),
        )
    ]
    for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1):
        rules.append(
            aws.wafv2.WebAclRuleArgs(
                name=group,
                priority=priority,
                # The SDK leaves this empty block's constructor untyped.
                override_action=aws.wafv2.WebAclRuleOverrideActionArgs(none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()),  # type: ignore[no-untyped-call]
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                        name=group, vendor_name="AWS", rule_action_overrides=count_overrides(group) or None
                    )
                ),
                visibility_config=visibility(f"{acl_name}-{group}"),
            )
        )
    return rules


def log_delivery_policy(log_group_arn: str) -> dict[str, Any]:
    """The log group resource policy that lets WAF's log delivery write to this group, for this account only.

    Written explicitly so it is scoped to our group and destroyed with the stack; otherwise WAF
    creates an account-wide `AWSWAF-LOGS` policy for every `aws-waf-logs-*` group. The account and
    region are the log group's own (`arn:aws:logs:<region>:<account>:log-group:<name>`).
    """
    arn = log_destination_arn(log_group_arn)
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        raise ValueError(f"{log_group_arn!r} is not a CloudWatch Logs log group ARN")
    region, account_id = parts[3], parts[4]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AwsWafLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{arn}:*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{region}:{account_id}:*"},
                },
            }
        ],
    }


@dataclass(frozen=True)
class WebAclArgs:
    """Inputs of the web ACL."""

    acl_name: str
    """Physical name of the web ACL (see `names.web_acl_name`)."""
    rate_limit: int
    """Requests per client IP per five minutes before the IP is blocked."""
    stage: aws.apigateway.Stage
    """The stage the ACL protects; the association waits for it."""
    logs_key_arn: pulumi.Input[str]
    """CMK encrypting the WAF log group."""
    log_retention_days: int
    """Retention of the WAF log group."""


class WebAcl(pulumi.ComponentResource):
    """A REGIONAL WAFv2 web ACL, its logging, and its association with the stage."""

    acl: aws.wafv2.WebAcl
    log_group: aws.cloudwatch.LogGroup

    def __init__(self, name: str, args: WebAclArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("payments:edge:WebAcl", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            name=args.acl_name,
            description="Managed protections and a per-IP rate limit in front of the payments API",
            scope="REGIONAL",
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=waf_rules(args.acl_name, args.rate_limit),
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=args.acl_name, sampled_requests_enabled=True
            ),
            opts=child,
        )
        self.log_group = encrypted_log_group(
            f"{name}-logs",
            name=names.waf_log_group_name(args.acl_name),
            kms_key_arn=args.logs_key_arn,
            retention_days=args.log_retention_days,
            opts=child,
        )
        delivery_policy = aws.cloudwatch.LogResourcePolicy(
            f"{name}-log-delivery",
            policy_name=names.waf_log_policy_name(args.acl_name),
            policy_document=pulumi.Output.json_dumps(self.log_group.arn.apply(log_delivery_policy)),
            opts=child,
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=self.acl.arn,
            log_destination_configs=[self.log_group.arn.apply(log_destination_arn)],
            redacted_fields=[
                aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name=header)
                )
                for header in REDACTED_HEADERS
            ],
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[delivery_policy])),
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-association",
            resource_arn=args.stage.arn,
            web_acl_arn=self.acl.arn,
            # WAF rejects an association with a stage that is still being created.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[args.stage])),
        )
        self.register_outputs({"webAclArn": self.acl.arn, "logGroupArn": self.log_group.arn})
