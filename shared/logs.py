"""The one way this project creates a CloudWatch Logs group."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def encrypted_log_group(
    resource_name: str,
    *,
    name: pulumi.Input[str],
    kms_key_arn: pulumi.Input[str],
    retention_days: int,
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.LogGroup:
    """A log group encrypted with the logs CMK and kept `retention_days`.

    Created by us, before the service that writes to it: Lambda, API Gateway and WAF
    would otherwise create their groups themselves, unencrypted and kept forever.
    """
    return aws.cloudwatch.LogGroup(
        resource_name,
        name=name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        opts=opts,
    )
