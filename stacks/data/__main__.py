"""payments-data: S3 buckets, DynamoDB tables and AWS Backup, mirrored from the dev account.

Nothing is registered until every dev bucket and table the inventory names has been found
in the dev account: a miss would create production resources with no dev twin.
"""

from pathlib import Path

import pulumi

from payments_data.backup import TableBackups, TableBackupsArgs, backup_names
from payments_data.exports import data_exports
from payments_data.storage import SecureBucket, SecureBucketArgs, access_log_bucket_name, artifacts_bucket_name
from payments_data.tables import MirroredTable, MirroredTableArgs
from shared.inventory import Table
from shared.layer import start_layer
from shared.naming import logical_name, production_name
from shared.outputs import Data, Foundation

ctx = start_layer(Data.LAYER, Path(__file__).parent)
settings, inventory, suffix = ctx.settings, ctx.inventory, ctx.settings.environment_suffix
ctx.require_dev_resources(("bucket", "table"))

foundation = ctx.upstream(Foundation.LAYER)
data_key_arn = foundation.require(Foundation.DATA_KEY_ARN)
opts = pulumi.ResourceOptions(provider=ctx.provider)

# The access trail: S3 server access logs of every bucket (free but for storage; CloudTrail data events
# bill per event), into one bucket. SSE-KMS, not SSE-S3: log delivery cannot use the AWS managed aws/s3
# key, but a customer-managed key works once its policy admits logging.s3.amazonaws.com, as the
# foundation's logs key does (telemetry stays off the data key). See README "Audit additions".
access_logs = SecureBucket(
    logical_name(access_log_bucket_name(suffix)),
    SecureBucketArgs(
        access_log_bucket_name(suffix),
        foundation.require(Foundation.LOGS_KEY_ARN),
        settings.storage,
        log_delivery_account=foundation.require(Foundation.ACCOUNT_ID),
    ),
    opts,
)


def bucket(name: str) -> SecureBucket:
    args = SecureBucketArgs(name, data_key_arn, settings.storage, access_log_bucket=access_logs.name)
    return SecureBucket(logical_name(name), args, opts)


def table(dev: Table) -> MirroredTable:
    name = production_name(dev.name, suffix)
    return MirroredTable(logical_name(name), MirroredTableArgs(dev, name, data_key_arn), opts)


buckets = {b.name: bucket(production_name(b.name, suffix)) for b in inventory.buckets}
artifacts = bucket(artifacts_bucket_name(suffix))
tables = {t.name: table(t) for t in inventory.tables}

names = backup_names(suffix)
backups = TableBackups(
    logical_name(names.base),
    TableBackupsArgs(
        names=names,
        kms_key_arn=data_key_arn,
        role_arn=foundation.require(Foundation.BACKUP_ROLE_ARN),
        table_arns=[t.arn for t in tables.values()],
        settings=settings.backup,
        force_destroy=settings.storage.force_destroy,
    ),
    opts,
)

for key, value in data_exports(inventory, buckets, artifacts, tables, backups, access_logs).items():
    pulumi.export(key, value)
