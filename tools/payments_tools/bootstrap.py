"""`make bootstrap`: the shared Pulumi state bucket and the secrets key, once per account.

Why boto3 and not Pulumi: the state bucket cannot hold the state of the program that creates
it, and a second, local-state Pulumi project would leave one more state file on one laptop,
the very thing this replaces. So the bootstrap is a create-or-verify script: it creates what
is missing, checks every setting of what exists, and changes nothing that already matches, so
it is safe to run again at any time. A setting someone changed by hand is *reported* (exit 1)
and only put back with `--repair`: silently rewriting a bucket policy another team edited
would hide the change instead of starting the conversation about it.

What it creates in eu-west-1 (names from `shared.naming`, with the account id in the bucket
names because S3 bucket names are global):
- a KMS key for the state bucket and a KMS key for Pulumi secrets, rotation on;
- an access-log bucket in the same region (S3 delivers server access logs only there, and only
  to a bucket without a default Object Lock retention), SSE-S3: log delivery to an SSE-KMS bucket
  would need S3's logging service in a key policy, and the logs hold request metadata, not state;
- the state bucket: versioned, public access blocked, owner-enforced, TLS-only, SSE-KMS with
  the state key, old state versions expired, access logged to the log bucket.

It prints `PULUMI_BACKEND_URL=...` and `PULUMI_SECRETS_PROVIDER=...` on stdout (everything else
goes to stderr), so `eval "$(make -s bootstrap)"` or a copy into CI variables both work.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from payments_tools.cli import exit_with
from shared.arns import PARTITION
from shared.errors import ConfigError
from shared.naming import check_length, resource_name
from shared.settings import Settings, find_repo_root, load_settings

STATE_VERSION_EXPIRATION_DAYS = 90
"""Superseded state versions are deleted this many days after being replaced (the current one never is):
a quarter to notice a bad update and restore the checkpoint before it by hand."""
ACCESS_LOG_EXPIRATION_DAYS = 365
"""Access logs of the state bucket are kept a year, then deleted."""
ABORT_MULTIPART_DAYS = 7
STATE_LOG_PREFIX = "state-bucket/"


def state_key_alias(suffix: str) -> str:
    """`alias/payments-state-key-production-<suffix>`: the key the state bucket is encrypted with."""
    return f"alias/{resource_name('payments-state', 'key', suffix)}"


def secrets_key_alias(suffix: str) -> str:
    """`alias/payments-secrets-key-production-<suffix>`: the key of Pulumi's awskms secrets provider."""
    return f"alias/{resource_name('payments-secrets', 'key', suffix)}"


@dataclass(frozen=True)
class BootstrapNames:
    """Every name the bootstrap gives AWS, from the account id and the environment suffix."""

    region: str
    account_id: str
    state_bucket: str
    log_bucket: str
    state_key_alias: str
    secrets_key_alias: str

    @classmethod
    def of(cls, settings: Settings, account_id: str) -> BootstrapNames:
        suffix = settings.environment_suffix
        names = cls(
            region=settings.region,
            account_id=account_id,
            state_bucket=resource_name(f"payments-state-{account_id}", "bucket", suffix),
            log_bucket=resource_name(f"payments-state-logs-{account_id}", "bucket", suffix),
            state_key_alias=state_key_alias(suffix),
            secrets_key_alias=secrets_key_alias(suffix),
        )
        problems = [(f"bootstrap.{n}", r) for n in ("state_bucket", "log_bucket") if (r := check_length(getattr(names, n), "s3_bucket"))]
        if problems:
            raise ConfigError.from_problems(problems, header="bootstrap names AWS would refuse:")
        return names

    @property
    def backend_url(self) -> str:
        """Pulumi's S3 backend (`pulumi login`); the region query pins the bucket's region."""
        return f"s3://{self.state_bucket}?region={self.region}"

    @property
    def secrets_provider(self) -> str:
        """Pulumi's AWS KMS secrets provider, in the `awskms://alias/<name>?region=<region>` form its CLI documents."""
        return f"awskms://{self.secrets_key_alias}?region={self.region}"


# --- desired state, as data --------------------------------------------------------------


