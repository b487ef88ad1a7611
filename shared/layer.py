"""The common start of every layer: settings, inventory, provider, upstream stacks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from shared.inventory import Inventory, load_inventory
from shared.provider import production_provider
from shared.references import Upstream
from shared.schema import schema_keys
from shared.settings import Settings, load_settings


@dataclass(frozen=True)
class LayerContext:
    """What a layer's `__main__.py` works from, loaded and validated once."""

    layer: str
    settings: Settings
    inventory: Inventory
    provider: aws.Provider

    def upstream(self, layer: str) -> Upstream:
        """A StackReference to an upstream layer of the same environment."""
        return Upstream(layer, self.settings.stack_references)


def _parse_config_value(raw: str, string_typed: bool) -> Any:
    # Pulumi hands every config value over as a string; objects arrive as JSON text.
    if string_typed:
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def pulumi_overrides() -> dict[str, Any]:
    """Top-level settings the running stack's `Pulumi.<stack>.yaml` overrides (`payments-<layer>:<key>`)."""
    config = pulumi.Config()
    overrides: dict[str, Any] = {}
    for key, string_typed in schema_keys("production.schema.json").items():
        raw = config.get(key)
        if raw is not None:
            overrides[key] = _parse_config_value(raw, string_typed)
    return overrides


def start_layer(layer: str, stack_dir: Path) -> LayerContext:
    """Load settings (shared file + this stack's overrides), the dev inventory and the production provider."""
    settings = load_settings(stack_dir, pulumi_overrides())
    inventory = load_inventory(settings.inventory_file, settings.repo_root, settings.environment_suffix)
    return LayerContext(layer=layer, settings=settings, inventory=inventory, provider=production_provider(settings))
