"""Production S3 buckets: one per dev bucket plus the Lambda artifacts bucket, all hardened the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared.errors import ConfigError
from shared.naming import check_length, resource_name
from shared.settings import StorageSettings

ARTIFACTS_BUCKET = ("payments-lambda", "artifacts")
"""(resource, type) of the artifacts bucket, which has no dev twin: `payments-lambda-artifacts-production-<suffix>`."""
ACCESS_LOG_BUCKET = ("payments-access", "logs")
"""(resource, type) of the bucket receiving every other bucket's server access logs: `payments-access-logs-production-<suffix>`."""
LOG_DELIVERY_PRINCIPAL = "logging.s3.amazonaws.com"
"""The service principal S3 server access logging writes as."""
MINIMUM_OBJECT_SIZE_RULE = "varies_by_storage_class"
"""S3's default (`all_storage_classes_128K`) never transitions objects under 128 KB, so receipts and
Lambda zips would stay in STANDARD for ever. `varies_by_storage_class` lets objects of any size reach
GLACIER (Flexible Retrieval); the trade-off is a per-object transition request charge and ~40 KB of
billed metadata overhead per archived object, which for a small receipt can cost more than keeping it
in STANDARD. The requirement ("every object older than 90 days is archived") wins over that cost."""
LIFECYCLE_RULE_ID = "archive-and-expire-versions"
MIN_TLS_VERSION = "1.2"
"""Oldest TLS version the bucket policy accepts (PCI DSS forbids anything older)."""


def _bucket_name(parts: tuple[str, str], suffix: str) -> str:
    """A bucket with no dev twin, named by the convention and refused early when S3 would refuse the name."""
    try:
        name = resource_name(*parts, suffix)
    except ValueError as exc:
        raise ConfigError("environmentSuffix", str(exc)) from exc
    reason = check_length(name, "s3_bucket")
    if reason:
        raise ConfigError("environmentSuffix", reason)
    return name


def artifacts_bucket_name(suffix: str) -> str:
    """The artifacts bucket's physical name."""
    return _bucket_name(ARTIFACTS_BUCKET, suffix)


def access_log_bucket_name(suffix: str) -> str:
    """The access-log bucket's physical name."""
    return _bucket_name(ACCESS_LOG_BUCKET, suffix)


def tls_only_policy(bucket_arn: str) -> dict[str, Any]:
    """A bucket policy refusing every request to the bucket or its objects made without TLS (or with TLS < 1.2).

    Deny-only: access is granted by IAM roles, never by the bucket policy.
    """
    resources = [bucket_arn, f"{bucket_arn}/*"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": resources,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "DenyOutdatedTls",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": resources,
                "Condition": {"NumericLessThan": {"s3:TlsVersion": MIN_TLS_VERSION}},
            },
        ],
    }


def encryption_statements(bucket_arn: str, kms_key_arn: str) -> list[dict[str, Any]]:
    """Deny every PutObject that names an encryption other than SSE-KMS with `kms_key_arn`.

    Each deny applies only when its header is PRESENT (`Null: false`): an upload without
    encryption headers must stay allowed, because S3 then applies the bucket default, which is
    this same key. A bare `StringNotEquals` would match an absent header too and refuse those.
    The key must be named by ARN (an alias or key id is refused: it cannot be compared).
    """
    objects = f"{bucket_arn}/*"
    sse, key_id = "s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id"
    customer = "s3:x-amz-server-side-encryption-customer-algorithm"
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": objects}
    return [
        {"Sid": "DenyOtherEncryptionType", **deny, "Condition": {"StringNotEquals": {sse: "aws:kms"}, "Null": {sse: "false"}}},
        {"Sid": "DenyOtherKmsKey", **deny, "Condition": {"StringNotEquals": {key_id: kms_key_arn}, "Null": {key_id: "false"}}},
        {"Sid": "DenyCustomerProvidedKeys", **deny, "Condition": {"Null": {customer: "false"}}},
    ]


def log_delivery_statement(bucket_arn: str, account_id: str) -> dict[str, Any]:
    """Let S3 server access logging write into the log bucket, for source buckets of this account only."""
    return {
        "Sid": "AllowServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": LOG_DELIVERY_PRINCIPAL},
        "Action": "s3:PutObject",
        "Resource": f"{bucket_arn}/*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }


