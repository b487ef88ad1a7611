"""What the observability layer reads from the layers it watches, and nothing else.

The SET of tables, functions and buckets comes from the inventory, so every alarm's logical
and physical name is known when the program starts; the production NAME each one carries in
its metric dimensions comes from the owning layer's outputs, looked up by dev name. A dev
resource the owning layer did not export is an error naming that layer, not a silently
missing alarm.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from shared.layer import LayerContext
from shared.outputs import Compute, Data, Edge, Foundation
from shared.references import require_entry


def _pick(names: pulumi.Output[Any], dev_name: str, *, layer: str, key: str) -> pulumi.Output[str]:
    return names.apply(lambda value: require_entry(value, dev_name, layer=layer, key=key))


@dataclass(frozen=True)
class WatchedResources:
    """Production names of everything the layer alarms on or charts, keyed by dev name where one exists."""

    logs_key_arn: pulumi.Output[str]
    """Foundation's logs key: encrypts the alarm topic (its key policy admits CloudWatch and SNS)."""
    tables: Mapping[str, pulumi.Output[str]]
    """{dev table name: production table name}, in inventory order."""
    indexes: Mapping[str, tuple[str, ...]]
    """{dev table name: its GSI names} from the inventory (production tables keep the dev index names)."""
    functions: Mapping[str, pulumi.Output[str]]
    """{dev function name: production function name}, in inventory order."""
    buckets: Mapping[str, pulumi.Output[str]]
    """{dev bucket name: production bucket name}, in inventory order."""
    artifacts_bucket: pulumi.Output[str]
    """The Lambda artifacts bucket, which has no dev twin."""
    api_name: pulumi.Output[str]
    """The production REST API's name (the ApiName metric dimension)."""
    stage_name: pulumi.Output[str]
    """The production stage's name (the Stage metric dimension)."""


def read_upstream(ctx: LayerContext) -> WatchedResources:
    """Read every upstream output this layer needs; a missing one fails naming the layer to deploy first."""
    foundation, data = ctx.upstream(Foundation.LAYER), ctx.upstream(Data.LAYER)
    compute, edge = ctx.upstream(Compute.LAYER), ctx.upstream(Edge.LAYER)
    table_names = data.require(Data.TABLE_NAMES)
    bucket_names = data.require(Data.BUCKET_NAMES)
    function_names = compute.require(Compute.FUNCTION_NAMES)
    inventory = ctx.inventory
    return WatchedResources(
        logs_key_arn=foundation.require(Foundation.LOGS_KEY_ARN),
        tables={t.name: _pick(table_names, t.name, layer=Data.LAYER, key=Data.TABLE_NAMES) for t in inventory.tables},
        indexes={t.name: tuple(i.name for i in t.global_secondary_indexes) for t in inventory.tables if t.global_secondary_indexes},
        functions={f.name: _pick(function_names, f.name, layer=Compute.LAYER, key=Compute.FUNCTION_NAMES) for f in inventory.functions},
        buckets={b.name: _pick(bucket_names, b.name, layer=Data.LAYER, key=Data.BUCKET_NAMES) for b in inventory.buckets},
        artifacts_bucket=data.require(Data.ARTIFACTS_BUCKET_NAME),
        api_name=edge.require(Edge.API_NAME),
        stage_name=edge.require(Edge.STAGE_NAME),
    )
