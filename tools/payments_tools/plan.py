"""The offline plan: all five layers run under Pulumi's mock runtime, in deploy order.

This is the project's `synth`. Each layer's real `__main__.py` runs against `PlanMocks`;
its stack references resolve from the outputs of the layers planned before it, and the
dev account is emulated by moto seeded from the inventory. It needs no AWS account and no
Pulumi CLI, and the test suite drives the same machinery end to end.
"""

from __future__ import annotations

import argparse
import json
import runpy
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from moto import mock_aws

from payments_policy.records import layer_violations
from payments_policy.rules import RULES
from payments_tools import pulumi_internals
from payments_tools.cli import exit_with
from payments_tools.devaccount import seed_dev_account
from payments_tools.mocks import PlanMocks
from shared.errors import ConfigError
from shared.inventory import load_inventory
from shared.settings import LAYERS, find_repo_root, load_settings, project_name, stack_file_config

ORGANIZATION = "organization"
STACK = "prod"

# The inputs worth showing per resource type in the printed plan; the JSON has them all.
SUMMARY_KEYS: dict[str, tuple[str, ...]] = {
    "pulumi:providers:aws": ("region", "allowedAccountIds", "forbiddenAccountIds"),
    "aws:kms/key:Key": ("description", "enableKeyRotation", "deletionWindowInDays"),
    "aws:kms/alias:Alias": ("name",),
    "aws:iam/role:Role": ("name",),
    "aws:s3/bucket:Bucket": ("bucket", "forceDestroy"),
    "aws:dynamodb/table:Table": ("name", "billingMode", "hashKey", "rangeKey", "streamViewType"),
    "aws:lambda/function:Function": ("name", "runtime", "memorySize", "timeout", "reservedConcurrentExecutions"),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "retentionInDays"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name", "threshold"),
    "aws:apigateway/restApi:RestApi": ("name",),
    "aws:apigateway/stage:Stage": ("stageName", "xrayTracingEnabled"),
    "aws:wafv2/webAcl:WebAcl": ("name", "scope"),
    "aws:backup/vault:Vault": ("name",),
    "aws:sns/topic:Topic": ("name",),
}


@dataclass
class LayerPlan:
    """What one layer would create, and what it would export."""

    layer: str
    built: bool
    resources: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    registrations: list[dict[str, Any]] = field(default_factory=list)
    """Every registration request: URN, type, name, custom, provider, dependencies (see `PlanMocks.registrations`)."""


class UpstreamNotPlanned(ConfigError):
    """A layer was planned without the upstream layers whose outputs it reads."""

    def __init__(self, layer: str, missing: list[str], planned: tuple[str, ...]) -> None:
        wanted = [name for name in LAYERS if name in {*missing, *planned}]
        args = " ".join(f"--layer {name}" for name in wanted)
        super().__init__(
            "--layer",
            f"the {layer} layer reads the outputs of {', '.join(n for n in LAYERS if n in missing)}, which this plan does not include; "
            f"plan them together: make plan PLAN_ARGS='{args}' (or plan every layer: make plan)",
        )


def stack_config(stack_dir: Path, stack: str = STACK) -> dict[str, str]:
    """A stack's `Pulumi.<stack>.yaml` config as the runtime sees it: every value a string, objects as JSON."""
    path = stack_dir / f"Pulumi.{stack}.yaml"
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in stack_file_config(path).items()}


def run_program(
    main: Path,
    *,
    project: str,
    mocks: PlanMocks,
    config: Mapping[str, str],
    stack: str = STACK,
    organization: str = ORGANIZATION,
) -> dict[str, Any]:
    """Run one Pulumi program under mocks and return its resolved stack outputs.

    `mocks` records every resource and registration, also when the program fails. Raises whatever
    the program raises, including errors thrown inside `apply`.
    """
    outputs: dict[str, Any] = {}

    def program() -> None:
        runpy.run_path(str(main), run_name="__main__")
        outputs.update(pulumi_internals.root_outputs())

    pulumi_internals.run_with_mocks(
        program, mocks=mocks, config=config, project=project, stack=stack, organization=organization, registrations=mocks.registrations
    )
    return outputs


@contextmanager
def emulated_dev_account(repo_root: Path, inventory_file: Path | None = None, skip: frozenset[str] = frozenset()) -> Iterator[None]:
    """moto's AWS, with the dev account holding what the inventory (by default the configured one) describes."""
    settings = load_settings(repo_root)
    inventory = load_inventory(inventory_file or settings.inventory_file, settings.repo_root, settings.environment_suffix)
    with mock_aws():
        seed_dev_account(inventory, skip=skip)
        yield


