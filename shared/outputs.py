"""The cross-stack contract: every output key each layer exports, in one place.

Producers export with these constants and consumers read them through
`shared.references.Upstream`, so a renamed key breaks loudly in tests rather than silently
at deploy time. One casing (camelCase) for every key.
"""

from __future__ import annotations

from typing import Final


class Foundation:
    LAYER: Final = "foundation"
    DATA_KEY_ARN: Final = "dataKeyArn"
    """KMS key protecting data at rest: S3, DynamoDB, backups, Lambda environment."""
    DATA_KEY_ALIAS: Final = "dataKeyAlias"
    LOGS_KEY_ARN: Final = "logsKeyArn"
    """KMS key for CloudWatch Logs groups and the SNS alarm topic."""
    LOGS_KEY_ALIAS: Final = "logsKeyAlias"
    FUNCTION_ROLE_ARNS: Final = "functionRoleArns"
    """{dev function name: execution role ARN}."""
    BACKUP_ROLE_ARN: Final = "backupRoleArn"
    API_GATEWAY_LOGGING_ROLE_ARN: Final = "apiGatewayLoggingRoleArn"
    ACCOUNT_ID: Final = "accountId"


class Data:
    LAYER: Final = "data"
    BUCKET_NAMES: Final = "bucketNames"
    """{dev bucket name: production bucket name}."""
    BUCKET_ARNS: Final = "bucketArns"
    """{dev bucket name: production bucket ARN}."""
    BUCKETS_BY_PURPOSE: Final = "bucketsByPurpose"
    """{purpose: {"name": ..., "arn": ...}}."""
    ARTIFACTS_BUCKET_NAME: Final = "artifactsBucketName"
    ARTIFACTS_BUCKET_ARN: Final = "artifactsBucketArn"
    TABLE_NAMES: Final = "tableNames"
    """{dev table name: production table name}."""
    TABLE_ARNS: Final = "tableArns"
    TABLE_STREAM_ARNS: Final = "tableStreamArns"
    """{dev table name: stream ARN} for tables with a stream."""
    BACKUP_VAULT_ARN: Final = "backupVaultArn"
    BACKUP_PLAN_ARN: Final = "backupPlanArn"
    ACCESS_LOG_BUCKET_NAME: Final = "accessLogBucketName"
    """Bucket holding the S3 server access logs of every other bucket (the access trail)."""
    ACCESS_LOG_BUCKET_ARN: Final = "accessLogBucketArn"


class Compute:
    LAYER: Final = "compute"
    FUNCTION_NAMES: Final = "functionNames"
    """{dev function name: production function name}."""
    FUNCTION_ARNS: Final = "functionArns"
    FUNCTION_INVOKE_ARNS: Final = "functionInvokeArns"
    ARTIFACT_KEYS: Final = "artifactKeys"
    """{dev function name: content-addressed S3 key of its zip}."""
    LOG_GROUP_ARNS: Final = "logGroupArns"


class Edge:
    LAYER: Final = "edge"
    API_ID: Final = "apiId"
    API_NAME: Final = "apiName"
    API_ARN: Final = "apiArn"
    STAGE_NAME: Final = "stageName"
    STAGE_ARN: Final = "stageArn"
    EXECUTION_ARN: Final = "executionArn"
    """The REST API's execute-api ARN (`arn:aws:execute-api:<region>:<account>:<apiId>`)."""
    INVOKE_URL: Final = "invokeUrl"
    CUSTOM_DOMAIN_URL: Final = "customDomainUrl"
    CUSTOM_DOMAIN_TARGET: Final = "customDomainTarget"
    """The domain's regional endpoint (`d-….execute-api.<region>.amazonaws.com`): the DNS target without a zone."""
    CERTIFICATE_ARN: Final = "certificateArn"
    WEB_ACL_ARN: Final = "webAclArn"
    ACCESS_LOG_GROUP_ARN: Final = "accessLogGroupArn"
    EXECUTION_LOG_GROUP_ARN: Final = "executionLogGroupArn"
    WAF_LOG_GROUP_ARN: Final = "wafLogGroupArn"


class Observability:
    LAYER: Final = "observability"
    ALARM_TOPIC_ARN: Final = "alarmTopicArn"
    ALARM_ARNS: Final = "alarmArns"
    """{alarm name: alarm ARN}."""
    DASHBOARD_NAME: Final = "dashboardName"
    DASHBOARD_URL: Final = "dashboardUrl"