def bucket_arn(bucket: str) -> str:
    """S3 ARNs carry neither account nor region (bucket names are global)."""
    return f"arn:{PARTITION}:s3:::{bucket}"


def tls_only_statement(bucket: str) -> dict[str, Any]:
    """Refuse every request to the bucket or its objects made without TLS."""
    arn = bucket_arn(bucket)
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def state_bucket_policy(bucket: str) -> dict[str, Any]:
    """Deny-only: who may read or write state is decided by IAM (the CI roles, the admins)."""
    return {"Version": "2012-10-17", "Statement": [tls_only_statement(bucket)]}


def log_bucket_policy(log_bucket: str, source_bucket: str, account_id: str) -> dict[str, Any]:
    """TLS-only, plus S3's log delivery writing the source bucket's logs (the grant AWS documents for server access logs)."""
    arn = bucket_arn(log_bucket)
    return {
        "Version": "2012-10-17",
        # Statement order means nothing to AWS; the grant comes first because moto's logging
        # check stops at the first statement whose Principal is not a mapping.
        "Statement": [
            {
                "Sid": "AllowServerAccessLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{arn}/{STATE_LOG_PREFIX}*",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": bucket_arn(source_bucket)},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            },
            tls_only_statement(log_bucket),
        ],
    }


def state_lifecycle_rules() -> list[dict[str, Any]]:
    """Old state versions expire (the newest few are always kept); failed multipart uploads are cleaned up."""
    return [
        {
            "ID": "expire-old-state-versions",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "NoncurrentVersionExpiration": {"NoncurrentDays": STATE_VERSION_EXPIRATION_DAYS},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_MULTIPART_DAYS},
        }
    ]


def log_lifecycle_rules() -> list[dict[str, Any]]:
    return [
        {
            "ID": "expire-access-logs",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "Expiration": {"Days": ACCESS_LOG_EXPIRATION_DAYS},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_MULTIPART_DAYS},
        }
    ]


PUBLIC_ACCESS_BLOCKED = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


@dataclass(frozen=True)
class BucketSetting:
    """One setting of a bucket: how to read it (normalised for comparison), what it must be, how to write it."""

    name: str
    desired: Any
    read: Callable[[Any, str], Any]
    """(s3 client, bucket) → the current value in the same shape as `desired`, or None when unset."""
    write: Callable[[Any, str], None]


def _absent(codes: Sequence[str]) -> Callable[[Callable[[], Any]], Any]:
    """Call a getter, answering None when S3 says the setting was never configured."""

    def call(getter: Callable[[], Any]) -> Any:
        try:
            return getter()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in codes:
                return None
            raise

    return call


def _read_versioning(s3: Any, bucket: str) -> Any:
    return s3.get_bucket_versioning(Bucket=bucket).get("Status")


def _read_public_access(s3: Any, bucket: str) -> Any:
    got = _absent(["NoSuchPublicAccessBlockConfiguration"])(lambda: s3.get_public_access_block(Bucket=bucket))
    return None if got is None else dict(got["PublicAccessBlockConfiguration"])


def _read_ownership(s3: Any, bucket: str) -> Any:
    got = _absent(["OwnershipControlsNotFoundError"])(lambda: s3.get_bucket_ownership_controls(Bucket=bucket))
    return None if got is None else got["OwnershipControls"]["Rules"][0]["ObjectOwnership"]


def _read_encryption(s3: Any, bucket: str) -> Any:
    got = _absent(["ServerSideEncryptionConfigurationNotFoundError"])(lambda: s3.get_bucket_encryption(Bucket=bucket))
    if got is None:
        return None
    rule = got["ServerSideEncryptionConfiguration"]["Rules"][0]
    default = rule["ApplyServerSideEncryptionByDefault"]
    out = {"SSEAlgorithm": default["SSEAlgorithm"], "BucketKeyEnabled": bool(rule.get("BucketKeyEnabled", False))}
    if "KMSMasterKeyID" in default:
        out["KMSMasterKeyID"] = default["KMSMasterKeyID"]
    return out


