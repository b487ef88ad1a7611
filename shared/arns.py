"""Deterministic production ARNs, built from the account id, the region and production names.

Most production ARNs follow from three facts known before anything is deployed (the
account, eu-west-1, and the naming rule), so a layer can write a least-privilege policy for
a table or a log group that an upstream or downstream layer has not created yet. Resources
whose ARN embeds a generated id (KMS keys, REST APIs, stream labels) are not here: those
come from the layer that creates them, through its stack outputs.

Everything here is a pure function of its arguments and fails with ValueError on input
that would produce an ARN AWS rejects (or, worse, one that silently matches too much).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PARTITION = "aws"
"""Production lives in the commercial partition; China and GovCloud are out of scope."""

_ACCOUNT_RE = re.compile(r"^\d{12}$")
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


def _require_name(name: str, what: str) -> str:
    # A wildcard or blank name would turn a resource-scoped grant into an account-wide one.
    if not name or name.strip() != name or "*" in name or "?" in name:
        raise ValueError(f"{what} {name!r} must be a concrete, non-empty name without wildcards or surrounding spaces")
    return name


def lambda_log_group_name(function_name: str) -> str:
    """The log group Lambda writes a function's logs to (`/aws/lambda/<function name>`)."""
    return f"/aws/lambda/{_require_name(function_name, 'function name')}"


def service_endpoint(service: str, region: str) -> str:
    """`<service>.<region>.amazonaws.com`: the value of `kms:ViaService` and of regional service principals."""
    if not _REGION_RE.match(region):
        raise ValueError(f"region {region!r} is not an AWS region name such as 'eu-west-1'")
    return f"{_require_name(service, 'service')}.{region}.amazonaws.com"


def aws_managed_policy_arn(path_and_name: str) -> str:
    """ARN of an AWS managed policy, e.g. `service-role/AWSBackupServiceRolePolicyForBackup`."""
    return f"arn:{PARTITION}:iam::aws:policy/{_require_name(path_and_name, 'managed policy')}"


@dataclass(frozen=True)
class Arns:
    """ARN builders for one account in one region."""

    account_id: str
    """The production account (12 digits)."""
    region: str
    """The production region (eu-west-1)."""

    def __post_init__(self) -> None:
        if not _ACCOUNT_RE.match(self.account_id):
            raise ValueError(f"account id {self.account_id!r} must be 12 digits")
        if not _REGION_RE.match(self.region):
            raise ValueError(f"region {self.region!r} is not an AWS region name such as 'eu-west-1'")

    def _regional(self, service: str, resource: str) -> str:
        return f"arn:{PARTITION}:{service}:{self.region}:{self.account_id}:{resource}"

    # --- IAM (global: no region) ---------------------------------------------------------
    def account_root(self) -> str:
        """The account principal: a key policy naming it delegates access control to IAM policies."""
        return f"arn:{PARTITION}:iam::{self.account_id}:root"

    def role(self, name: str) -> str:
        return f"arn:{PARTITION}:iam::{self.account_id}:role/{_require_name(name, 'role name')}"

    # --- DynamoDB ------------------------------------------------------------------------
    def table(self, name: str) -> str:
        return self._regional("dynamodb", f"table/{_require_name(name, 'table name')}")

    def table_indexes(self, name: str) -> str:
        """Every index of a table: what a Query on a GSI/LSI is authorised against."""
        return f"{self.table(name)}/index/*"

    # --- S3 (global namespace: no region or account) -------------------------------------
    def bucket(self, name: str) -> str:
        return f"arn:{PARTITION}:s3:::{_require_name(name, 'bucket name')}"

    def bucket_objects(self, name: str) -> str:
        """Every object in a bucket: what GetObject/PutObject are authorised against."""
        return f"{self.bucket(name)}/*"

    # --- CloudWatch Logs -----------------------------------------------------------------
    def log_group(self, name: str) -> str:
        return self._regional("logs", f"log-group:{_require_name(name, 'log group name')}")

    def log_group_streams(self, name: str) -> str:
        """A log group and its streams (`...:log-group:<name>:*`), what CreateLogStream/PutLogEvents need."""
        return f"{self.log_group(name)}:*"

    def any_log_group(self) -> str:
        """Every log group of the account in this region (for the Logs service's key-policy condition)."""
        return self._regional("logs", "log-group:*")

    # --- CloudWatch alarms ---------------------------------------------------------------
    def any_alarm(self) -> str:
        """Every CloudWatch alarm of the account in this region."""
        return self._regional("cloudwatch", "alarm:*")