def bucket_policy(bucket_arn: str, kms_key_arn: str, log_delivery_account: str | None = None) -> dict[str, Any]:
    """The whole bucket policy: TLS only, the bucket's key only, and (log bucket) the log delivery grant."""
    policy = tls_only_policy(bucket_arn)
    policy["Statement"] += encryption_statements(bucket_arn, kms_key_arn)
    if log_delivery_account:
        policy["Statement"].append(log_delivery_statement(bucket_arn, log_delivery_account))
    return policy


def lifecycle_rule(storage: StorageSettings) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    """The one lifecycle rule of every bucket: archive current versions, archive then expire old ones, abort stale uploads."""
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id=LIFECYCLE_RULE_ID,
        status="Enabled",
        # An explicit empty prefix: the rule covers every object (a rule without a filter is deprecated).
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
        transitions=[aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=storage.glacier_transition_days, storage_class="GLACIER")],
        noncurrent_version_transitions=[
            aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionTransitionArgs(
                noncurrent_days=storage.noncurrent_transition_days, storage_class="GLACIER"
            )
        ],
        noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
            noncurrent_days=storage.noncurrent_expiration_days
        ),
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
            days_after_initiation=storage.abort_incomplete_multipart_days
        ),
    )


@dataclass(frozen=True)
class SecureBucketArgs:
    name: str
    """Physical bucket name (already checked against S3's limits)."""
    kms_key_arn: pulumi.Input[str]
    """Customer-managed key for SSE-KMS (the data key; the logs key for the access-log bucket)."""
    storage: StorageSettings
    """Lifecycle schedule and whether destroy may empty the bucket."""
    access_log_bucket: pulumi.Input[str] | None = None
    """Bucket receiving this bucket's server access logs (under `<name>/`); None only for the log bucket itself."""
    log_delivery_account: pulumi.Input[str] | None = None
    """Set on the log bucket only: the account whose buckets may deliver access logs into it."""


class SecureBucket(pulumi.ComponentResource):
    """A versioned, KMS-encrypted, private, TLS-only bucket with an archive lifecycle and an access trail.

    The bucket policy also refuses any upload naming another encryption type or key, so the
    CMK cannot be bypassed; every request is recorded by S3 server access logging into the
    access-log bucket (which is itself a SecureBucket, minus its own logging).

    v7 splits a bucket's configuration into separate resources; this component keeps them
    together and orders the ones AWS cannot apply concurrently.
    """

    name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, logical_name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("payments:data:Bucket", logical_name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(logical_name, bucket=args.name, force_destroy=args.storage.force_destroy, opts=child)
        versioning = aws.s3.BucketVersioning(
            f"{logical_name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{logical_name}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=args.kms_key_arn
                    ),
                    # Bucket keys cut KMS requests (and cost) by orders of magnitude on busy buckets.
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{logical_name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        ownership = aws.s3.BucketOwnershipControls(
            f"{logical_name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            # S3 refuses concurrent configuration changes on one bucket (OperationAborted).
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[public_access])),
        )
        aws.s3.BucketPolicy(
            f"{logical_name}-policy",
            bucket=bucket.id,
            policy=pulumi.Output.json_dumps(
                pulumi.Output.all(bucket.arn, args.kms_key_arn, args.log_delivery_account).apply(lambda v: bucket_policy(*v))
            ),
            # After the public access block: putting a policy while the block is being applied fails.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[public_access, ownership])),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{logical_name}-lifecycle",
            bucket=bucket.id,
            rules=[lifecycle_rule(args.storage)],
            transition_default_minimum_object_size=MINIMUM_OBJECT_SIZE_RULE,
            # Noncurrent-version rules need versioning on first.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[versioning])),
        )
        if args.access_log_bucket is not None:
            aws.s3.BucketLogging(
                f"{logical_name}-access-logs",
                bucket=bucket.id,
                target_bucket=args.access_log_bucket,
                # One prefix per source bucket, so each bucket's trail can be read (and expired) on its own.
                target_prefix=f"{args.name}/",
                opts=child,
            )
        self.name = bucket.bucket
        self.arn = bucket.arn
        self.register_outputs({"name": self.name, "arn": self.arn})