def _read_policy(s3: Any, bucket: str) -> Any:
    got = _absent(["NoSuchBucketPolicy"])(lambda: s3.get_bucket_policy(Bucket=bucket))
    return None if got is None else json.loads(got["Policy"])


LIFECYCLE_FIELDS = ("ID", "Status", "Filter", "Expiration", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload")
"""What the bootstrap sets on a lifecycle rule; anything else S3 echoes back is not compared."""


def _lifecycle_view(rules: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: rule[k] for k in LIFECYCLE_FIELDS if k in rule} for rule in rules]


def _read_lifecycle(s3: Any, bucket: str) -> Any:
    got = _absent(["NoSuchLifecycleConfiguration"])(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket))
    return None if got is None else _lifecycle_view(got["Rules"])


def _read_logging(s3: Any, bucket: str) -> Any:
    enabled = s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled")
    return None if enabled is None else {"TargetBucket": enabled["TargetBucket"], "TargetPrefix": enabled["TargetPrefix"]}


def _encryption_config(desired: dict[str, Any]) -> dict[str, Any]:
    default = {k: v for k, v in desired.items() if k != "BucketKeyEnabled"}
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": desired["BucketKeyEnabled"]}]}


def common_settings(encryption: dict[str, Any], policy: dict[str, Any], lifecycle: list[dict[str, Any]]) -> list[BucketSetting]:
    return [
        BucketSetting(
            "ownership",
            "BucketOwnerEnforced",
            _read_ownership,
            lambda s3, b: s3.put_bucket_ownership_controls(
                Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
            ),
        ),
        BucketSetting(
            "public access block",
            PUBLIC_ACCESS_BLOCKED,
            _read_public_access,
            lambda s3, b: s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCKED),
        ),
        BucketSetting(
            "encryption",
            encryption,
            _read_encryption,
            lambda s3, b: s3.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration=_encryption_config(encryption)),
        ),
        BucketSetting("policy", policy, _read_policy, lambda s3, b: s3.put_bucket_policy(Bucket=b, Policy=json.dumps(policy))),
        BucketSetting(
            "lifecycle",
            lifecycle,
            _read_lifecycle,
            lambda s3, b: s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": lifecycle}),
        ),
    ]


def log_bucket_settings(names: BootstrapNames) -> list[BucketSetting]:
    return common_settings(
        {"SSEAlgorithm": "AES256", "BucketKeyEnabled": False},
        log_bucket_policy(names.log_bucket, names.state_bucket, names.account_id),
        log_lifecycle_rules(),
    )


def state_bucket_settings(names: BootstrapNames, state_key_arn: str) -> list[BucketSetting]:
    logging = {"TargetBucket": names.log_bucket, "TargetPrefix": STATE_LOG_PREFIX}
    return [
        BucketSetting(
            "versioning",
            "Enabled",
            _read_versioning,
            lambda s3, b: s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"}),
        ),
        *common_settings(
            {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": state_key_arn, "BucketKeyEnabled": True},
            state_bucket_policy(names.state_bucket),
            state_lifecycle_rules(),
        ),
        BucketSetting(
            "access logging",
            logging,
            _read_logging,
            lambda s3, b: s3.put_bucket_logging(Bucket=b, BucketLoggingStatus={"LoggingEnabled": logging}),
        ),
    ]


# --- create or verify --------------------------------------------------------------------


@dataclass
class BootstrapReport:
    """What a run did and found. `drift` non-empty (and not repaired) means exit 1."""

    names: BootstrapNames
    created: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)


class BootstrapError(RuntimeError):
    """The bootstrap cannot proceed (wrong account, a bucket name owned by someone else, ...)."""


