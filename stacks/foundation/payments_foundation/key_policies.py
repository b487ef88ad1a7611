"""Key policies of the two customer-managed keys, as data.

Two keys rather than one per service: the `data` key protects everything that holds
payment data (S3, DynamoDB, AWS Backup recovery points, Lambda environment variables) and
the `logs` key protects operational telemetry (CloudWatch Logs groups, the alarm topic).
Splitting them keeps the services that must be trusted with a key by *service principal*
(CloudWatch Logs, CloudWatch alarms, SNS) away from payment data: none of them can ask the
data key for anything. One key per service would add cost and policies without separating
any principal further.

Every statement except the account-root one is scoped by condition to this account and
eu-west-1. A key policy's `Resource` is always `"*"`: it means "this key".
"""

from __future__ import annotations

from typing import Any

from shared.arns import Arns, service_endpoint

Policy = dict[str, Any]

USE_ACTIONS: tuple[str, ...] = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey")
"""What a service encrypting at rest does with a key (AWS's documented set for service integrations)."""

PUBLISH_ACTIONS: tuple[str, ...] = ("kms:Decrypt", "kms:GenerateDataKey*")
"""What a publisher to an SSE-KMS SNS topic needs (SNS docs, 'compatibility with AWS services')."""

LOGS_ACTIONS: tuple[str, ...] = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")
"""What CloudWatch Logs does with a log group's key. No DescribeKey: that request carries no
encryption context, so under the log-group condition it could never be allowed anyway."""

ACCESS_LOG_ACTIONS: tuple[str, ...] = ("kms:GenerateDataKey",)
"""What S3 server access logging needs to write SSE-KMS objects into the access-log bucket (S3 user
guide, 'enable server access logging': a customer-managed key must allow the logging principal
kms:GenerateDataKey; the AWS managed aws/s3 key cannot, which is why SSE-KMS was once 'unsupported')."""

DATA_SERVICES: tuple[str, ...] = ("dynamodb", "s3", "backup", "lambda")
"""Services that encrypt payment data at rest with the data key."""

GRANT_SERVICES: tuple[str, ...] = ("dynamodb", "backup", "lambda")
"""Services that create KMS grants for the resources they manage (S3 does not use grants)."""


def _root_statement(arns: Arns) -> Policy:
    # AWS's default key policy statement: the account administers the key and IAM policies
    # decide who else may use it. Without it, a key policy mistake can lock the key forever.
    return {
        "Sid": "EnableAccountAdministration",
        "Effect": "Allow",
        "Principal": {"AWS": arns.account_root()},
        "Action": "kms:*",
        "Resource": "*",
    }


def data_key_policy(account_id: str, region: str) -> Policy:
    """The data key: administered by the account, used only through the data services of eu-west-1."""
    arns = Arns(account_id, region)
    account = {"kms:CallerAccount": account_id}
    return {
        "Version": "2012-10-17",
        "Statement": [
            _root_statement(arns),
            {
                "Sid": "AllowUseThroughDataServices",
                "Effect": "Allow",
                "Principal": {"AWS": arns.account_root()},
                "Action": list(USE_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        **account,
                        "kms:ViaService": [service_endpoint(s, region) for s in DATA_SERVICES],
                    }
                },
            },
            {
                "Sid": "AllowGrantsForDataServiceResources",
                "Effect": "Allow",
                "Principal": {"AWS": arns.account_root()},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        **account,
                        "kms:ViaService": [service_endpoint(s, region) for s in GRANT_SERVICES],
                    },
                    "Bool": {"kms:GrantIsForAWSResource": "true"},
                },
            },
        ],
    }


def logs_key_policy(account_id: str, region: str) -> Policy:
    """The logs key: CloudWatch Logs for this account's log groups, and alarms publishing to the encrypted topic."""
    arns = Arns(account_id, region)
    return {
        "Version": "2012-10-17",
        "Statement": [
            _root_statement(arns),
            {
                # CloudWatch Logs encrypts with the key of the log group; the encryption context
                # names the log group, so only this account's groups in eu-west-1 qualify.
                "Sid": "AllowCloudWatchLogs",
                "Effect": "Allow",
                "Principal": {"Service": service_endpoint("logs", region)},
                "Action": list(LOGS_ACTIONS),
                "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": arns.any_log_group()}},
            },
            {
                # Alarm actions publish to the SSE-KMS topic as cloudwatch.amazonaws.com; without
                # this the alarm fires and the notification is silently dropped.
                "Sid": "AllowCloudWatchAlarmsToPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": list(PUBLISH_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": arns.any_alarm()},
                },
            },
            {
                # The access trail: S3 server access logs land in a bucket encrypted with this key.
                # Telemetry, not payment data, so it belongs to the logs key, not the data key.
                "Sid": "AllowS3ServerAccessLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": list(ACCESS_LOG_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
            {
                "Sid": "AllowSnsTopicEncryption",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": list(PUBLISH_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
        ],
    }
