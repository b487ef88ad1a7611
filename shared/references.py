"""Reading an upstream layer's outputs, failing loudly when they are not there."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import pulumi

from shared.errors import ConfigError
from shared.settings import StackReferenceSettings, project_name


def stack_reference_name(layer: str, refs: StackReferenceSettings, *, organization: str, stack: str) -> str:
    """`<org>/payments-<layer>/<stack>`: the running org and stack unless configuration overrides them."""
    org = refs.organization or organization
    return f"{org}/{project_name(layer)}/{refs.stacks.get(layer, stack)}"


def require_value(value: Any, key: str, *, layer: str, stack_name: str) -> Any:
    """An upstream output's value, or an error telling the engineer which layer to deploy first (None: not exported)."""
    if value is None:
        raise ConfigError(
            f"{stack_name}:{key}",
            f"upstream output missing; deploy the {layer} layer first (make up-{layer})",
        )
    return value


def require_entry(values: Any, dev_name: str, *, layer: str, key: str) -> str:
    """The value `layer` exported under `key` for one dev resource, or an error naming the layer to redeploy.

    Upstream maps are keyed by dev name; an entry is missing when the inventory grew after
    the upstream layer was last deployed.
    """
    if not isinstance(values, Mapping):
        raise ConfigError(f"{layer}:{key}", f"must be a mapping keyed by dev resource name, got {type(values).__name__}")
    value = values.get(dev_name)
    if not isinstance(value, str) or not value:
        raise ConfigError(
            f"{layer}:{key}[{dev_name}]",
            f"the {layer} layer exports nothing for {dev_name!r}; redeploy the {layer} layer (make up-{layer})",
        )
    return value


class Upstream:
    """One upstream layer's stack, read only through its declared output keys."""

    def __init__(self, layer: str, refs: StackReferenceSettings) -> None:
        self.layer = layer
        self.name = stack_reference_name(layer, refs, organization=pulumi.get_organization(), stack=pulumi.get_stack())
        self._ref = pulumi.StackReference(f"{layer}-stack", stack_name=self.name)

    def require(self, key: str) -> pulumi.Output[Any]:
        """An upstream output by key, secret exactly when that output is secret upstream.

        `get_output` takes its secrecy from the stack's list of secret output names, key by key;
        reading through `outputs.apply` would make every value secret as soon as any one
        upstream output is. A missing key still fails with the layer to deploy first.
        """
        return self._ref.get_output(key).apply(partial(require_value, key=key, layer=self.layer, stack_name=self.name))

    def require_entry(self, key: str, dev_name: str) -> pulumi.Output[str]:
        """One dev resource's entry of an upstream map output (e.g. a table's production name)."""
        return self.require(key).apply(lambda values: require_entry(values, dev_name, layer=self.layer, key=key))