def ensure_key(kms: Any, alias: str, description: str, report: BootstrapReport, *, repair: bool) -> str:
    """The ARN of the key behind `alias`, creating key and alias when the alias does not exist."""
    try:
        key = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NotFoundException":
            raise
        key = kms.create_key(Description=description, KeyUsage="ENCRYPT_DECRYPT", KeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        kms.enable_key_rotation(KeyId=key["KeyId"])
        report.created.append(f"KMS key {alias} ({key['Arn']})")
        return str(key["Arn"])
    if key.get("KeyState") != "Enabled":
        report.drift.append(f"KMS key {alias}: state is {key.get('KeyState')}, expected Enabled (not repairable here: a human decides)")
    if not kms.get_key_rotation_status(KeyId=key["KeyId"]).get("KeyRotationEnabled"):
        if repair:
            kms.enable_key_rotation(KeyId=key["KeyId"])
            report.repaired.append(f"KMS key {alias}: rotation")
        else:
            report.drift.append(f"KMS key {alias}: rotation is off, expected on")
    return str(key["Arn"])


def ensure_bucket(s3: Any, bucket: str, region: str, settings: list[BucketSetting], report: BootstrapReport, *, repair: bool) -> None:
    """Create the bucket with every setting, or compare each setting of the existing one."""
    try:
        s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=report.names.account_id)
        exists = True
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in ("404", "NoSuchBucket"):
            exists = False
        elif code in ("403", "AccessDenied"):
            raise BootstrapError(f"bucket {bucket} exists but is not this account's (or these credentials cannot read it)") from exc
        else:
            raise
    if not exists:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        for setting in settings:
            setting.write(s3, bucket)
        report.created.append(f"S3 bucket {bucket}")
        return
    location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    if location != region:
        raise BootstrapError(f"bucket {bucket} is in {location}, not {region}: delete it or choose another environmentSuffix")
    for setting in settings:
        actual = setting.read(s3, bucket)
        if actual == setting.desired:
            continue
        if repair:
            setting.write(s3, bucket)
            report.repaired.append(f"S3 bucket {bucket}: {setting.name}")
        else:
            report.drift.append(
                f"S3 bucket {bucket}: {setting.name} is {json.dumps(actual, sort_keys=True)}, "
                f"expected {json.dumps(setting.desired, sort_keys=True)}"
            )


def bootstrap(session: boto3.session.Session, settings: Settings, *, repair: bool = False) -> BootstrapReport:
    """Create or verify the state bucket, its log bucket and both keys in the production account."""
    account_id = session.client("sts", region_name=settings.region).get_caller_identity()["Account"]
    if settings.allowed_account_ids and account_id not in settings.allowed_account_ids:
        raise BootstrapError(f"credentials are for account {account_id}, which allowedAccountIds does not list")
    names = BootstrapNames.of(settings, account_id)
    report = BootstrapReport(names)
    kms = session.client("kms", region_name=settings.region)
    s3 = session.client("s3", region_name=settings.region)
    state_key = ensure_key(kms, names.state_key_alias, "Pulumi state bucket of the payments platform", report, repair=repair)
    ensure_key(kms, names.secrets_key_alias, "Pulumi stack secrets of the payments platform", report, repair=repair)
    ensure_bucket(s3, names.log_bucket, settings.region, log_bucket_settings(names), report, repair=repair)
    ensure_bucket(s3, names.state_bucket, settings.region, state_bucket_settings(names, state_key), report, repair=repair)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repair", action="store_true", help="put drifted settings back instead of only reporting them")
    parser.add_argument("--profile", help="AWS profile with admin rights in the production account (default: the usual chain)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(find_repo_root(Path(__file__).parent))
        report = bootstrap(boto3.session.Session(profile_name=args.profile), settings, repair=args.repair)
    except (ConfigError, BootstrapError) as exc:
        print(f"bootstrap: {exc}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as exc:
        print(f"bootstrap: cannot read or change the production account: {exc}", file=sys.stderr)
        return 2
    for line in report.created:
        print(f"created   {line}", file=sys.stderr)
    for line in report.repaired:
        print(f"repaired  {line}", file=sys.stderr)
    for line in report.drift:
        print(f"DRIFT     {line}", file=sys.stderr)
    if not (report.created or report.repaired or report.drift):
        print("bootstrap: everything exists as it should; nothing changed", file=sys.stderr)
    print(f"PULUMI_BACKEND_URL={report.names.backend_url}")
    print(f"PULUMI_SECRETS_PROVIDER={report.names.secrets_provider}")
    if report.drift:
        print("bootstrap: settings above drifted; re-run with BOOTSTRAP_ARGS=--repair to put them back", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    exit_with(main())