def plan_layers(
    repo_root: Path,
    layers: tuple[str, ...] = LAYERS,
    *,
    extra_config: Mapping[str, str] | None = None,
    on_layer: Callable[[LayerPlan], None] | None = None,
) -> list[LayerPlan]:
    """Plan `layers` in order; each stack reference sees the outputs of the layers planned before it.

    Must run inside an emulated (or real, read-only) dev account: see `emulated_dev_account`.
    `extra_config` is added to every layer's config (keys `payments-<layer>:<key>` or
    `<key>` to apply to all layers).
    """
    outputs_by_stack: dict[str, dict[str, Any]] = {}
    plans: list[LayerPlan] = []
    for layer in layers:
        stack_dir = repo_root / "stacks" / layer
        main = stack_dir / "__main__.py"
        project = project_name(layer)
        plan = LayerPlan(layer=layer, built=main.is_file())
        if plan.built:
            config = stack_config(stack_dir)
            for key, value in (extra_config or {}).items():
                config[key if ":" in key else f"{project}:{key}"] = value
            mocks = PlanMocks(stack_outputs=outputs_by_stack)
            started = time.perf_counter()
            try:
                plan.outputs = run_program(main, project=project, mocks=mocks, config=config)
            except Exception as exc:
                missing = [s.split("/")[1].removeprefix("payments-") for s in mocks.unanswered_stacks]
                if missing:
                    raise UpstreamNotPlanned(layer, missing, layers) from exc
                raise
            plan.seconds = time.perf_counter() - started
            plan.resources = mocks.resources
            plan.registrations = mocks.registrations
            outputs_by_stack[f"{ORGANIZATION}/{project}/{STACK}"] = plan.outputs
        plans.append(plan)
        if on_layer:
            on_layer(plan)
    return plans


def config_error(exc: BaseException) -> ConfigError | None:
    """The ConfigError behind `exc`, if any: Pulumi wraps an error raised in `apply` in its own ValueErrors."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ConfigError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def summarise(plan: LayerPlan) -> str:
    """A human-readable block: per resource its type, name and the settings that matter."""
    if not plan.built:
        return f"== {plan.layer}: not built yet (no stacks/{plan.layer}/__main__.py)"
    lines = [f"== {plan.layer}: {len(plan.resources)} resources, {len(plan.outputs)} outputs ({plan.seconds:.2f}s)"]
    for res in plan.resources:
        keys = SUMMARY_KEYS.get(res["type"], ())
        details = ", ".join(f"{k}={res['inputs'][k]}" for k in keys if k in res["inputs"])
        lines.append(f"  + {res['type']:<45} {res['name']}" + (f"  [{details}]" if details else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Plan every layer offline (mock runtime, emulated dev account).")
    parser.add_argument("--out", default="build/plan.json", help="where to write the whole plan as JSON")
    parser.add_argument("--layer", action="append", choices=LAYERS, help="plan only these layers (repeatable)")
    args = parser.parse_args(argv)
    repo_root = find_repo_root(Path.cwd())
    layers = tuple(args.layer) if args.layer else LAYERS
    started = time.perf_counter()
    try:
        with emulated_dev_account(repo_root):
            plans = plan_layers(repo_root, layers, on_layer=lambda p: print(summarise(p), flush=True))
    except Exception as exc:
        error = config_error(exc)
        if error is None:
            raise
        print(f"plan: {error}", file=sys.stderr)
        return 2
    out = repo_root / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps([asdict(p) for p in plans], indent=2, sort_keys=True, default=str), encoding="utf-8")
    total = sum(len(p.resources) for p in plans)
    print(f"plan: {total} resources in {len(layers)} layers, {time.perf_counter() - started:.2f}s; written to {out}")
    return policy_check(plans)


def policy_check(plans: list[LayerPlan]) -> int:
    """Run the policy pack's rules over every recorded resource: 1 (naming resource, policy, reason) on a mandatory violation."""
    violations = [(p.layer, v) for p in plans if p.built for v in layer_violations(p.resources)]
    for layer, violation in violations:
        print(f"policy violation [{violation.level}] {layer}: {violation}", file=sys.stderr)
    mandatory = sum(1 for _, v in violations if v.level == "mandatory")
    print(f"policy pack: {len(RULES)} rules, {mandatory} mandatory violation(s)")
    return 1 if mandatory else 0


if __name__ == "__main__":
    exit_with(main())
