"""What the edge layer reads from the layers below it, and nothing else.

The SET of functions the API reaches comes from the dev contract and the inventory, so every
permission's logical name is known when the program starts; the production ARN each one carries
comes from the compute layer's outputs, looked up by dev name. A dev function the compute layer
did not export is an error naming that layer, never a silently missing permission.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from shared.errors import ConfigError
from shared.layer import LayerContext
from shared.outputs import Compute, Foundation
from shared.references import require_entry


def string_map(values: Any, *, layer: str, key: str) -> dict[str, str]:
    """An upstream {dev name: value} output as a plain dict, refusing any other shape."""
    if not isinstance(values, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in values.items()):
        raise ConfigError(f"{layer}:{key}", "must be a mapping of dev function name to string")
    return dict(values)


@dataclass(frozen=True)
class EdgeUpstream:
    """The upstream outputs the edge layer is built from."""

    logs_key_arn: pulumi.Output[str]
    """Foundation's CMK for CloudWatch Logs: encrypts the access, execution and WAF log groups."""
    function_invoke_arns: pulumi.Output[dict[str, str]]
    """{dev function name: production invoke ARN}: what the contract's integrations and authorizers point at."""
    function_arns: pulumi.Output[dict[str, str]]
    """{dev function name: production function ARN}: what the invoke permissions are attached to."""
    logging_role_arn: pulumi.Output[str] | None
    """Foundation's API Gateway CloudWatch role; None when this stack does not own the account setting."""

    def function_arn(self, dev_name: str) -> pulumi.Output[str]:
        """The production ARN of one dev function; fails naming the compute layer when it is not exported."""
        return self.function_arns.apply(lambda arns: require_entry(arns, dev_name, layer=Compute.LAYER, key=Compute.FUNCTION_ARNS))


def read_upstream(ctx: LayerContext) -> EdgeUpstream:
    """Read every upstream output the edge layer needs; a missing one fails naming the layer to deploy first."""
    foundation, compute = ctx.upstream(Foundation.LAYER), ctx.upstream(Compute.LAYER)
    return EdgeUpstream(
        logs_key_arn=foundation.require(Foundation.LOGS_KEY_ARN),
        function_invoke_arns=compute.require(Compute.FUNCTION_INVOKE_ARNS).apply(
            lambda arns: string_map(arns, layer=Compute.LAYER, key=Compute.FUNCTION_INVOKE_ARNS)
        ),
        function_arns=compute.require(Compute.FUNCTION_ARNS),
        logging_role_arn=(
            foundation.require(Foundation.API_GATEWAY_LOGGING_ROLE_ARN) if ctx.settings.api.manage_account_logging_role else None
        ),
    )
