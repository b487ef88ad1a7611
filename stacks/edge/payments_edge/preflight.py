"""Everything the edge layer must refuse, checked before it creates a single resource.

Pulumi starts creating resources as soon as they are registered, so a refusal raised half-way
through the program could leave a half-built edge behind. Whatever can be decided from settings
and the inventory alone is decided here, first.
"""

from __future__ import annotations

from dataclasses import dataclass

from payments_edge import names
from payments_edge.contract import ContractError, require_secured
from payments_edge.domain import DomainPlan, domain_plan
from shared import naming
from shared.errors import ConfigError
from shared.inventory import Inventory
from shared.settings import Settings


@dataclass(frozen=True)
class EdgePlan:
    """The names and choices of the edge layer, all known before any resource exists."""

    api_name: str
    """Physical name of the production REST API."""
    stage_name: str
    """Name of the production stage."""
    web_acl_name: str
    """Physical name of the web ACL."""
    domain: DomainPlan
    """Certificate and DNS choices of the custom domain."""


def plan_edge(settings: Settings, inventory: Inventory) -> EdgePlan:
    """Refuse an open contract, an unnamed certificate source or an unusable name; otherwise the plan.

    Raises ContractError naming every operation left open that `apiGateway.publicOperations` does
    not mark public, and ConfigError for configuration problems (each naming its key).
    """
    try:
        require_secured(inventory.api.document, inventory.api.public_operations)
    except ContractError as exc:
        raise ContractError(f"apiGateway.openApiFile: {exc.path}", exc.reason) from exc
    suffix = settings.environment_suffix
    try:
        api_name = naming.production_name(inventory.api.name, suffix)
        acl_name = names.web_acl_name(inventory.api.name, suffix)
    except ValueError as exc:
        raise ConfigError("apiGateway.name", str(exc)) from exc
    problems = [
        ("apiGateway.name", reason)
        for reason in (
            naming.check_length(api_name, "rest_api"),
            naming.check_length(acl_name, "wafv2_web_acl"),
            naming.check_length(names.waf_log_group_name(acl_name), "log_group"),
        )
        if reason
    ]
    if problems:
        raise ConfigError.from_problems(problems)
    return EdgePlan(
        api_name=api_name,
        stage_name=names.stage_name(inventory.api.stage_name),
        web_acl_name=acl_name,
        domain=domain_plan(settings.api),
    )
