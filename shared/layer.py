"""The common start of every layer: settings, inventory, provider, upstream stacks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from shared.devcheck import Kind, dev_session, require_dev_resources
from shared.errors import raise_if_any
from shared.inventory import Inventory, load_inventory
from shared.provider import production_provider
from shared.references import Upstream
from shared.schema import schema_keys
from shared.settings import Settings, load_settings, stack_file_config

DEV_CHECK_OFF = (
    "checkDevResources is false: the dev resources the inventory names were NOT looked up in the dev account "
    "before this deploy. That is right only after cutover, once dev is retired; set checkDevResources: true "
    "in config/production.yaml while dev still exists"
)


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

    def require_dev_resources(self, kinds: tuple[Kind, ...]) -> None:
        """Check the dev account holds every inventory resource of `kinds`, or say loudly that the check is off.

        The check guards the migration; after cutover dev may be retired, and a check that can
        only fail would block every later deploy, so `checkDevResources: false` skips it. A
        skipped check is never silent: every deploy that skips it logs a warning.
        """
        if self.settings.check_dev_resources:
            require_dev_resources(self.inventory, dev_session(self.inventory, self.settings), kinds)
        else:
            pulumi.log.warn(DEV_CHECK_OFF)


def _parse_config_value(raw: str, string_typed: bool) -> Any:
    # Pulumi hands every config value over as a string; objects arrive as JSON text.
    if string_typed:
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def stack_file_overrides(stack_dir: Path, stack: str) -> dict[str, Any]:
    """The top-level settings a layer's `Pulumi.<stack>.yaml` overrides, read from the file as the program would see them.

    For tools that run outside Pulumi (`make preflight`) but must judge the settings each
    layer really deploys with.
    """
    path = stack_dir / f"Pulumi.{stack}.yaml"
    config = stack_file_config(path)
    project = f"payments-{stack_dir.name}"
    overrides: dict[str, Any] = {}
    for key, string_typed in schema_keys("production.schema.json").items():
        value = config.get(f"{project}:{key}")
        if value is not None:
            overrides[key] = _parse_config_value(value, string_typed) if isinstance(value, str) else value
    return overrides


def pulumi_overrides() -> dict[str, Any]:
    """Top-level settings the running stack's `Pulumi.<stack>.yaml` overrides (`payments-<layer>:<key>`)."""
    config = pulumi.Config()
    overrides: dict[str, Any] = {}
    for key, string_typed in schema_keys("production.schema.json").items():
        raw = config.get(key)
        if raw is not None:
            overrides[key] = _parse_config_value(raw, string_typed)
    return overrides


def account_guard_problems(settings: Settings, inventory: Inventory) -> list[tuple[str, str]]:
    """`allowedAccountIds` must never name the dev inventory's account: production must not be deployable there."""
    if inventory.account_id not in settings.allowed_account_ids:
        return []
    why = f"names the dev account {inventory.account_id} (the inventory's accountId); list only production account ids"
    return [("allowedAccountIds", why)]


def start_layer(layer: str, stack_dir: Path) -> LayerContext:
    """Load settings (shared file + this stack's overrides), the dev inventory and the production provider.

    Everything is validated before the provider (the first resource) is registered; what
    validation only warns about is logged here, once per layer.
    """
    settings = load_settings(stack_dir, pulumi_overrides())
    inventory = load_inventory(settings.inventory_file, settings.repo_root, settings.environment_suffix)
    raise_if_any(account_guard_problems(settings, inventory))
    for warning in settings.warnings:
        pulumi.log.warn(warning)
    provider = production_provider(settings, dev_account_id=inventory.account_id)
    return LayerContext(layer=layer, settings=settings, inventory=inventory, provider=provider)
