"""Conventions every layer keeps, checked on what the mock monitor sees when all five layers are planned.

- Logical names never carry a dev name: the URN is what `pulumi preview` prints and what
  state is keyed by, so a dev name there presents a production resource as a dev one.
- Every AWS resource is managed by the production provider (eu-west-1, default tags): one
  created with the ambient default provider would land wherever the shell points, untagged.
"""

from typing import Any

import pytest

from payments_tools.harness import REPO_ROOT
from payments_tools.plan import STACK
from shared.inventory import load_inventory
from shared.provider import PROVIDER_NAME
from shared.settings import LAYERS, load_settings, project_name


@pytest.fixture
def registrations(example_plan: Any) -> list[dict[str, Any]]:
    """Every registration of the whole plan: URN, custom or component, provider reference."""
    return example_plan.registrations


def _dev_names() -> set[str]:
    settings = load_settings(REPO_ROOT)
    inventory = load_inventory(settings.inventory_file, settings.repo_root, settings.environment_suffix)
    # Index names are kept in production (a GSI is queried by name), so they are not dev names.
    return {*inventory.resource_names, inventory.api.name}


def test_no_urn_in_any_layer_carries_a_dev_name(registrations):
    dev_names = _dev_names()
    assert "payments-process-payment-dev" in dev_names and "payments-api-dev" in dev_names
    layers = {r["urn"].split("::")[1] for r in registrations}
    assert layers == {project_name(layer) for layer in LAYERS}
    offending = sorted(r["urn"] for r in registrations if any(dev in r["urn"] for dev in dev_names))
    assert not offending, "URNs carrying a dev name:\n" + "\n".join(offending)


def test_every_aws_resource_in_every_layer_uses_the_production_provider(registrations):
    custom = [r for r in registrations if r["custom"] and r["type"].startswith("aws:")]
    assert {r["urn"].split("::")[1] for r in custom} == {project_name(layer) for layer in LAYERS}
    wrong = []
    for r in custom:
        project = r["urn"].split("::")[1]
        # A provider reference is `<provider URN>::<provider id>`; the provider is a child of the stack.
        production = f"urn:pulumi:{STACK}::{project}::pulumi:pulumi:Stack$pulumi:providers:aws::{PROVIDER_NAME}"
        if r["provider"].rsplit("::", 1)[0] != production:
            wrong.append(f"{r['urn']} -> {r['provider'] or 'the default provider'}")
    assert not wrong, "resources not managed by the production provider:\n" + "\n".join(wrong)
