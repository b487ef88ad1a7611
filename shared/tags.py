"""The tags every production resource carries, applied through the provider's default_tags."""

from __future__ import annotations

import datetime as dt

from shared.naming import DEV_ENVIRONMENT, ENVIRONMENT


def production_tags(migration_date: dt.date) -> dict[str, str]:
    """Tags that tell anyone looking at a resource where it came from and when.

    The date is the configured migration date, never the clock: a clock value would
    change every tag on every redeploy.
    """
    return {
        "Environment": ENVIRONMENT,
        "MigratedFrom": DEV_ENVIRONMENT,
        "MigrationDate": migration_date.isoformat(),
        "ManagedBy": "pulumi",
    }
