"""The data layer's outputs, keyed by the constants of `shared.outputs.Data` (the cross-stack contract)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from payments_data.backup import TableBackups
from payments_data.storage import SecureBucket
from payments_data.tables import MirroredTable
from shared.inventory import Inventory
from shared.outputs import Data


def data_exports(
    inventory: Inventory,
    buckets: Mapping[str, SecureBucket],
    artifacts: SecureBucket,
    tables: Mapping[str, MirroredTable],
    backups: TableBackups,
    access_logs: SecureBucket,
) -> dict[str, Any]:
    """Every output of the layer; buckets and tables keyed by dev name so consumers look them up from the inventory."""
    return {
        Data.BUCKET_NAMES: {dev: b.name for dev, b in buckets.items()},
        Data.BUCKET_ARNS: {dev: b.arn for dev, b in buckets.items()},
        Data.BUCKETS_BY_PURPOSE: {b.purpose: {"name": buckets[b.name].name, "arn": buckets[b.name].arn} for b in inventory.buckets},
        Data.ARTIFACTS_BUCKET_NAME: artifacts.name,
        Data.ARTIFACTS_BUCKET_ARN: artifacts.arn,
        Data.TABLE_NAMES: {dev: t.name for dev, t in tables.items()},
        Data.TABLE_ARNS: {dev: t.arn for dev, t in tables.items()},
        Data.TABLE_STREAM_ARNS: {dev: t.stream_arn for dev, t in tables.items() if t.stream_arn is not None},
        Data.BACKUP_VAULT_ARN: backups.vault_arn,
        Data.BACKUP_PLAN_ARN: backups.plan_arn,
        Data.ACCESS_LOG_BUCKET_NAME: access_logs.name,
        Data.ACCESS_LOG_BUCKET_ARN: access_logs.arn,
    }
