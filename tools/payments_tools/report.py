"""`make report`: the migration summary, from the deployed stacks or from the offline plan.

It answers the three questions a go-live review asks: what was created (every ARN, by
layer), where each dev resource went (dev name → production name and ARN), and whether
each production resource meets the requirements, pass or fail, with the reason: the
policy pack's rules (`payments_policy.rules`, the same functions `pulumi preview --policy-pack`
and `make plan` run) grouped into columns, plus the cross-layer backup and alarm checks. It reads each layer's stack outputs
and resource state with the Pulumi CLI (`pulumi stack output --json`, `pulumi stack
export`), or `build/plan.json` with `--plan`, and writes `build/migration-report.md` and
`.json`. A layer that is not deployed is shown as such; a check that cannot pass fails; the
report itself never crashes on an incomplete deployment.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from payments_policy.records import to_resources
from payments_policy.rules import RULES, Violation, applicable, evaluate
from payments_tools.cli import exit_with
from shared.errors import ConfigError
from shared.inventory import Inventory, load_inventory
from shared.naming import production_name
from shared.outputs import Compute, Data, Edge
from shared.settings import LAYERS, Settings, load_settings

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
TABLE = "aws:dynamodb/table:Table"
FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
BACKUP_SELECTION = "aws:backup/selection:Selection"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
STAGE = "aws:apigateway/stage:Stage"
TOPIC = "aws:sns/topic:Topic"
AWS_PROVIDER = "pulumi:providers:aws"

COLUMNS: dict[str, tuple[str, ...]] = {
    "encryption": ("cmk-encryption", "bucket-cmk-encryption"),
    "tags": ("required-tags",),
    "region": ("eu-west-1-only",),
    "backups": (),
    "alarms": (),
    "waf": ("waf-on-stage",),
    "tracing": ("xray-tracing",),
    "storage": (
        "bucket-versioning",
        "bucket-lifecycle",
        "lifecycle-settings",
        "bucket-public-access-block",
        "no-public-buckets",
        "access-trail",
    ),
    "tables": ("table-pitr", "table-on-demand"),
    "functions": ("creatable-runtime", "reserved-concurrency", "code-signing", "code-signing-enforced"),
    "logs": ("log-retention-30-days",),
}
"""The compliance columns, in report order, each the policy-pack rules it shows (`payments_policy.rules`: one copy
of each rule, shared with `pulumi preview --policy-pack` and `make plan`). `backups` and `alarms` span layers, which
a per-stack policy pack cannot see; the report checks them itself."""
CHECKS: tuple[str, ...] = tuple(COLUMNS)

ROW_TYPES: frozenset[str] = frozenset({BUCKET, TABLE, FUNCTION, LOG_GROUP, TOPIC, STAGE})
"""Types that always get a row; any other resource gets one only when it breaks a rule."""
CROSS_LAYER: dict[str, tuple[str, ...]] = {TABLE: ("backups", "alarms"), FUNCTION: ("alarms",)}
"""Which resource types the report-only cross-layer checks apply to."""

DEFAULT_PLAN = Path("build") / "plan.json"
DEFAULT_OUT = Path("build") / "migration-report"
NO_STACKS_HINT = "deploy first (make deploy-all) or report on the offline plan: make plan && make report REPORT_ARGS=--plan"

Status = Literal["pass", "fail"]


@dataclass
class LayerState:
    """What one layer holds: its outputs and its resources as {type, name, id, inputs, state}."""

    layer: str
    deployed: bool
    outputs: dict[str, Any] = field(default_factory=dict)
    resources: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    """Why the layer is not deployed, or what could not be read."""


@dataclass(frozen=True)
class Check:
    status: Status
    detail: str


@dataclass
class ComplianceRow:
    layer: str
    type: str
    name: str
    checks: dict[str, Check]


@dataclass(frozen=True)
class MappingRow:
    kind: str
    dev: str
    production: str
    arn: str
    status: str
    """`ok`, `not deployed`, `missing`, or `name differs (expected ...)`."""


@dataclass(frozen=True)
class ArnRow:
    arn: str
    sources: tuple[str, ...]
    """Output keys (`tableArns.payments-transactions-dev`) and resources (`aws:dynamodb/table:Table transactions`) naming it."""


@dataclass
class Report:
    source: str
    layers: dict[str, dict[str, Any]]
    """Per layer: status and its ARNs."""
    mapping: list[MappingRow]
    compliance: list[ComplianceRow]
    planned: bool = False
    """From the offline plan: layers are `planned`, never `deployed`."""

    @property
    def present(self) -> str:
        """What a layer that has resources is: `planned` (offline plan) or `deployed` (stacks)."""
        return "planned" if self.planned else "deployed"

    def layers_in(self, present: bool) -> list[str]:
        return [name for name, layer in self.layers.items() if (layer["status"] == self.present) is present]

    @property
    def failures(self) -> list[tuple[ComplianceRow, str, Check]]:
        return [(row, name, check) for row in self.compliance for name, check in row.checks.items() if check.status == "fail"]

    def to_json(self) -> dict[str, Any]:
        passed = sum(1 for row in self.compliance for c in row.checks.values() if c.status == "pass")
        return {
            "source": self.source,
            "summary": {
                f"layers{self.present.title()}": self.layers_in(True),
                f"layersNot{self.present.title()}": self.layers_in(False),
                "resourcesChecked": len(self.compliance),
                "checksPassed": passed,
                "checksFailed": len(self.failures),
            },
            "layers": {name: {**layer, "arns": [asdict(a) for a in layer["arns"]]} for name, layer in self.layers.items()},
            "mapping": [asdict(m) for m in self.mapping],
            "compliance": [
                {"layer": r.layer, "type": r.type, "name": r.name, "checks": {k: asdict(c) for k, c in r.checks.items()}}
                for r in self.compliance
            ],
        }


# --- reading the layers ------------------------------------------------------------------------


def layers_from_plan(path: Path) -> list[LayerState]:
    """The offline plan's JSON (`make plan`) as layer states; a layer not built counts as not deployed."""
    try:
        plans = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("--plan", f"{path} does not exist; run `make plan` first") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError("--plan", f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(plans, list):
        raise ConfigError("--plan", f"{path} must hold a list of layer plans")
    by_layer = {p.get("layer"): p for p in plans if isinstance(p, dict)}
    states = []
    for layer in LAYERS:
        plan = by_layer.get(layer)
        if plan is None or not plan.get("built"):
            states.append(LayerState(layer, False, note="not planned" if plan is None else "not built yet"))
        else:
            states.append(LayerState(layer, True, dict(plan.get("outputs") or {}), list(plan.get("resources") or [])))
    return states


Runner = Callable[[list[str], Path], str]
"""Runs a command in a folder and returns its stdout; raises RuntimeError with the reason on failure."""


def run_command(command: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, timeout=300)
    except FileNotFoundError as exc:
        raise RuntimeError(f"{command[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"{' '.join(command)} timed out") from exc
    if done.returncode != 0:
        raise RuntimeError((done.stderr or done.stdout).strip().splitlines()[-1] if (done.stderr or done.stdout).strip() else "failed")
    return done.stdout


def _exported_resources(deployment: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`pulumi stack export` resources in the plan's shape; the logical name is the URN's last segment."""
    resources = []
    for res in (deployment.get("deployment") or {}).get("resources") or []:
        urn = str(res.get("urn", ""))
        resources.append(
            {
                "type": res.get("type", ""),
                "name": urn.rsplit("::", 1)[-1],
                "id": res.get("id", ""),
                "urn": urn,
                "inputs": res.get("inputs") or {},
                "state": res.get("outputs") or {},
                "provider": res.get("provider", ""),
            }
        )
    return resources


def layers_from_pulumi(repo_root: Path, stacks: Mapping[str, str], run: Runner = run_command) -> list[LayerState]:
    """Each layer's deployed stack through the Pulumi CLI (run in `stacks/<layer>`); a stack that cannot be read is not deployed."""
    states = []
    for layer in LAYERS:
        stack, cwd = stacks[layer], repo_root / "stacks" / layer
        try:
            outputs = json.loads(run(["pulumi", "stack", "output", "--json", "-s", stack], cwd) or "{}")
        except (RuntimeError, json.JSONDecodeError) as exc:
            states.append(LayerState(layer, False, note=f"stack {stack}: {exc}"))
            continue
        note = ""
        try:
            resources = _exported_resources(json.loads(run(["pulumi", "stack", "export", "-s", stack], cwd)))
        except (RuntimeError, json.JSONDecodeError) as exc:
            resources, note = [], f"resource state unavailable ({exc}); compliance not checked"
        deployed = bool(outputs) or any(r["type"].startswith("aws:") for r in resources)
        outputs = outputs if isinstance(outputs, dict) else {}
        states.append(LayerState(layer, deployed, outputs, resources, note or ("" if deployed else "empty stack")))
    return states


# --- ARNs ----------------------------------------------------------------------------------------


def _walk_arns(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str) and value.startswith("arn:"):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk_arns(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk_arns(item, f"{path}[{i}]")


@cache
def has_arn_attribute(type_token: str) -> bool:
    """Whether the pulumi-aws resource type has an `arn` attribute at all.

    The offline plan's mocks give every resource an ARN-looking id; sub-resources such as
    BucketVersioning have no ARN in AWS, and listing the mock's invention would mislead.
    """
    try:
        _, module, name = type_token.split(":")
        package = importlib.import_module(f"pulumi_aws.{module.split('/')[0].replace('lambda', 'lambda_')}")
        return hasattr(getattr(package, name), "arn")
    except (ValueError, ImportError, AttributeError):
        return True


def layer_arns(state: LayerState) -> list[ArnRow]:
    """Every ARN a layer exports or holds, each with where it was seen."""
    sources: dict[str, list[str]] = {}
    for where, arn in _walk_arns(state.outputs, ""):
        sources.setdefault(arn, []).append(f"output {where}")
    for res in state.resources:
        held = (res.get("state") or {}).get("arn")
        if res["type"].startswith("aws:") and isinstance(held, str) and held.startswith("arn:") and has_arn_attribute(res["type"]):
            sources.setdefault(held, []).append(f"{res['type']} {res['name']}")
    return [ArnRow(arn, tuple(where)) for arn, where in sources.items()]


# --- dev → production -------------------------------------------------------------------------


def _mapping_rows(
    kind: str, dev_names: list[str], layer: LayerState | None, names_key: str, arns_key: str, suffix: str
) -> list[MappingRow]:
    rows = []
    for dev in dev_names:
        expected = production_name(dev, suffix)
        if layer is None or not layer.deployed:
            rows.append(MappingRow(kind, dev, expected, "", "not deployed"))
            continue
        names, arns = layer.outputs.get(names_key) or {}, layer.outputs.get(arns_key) or {}
        actual, arn = names.get(dev, "") if isinstance(names, dict) else "", arns.get(dev, "") if isinstance(arns, dict) else ""
        if not actual:
            status = "missing"
        elif actual != expected:
            status = f"name differs (expected {expected})"
        else:
            status = "ok"
        rows.append(MappingRow(kind, dev, actual or expected, arn, status))
    return rows


def dev_to_production(inventory: Inventory, layers: Mapping[str, LayerState], suffix: str) -> list[MappingRow]:
    """Every mirrored dev resource with its production twin, from the owning layer's outputs."""
    data, compute, edge = layers.get("data"), layers.get("compute"), layers.get("edge")
    rows = _mapping_rows("bucket", [b.name for b in inventory.buckets], data, Data.BUCKET_NAMES, Data.BUCKET_ARNS, suffix)
    rows += _mapping_rows("table", [t.name for t in inventory.tables], data, Data.TABLE_NAMES, Data.TABLE_ARNS, suffix)
    rows += _mapping_rows("function", [f.name for f in inventory.functions], compute, Compute.FUNCTION_NAMES, Compute.FUNCTION_ARNS, suffix)
    api, expected = inventory.api.name, production_name(inventory.api.name, suffix)
    if edge is None or not edge.deployed:
        rows.append(MappingRow("api", api, expected, "", "not deployed"))
    else:
        actual = str(edge.outputs.get(Edge.API_NAME) or "")
        status = "missing" if not actual else "ok" if actual == expected else f"name differs (expected {expected})"
        rows.append(MappingRow("api", api, actual or expected, str(edge.outputs.get(Edge.STAGE_ARN) or ""), status))
    return rows


# --- compliance --------------------------------------------------------------------------------


def _pass(detail: str) -> Check:
    return Check("pass", detail)


def _fail(detail: str) -> Check:
    return Check("fail", detail)


def physical_name(res: Mapping[str, Any]) -> str:
    state = res.get("state") or {}
    for key in ("name", "bucket", "stageName", "functionName"):
        if isinstance(state.get(key), str) and state[key]:
            return str(state[key])
    return str(res.get("name", ""))


class Compliance:
    """Every production resource against the requirements: the policy pack's rules per layer, plus backups and alarms."""

    def __init__(self, layers: list[LayerState]) -> None:
        self.layers = layers
        self.all = [(s.layer, r) for s in layers if s.deployed for r in s.resources]
        self.deployed = {s.layer for s in layers if s.deployed}
        self.violations: dict[tuple[str, str], list[Violation]] = {}
        for state in layers:
            if state.deployed:
                for violation in evaluate(to_resources(state.resources)):
                    self.violations.setdefault((state.layer, violation.resource), []).append(violation)

    def _of_type(self, typ: str) -> list[dict[str, Any]]:
        return [r for _, r in self.all if r.get("type") == typ]

    def rule_column(self, column: str, layer: str, res: Mapping[str, Any]) -> Check | None:
        """The column's verdict from the rules, or None when none of its rules judges this type."""
        names = [r.name for r in RULES if r.name in COLUMNS[column] and applicable(r, str(res.get("type")))]
        if not names:
            return None
        found = [v for v in self.violations.get((layer, f"{res.get('type')} {res.get('name')}"), []) if v.policy in names]
        if found:
            return _fail("; ".join(f"{v.policy}: {v.reason}" for v in found))
        return _pass(", ".join(names))

    def backups(self, layer: str, res: Mapping[str, Any]) -> Check:
        if "data" not in self.deployed:
            return _fail("the data layer (backup plan) is not deployed")
        arn = str((res.get("state") or {}).get("arn") or "")
        for selection in self._of_type(BACKUP_SELECTION):
            patterns = (selection.get("inputs") or {}).get("resources") or []
            if arn and any(fnmatch.fnmatchcase(arn, str(p)) for p in patterns):
                return _pass(f"selected by {physical_name(selection)}")
        return _fail("not selected by any backup plan")

    def _alarm_metrics(self) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
        """(alarm name, metric name, dimensions) for every metric of every alarm, metric-math queries included."""
        for alarm in self._of_type(ALARM):
            inputs = alarm.get("inputs") or {}
            if inputs.get("metricName"):
                yield physical_name(alarm), inputs["metricName"], inputs.get("dimensions") or {}
            for query in inputs.get("metricQueries") or []:
                metric = query.get("metric") or {}
                if metric.get("metricName"):
                    yield physical_name(alarm), metric["metricName"], metric.get("dimensions") or {}

    def alarms(self, layer: str, res: Mapping[str, Any]) -> Check:
        if "observability" not in self.deployed:
            return _fail("the observability layer (alarms) is not deployed")
        name = physical_name(res)
        dimension, wanted, what = (
            ("TableName", "Throttle", "throttling") if res["type"] == TABLE else ("FunctionName", "Errors", "error-rate")
        )
        found = sorted({alarm for alarm, metric, dims in self._alarm_metrics() if wanted in metric and dims.get(dimension) == name})
        return _pass(", ".join(found)) if found else _fail(f"no {what} alarm on {dimension}={name}")

    def rows(self) -> list[ComplianceRow]:
        rows = []
        for layer, res in self.all:
            typ = str(res.get("type"))
            if not typ.startswith("aws:"):
                continue
            checks: dict[str, Check] = {}
            for column in CHECKS:
                if column in CROSS_LAYER.get(typ, ()):
                    checks[column] = getattr(self, column)(layer, res)
                elif (check := self.rule_column(column, layer, res)) is not None:
                    checks[column] = check
            if typ in ROW_TYPES or any(c.status == "fail" for c in checks.values()):
                rows.append(ComplianceRow(layer, typ, physical_name(res), checks))
        return rows


def build_report(layers: list[LayerState], inventory: Inventory, settings: Settings, source: str, *, planned: bool = False) -> Report:
    """Everything the report says, from layer states; pure, so tests feed it synthetic plans."""
    by_layer = {s.layer: s for s in layers}
    present = "planned" if planned else "deployed"
    summary = {
        s.layer: {"status": present if s.deployed else f"not {present}", "note": s.note, "arns": layer_arns(s) if s.deployed else []}
        for s in layers
    }
    return Report(
        source=source,
        layers=summary,
        mapping=dev_to_production(inventory, by_layer, settings.environment_suffix),
        compliance=Compliance(layers).rows(),
        planned=planned,
    )


# --- rendering -----------------------------------------------------------------------------------


def _short(type_token: str) -> str:
    """`aws:dynamodb/table:Table` → `Table`."""
    return type_token.rsplit(":", 1)[-1]


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ") or " "


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows),
    ]


def render_markdown(report: Report) -> str:
    data = report.to_json()["summary"]
    present, title = report.present, report.present.title()
    lines = [
        "# Migration report: dev → production (eu-west-1)",
        "",
        f"Source: {report.source}",
        "",
        "## Summary",
        "",
        f"- Layers {present}: {', '.join(data[f'layers{title}']) or 'none'}",
        f"- Layers not {present}: {', '.join(data[f'layersNot{title}']) or 'none'}",
        f"- Compliance: {data['resourcesChecked']} resources, {data['checksPassed']} checks passed, {data['checksFailed']} failed",
        "",
        "## Created ARNs by layer",
    ]
    for layer, info in report.layers.items():
        lines += ["", f"### {layer}", ""]
        if info["status"] != present:
            lines.append(f"Not {present}{': ' + info['note'] if info['note'] else ''}.")
            continue
        if info["note"]:
            lines += [f"Note: {info['note']}.", ""]
        lines += _table(["ARN", "Seen in"], [[f"`{a.arn}`", "; ".join(a.sources)] for a in info["arns"]]) if info["arns"] else ["No ARNs."]
    lines += ["", "## Dev → production", ""]
    mapping: list[list[object]] = [[m.kind, m.dev, m.production, m.arn, m.status] for m in report.mapping]
    lines += _table(["Kind", "Dev", "Production", "ARN", "Status"], mapping)
    lines += ["", "## Compliance", ""]
    marks = {"pass": "pass", "fail": "**fail**"}
    lines += _table(
        ["Layer", "Type", "Name", *CHECKS],
        [
            [r.layer, _short(r.type), r.name, *(marks[r.checks[c].status] if c in r.checks else "—" for c in CHECKS)]
            for r in report.compliance
        ],
    )
    absent = report.layers_in(False)
    if absent:
        lines += ["", f"Not checked (not {present}): {', '.join(absent)}."]
    if report.failures:
        lines += ["", "### Failures", ""]
        lines += [f"- {row.layer} {_short(row.type)} `{row.name}`: {name}: {check.detail}" for row, name, check in report.failures]
    return "\n".join(lines) + "\n"


def write_report(report: Report, out: Path) -> tuple[Path, Path]:
    """Write `<out>.md` and `<out>.json`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    markdown, data = out.with_suffix(".md"), out.with_suffix(".json")
    markdown.write_text(render_markdown(report), encoding="utf-8")
    data.write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    return markdown, data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the migration summary report (Markdown and JSON).")
    parser.add_argument(
        "--plan", type=Path, nargs="?", const=DEFAULT_PLAN, help=f"read the offline plan (default {DEFAULT_PLAN}) instead of the stacks"
    )
    parser.add_argument("--stack", default="prod", help="stack name of every layer (stackReferences.stacks overrides per layer)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report path without extension")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a layer is not deployed or a check fails")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(Path.cwd())
        inventory = load_inventory(settings.inventory_file, settings.repo_root, settings.environment_suffix)
        if not args.plan and shutil.which("pulumi") is None:
            print(f"report: the Pulumi CLI is not installed, so no deployed stack can be read; {NO_STACKS_HINT}", file=sys.stderr)
            return 2
        if args.plan:
            plan = args.plan if args.plan.is_absolute() else settings.repo_root / args.plan
            layers, source = layers_from_plan(plan), f"offline plan {plan}"
        else:
            stacks = {layer: settings.stack_references.stacks.get(layer, args.stack) for layer in LAYERS}
            layers, source = layers_from_pulumi(settings.repo_root, stacks, run_command), f"deployed stacks ({args.stack})"
    except ConfigError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    report = build_report(layers, inventory, settings, source, planned=bool(args.plan))
    out = args.out if args.out.is_absolute() else settings.repo_root / args.out
    for path in write_report(report, out):
        print(f"wrote {path}")
    summary = report.to_json()["summary"]
    present, absent = report.layers_in(True), report.layers_in(False)
    checks = f"{summary['checksPassed']} checks passed, {summary['checksFailed']} failed"
    print(f"{len(present)}/{len(LAYERS)} layers {report.present}; {checks}")
    for row, name, check in report.failures:
        print(f"  fail: {row.name}: {name}: {check.detail}")
    if not present:
        what = "the plan holds no layer" if report.planned else f"no layer of stack {args.stack!r} is deployed"
        hint = "run `make plan` first" if report.planned else NO_STACKS_HINT
        print(f"report: {what}; nothing to report on: {hint}", file=sys.stderr)
        return 1
    return 1 if args.strict and (report.failures or absent) else 0


if __name__ == "__main__":
    exit_with(main())
