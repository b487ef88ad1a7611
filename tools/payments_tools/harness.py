"""The one mock-runtime helper the tests share: run a layer's real program and inspect the result."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from payments_tools.mocks import PlanMocks
from payments_tools.plan import ORGANIZATION, STACK, run_program, stack_config
from shared.settings import find_repo_root, project_name

REPO_ROOT = find_repo_root(Path(__file__).parent)
EXAMPLE_INVENTORY = REPO_ROOT / "config" / "dev-environment.json"


def example_inventory_data() -> dict[str, Any]:
    """A fresh copy of the example inventory, its paths made absolute so the copy works from any folder."""
    data: dict[str, Any] = json.loads(EXAMPLE_INVENTORY.read_text(encoding="utf-8"))
    data["apiGateway"]["openApiFile"] = str(REPO_ROOT / data["apiGateway"]["openApiFile"])
    for function in data["lambdaFunctions"]:
        function["CodePath"] = str(REPO_ROOT / function["CodePath"])
    return data


def write_inventory(data: Mapping[str, Any], folder: Path, name: str = "dev-environment.json") -> Path:
    """Write a test inventory where a layer can be pointed at it (`config={"inventoryFile": str(path)}`)."""
    path = folder / name
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


@dataclass
class LayerRun:
    """The resources a layer registered and the outputs it exported."""

    resources: list[dict[str, Any]]
    outputs: dict[str, Any]
    registrations: list[dict[str, Any]] = field(default_factory=list)
    """Every registration request, with the URNs it depends on (`PlanMocks.registrations`)."""

    def of_type(self, typ: str) -> list[dict[str, Any]]:
        """Every registered resource of a Pulumi type token, e.g. `aws:s3/bucket:Bucket`."""
        return [r for r in self.resources if r["type"] == typ]

    def one(self, typ: str, name: str) -> dict[str, Any]:
        """The resource of `typ` with logical name `name` (fails when absent)."""
        matches = [r for r in self.of_type(typ) if r["name"] == name]
        assert len(matches) == 1, f"expected one {typ} named {name!r}, found {[r['name'] for r in self.of_type(typ)]}"
        return matches[0]

    def dependencies(self, typ: str, name: str) -> set[str]:
        """The logical names of what the `typ` resource `name` waits for: its `depends_on`, and every resource its inputs come from.

        A component and the resource it wraps may share a name, hence the type.
        """
        matches = [r for r in self.registrations if r["type"] == typ and r["name"] == name]
        assert len(matches) == 1, f"expected one {typ} registration named {name!r}, found {len(matches)}"
        return {urn.rsplit("::", 1)[-1] for urn in matches[0]["dependencies"]}


class PlannedRuns:
    """Layer runs kept by what they were planned from, for tests that only read them.

    Planning a layer takes a few tenths of a second and many tests read the same run; each caller
    gets its own deep copy, so no test sees another's changes. A plan that raises is not kept.
    """

    def __init__(self) -> None:
        self._runs: dict[str, LayerRun] = {}

    def get(self, key: object, plan: Callable[[], LayerRun]) -> LayerRun:
        """The run planned for `key` (JSON-like: what the run depends on), planning it with `plan` the first time."""
        text = json.dumps(key, sort_keys=True, default=str)
        if text not in self._runs:
            self._runs[text] = plan()
        return copy.deepcopy(self._runs[text])


def run_layer(
    layer: str,
    *,
    upstream: Mapping[str, Mapping[str, Any]] | None = None,
    config: Mapping[str, Any] | None = None,
    repo_root: Path = REPO_ROOT,
    mocks: PlanMocks | None = None,
) -> LayerRun:
    """Run `stacks/<layer>/__main__.py` under mocks.

    `upstream` maps a layer name to the outputs its stack reference should return;
    `config` adds settings overrides (top-level keys of config/production.yaml; non-string
    values are passed as JSON, as Pulumi would). Pass `mocks` to read what a program that
    raises registered before it failed.
    """
    project = project_name(layer)
    stack_dir = repo_root / "stacks" / layer
    merged = stack_config(stack_dir)
    for key, value in (config or {}).items():
        merged[f"{project}:{key}"] = value if isinstance(value, str) else json.dumps(value)
    stacks = {f"{ORGANIZATION}/{project_name(name)}/{STACK}": dict(outs) for name, outs in (upstream or {}).items()}
    mocks = mocks or PlanMocks()
    mocks.stack_outputs = stacks
    outputs = run_program(stack_dir / "__main__.py", project=project, mocks=mocks, config=merged)
    return LayerRun(resources=mocks.resources, outputs=outputs, registrations=mocks.registrations)
