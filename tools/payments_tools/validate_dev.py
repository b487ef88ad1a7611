"""`make validate-dev`: does the dev account hold what the inventory describes, exactly as described?

The layers only check that each dev resource exists. This preflight goes further, before
anyone deploys: every table's schema is compared with DescribeTable and DescribeTimeToLive,
and every function's configuration with GetFunctionConfiguration, because production copies
the inventory, and an inventory that drifted from dev would migrate a schema dev no longer
has. Every problem is listed at once; the exit code is 1 when there is any, 2 when the dev
account or the configuration could not be read at all.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from payments_tools.cli import exit_with
from payments_tools.export_inventory import table_entry
from shared.devcheck import ALL_KINDS, DevResourceCheck, check_dev_resources, dev_clients, dev_session
from shared.errors import ConfigError
from shared.inventory import Function, Index, Inventory, KeyElement, Table, load_inventory
from shared.settings import load_settings

OK, MISSING, DRIFT = "ok", "missing", "drift"


@dataclass(frozen=True)
class Finding:
    """One row of the printed table: a resource and what was found about it."""

    kind: str
    name: str
    status: str
    """`ok`, `missing` or `drift`."""
    detail: str

    @property
    def problem(self) -> bool:
        return self.status != OK


# --- schema comparison (pure) --------------------------------------------------------------


def _keys(schema: Iterable[KeyElement]) -> tuple[tuple[str, str], ...]:
    return tuple((k.attribute_name, k.key_type) for k in schema)


def _index_shape(index: Index) -> tuple[object, ...]:
    # NonKeyAttributes is a set to DynamoDB: the order it returns them in carries no meaning.
    return (_keys(index.key_schema), index.projection_type, tuple(sorted(index.non_key_attributes)))


def _raw_keys(schema: Iterable[Mapping[str, Any]]) -> tuple[KeyElement, ...]:
    return tuple(KeyElement(k["AttributeName"], k["KeyType"]) for k in schema)


def _raw_indexes(indexes: Iterable[Mapping[str, Any]]) -> tuple[Index, ...]:
    return tuple(
        Index(
            name=ix["IndexName"],
            key_schema=_raw_keys(ix["KeySchema"]),
            projection_type=ix["Projection"]["ProjectionType"],
            non_key_attributes=tuple(ix["Projection"].get("NonKeyAttributes", ())),
        )
        for ix in indexes
    )


def live_table(described: Mapping[str, Any], ttl: Mapping[str, Any] | None) -> Table:
    """The dev table as the account describes it, in the inventory's own terms."""
    entry = table_entry(described, ttl)
    stream, time_to_live = entry.get("StreamSpecification") or {}, entry.get("TimeToLive") or {}
    return Table(
        name=entry["TableName"],
        attribute_definitions=tuple((a["AttributeName"], a["AttributeType"]) for a in entry["AttributeDefinitions"]),
        key_schema=_raw_keys(entry["KeySchema"]),
        global_secondary_indexes=_raw_indexes(entry.get("GlobalSecondaryIndexes", [])),
        local_secondary_indexes=_raw_indexes(entry.get("LocalSecondaryIndexes", [])),
        stream_view_type=stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
        ttl_attribute=time_to_live.get("AttributeName") if time_to_live.get("Enabled") else None,
    )


def _index_drift(label: str, expected: tuple[Index, ...], actual: tuple[Index, ...]) -> list[str]:
    want, have = {ix.name: ix for ix in expected}, {ix.name: ix for ix in actual}
    drift = [f"{label} {name}: in the inventory, not in dev" for name in want if name not in have]
    drift += [f"{label} {name}: in dev, not in the inventory" for name in have if name not in want]
    for name in want.keys() & have.keys():
        if _index_shape(want[name]) != _index_shape(have[name]):
            drift.append(f"{label} {name}: inventory {_index_shape(want[name])}, dev {_index_shape(have[name])}")
    return sorted(drift)


def table_drift(expected: Table, actual: Table) -> list[str]:
    """How the dev table differs from its inventory entry (empty when it does not).

    Attribute definitions compare as a set and indexes by name: DynamoDB does not promise to
    return either in the order they were created.
    """
    drift: list[str] = []
    if dict(expected.attribute_definitions) != dict(actual.attribute_definitions):
        want, have = sorted(expected.attribute_definitions), sorted(actual.attribute_definitions)
        drift.append(f"AttributeDefinitions: inventory {want}, dev {have}")
    if _keys(expected.key_schema) != _keys(actual.key_schema):
        drift.append(f"KeySchema: inventory {_keys(expected.key_schema)}, dev {_keys(actual.key_schema)}")
    drift += _index_drift("GlobalSecondaryIndexes", expected.global_secondary_indexes, actual.global_secondary_indexes)
    drift += _index_drift("LocalSecondaryIndexes", expected.local_secondary_indexes, actual.local_secondary_indexes)
    if expected.stream_view_type != actual.stream_view_type:
        drift.append(f"StreamSpecification: inventory {expected.stream_view_type or 'off'}, dev {actual.stream_view_type or 'off'}")
    if expected.ttl_attribute != actual.ttl_attribute:
        drift.append(f"TimeToLive: inventory {expected.ttl_attribute or 'off'}, dev {actual.ttl_attribute or 'off'}")
    return drift


def function_drift(expected: Function, configuration: Mapping[str, Any]) -> list[str]:
    """How a dev function's configuration differs from its inventory entry.

    Environment differences name the variables, never their values: dev variables can hold
    secrets, and this output ends up in CI logs.
    """
    drift = []
    for label, want, have in (
        ("Runtime", expected.runtime, configuration.get("Runtime")),
        ("Handler", expected.handler, configuration.get("Handler")),
        ("MemorySize", expected.memory_size, configuration.get("MemorySize")),
        ("Timeout", expected.timeout, configuration.get("Timeout")),
    ):
        if want != have:
            drift.append(f"{label}: inventory {want}, dev {have}")
    live = (configuration.get("Environment") or {}).get("Variables") or {}
    want_env = dict(expected.environment)
    only_inventory = sorted(want_env.keys() - live.keys())
    only_dev = sorted(live.keys() - want_env.keys())
    changed = sorted(k for k in want_env.keys() & live.keys() if want_env[k] != live[k])
    for label, names in (("only in the inventory", only_inventory), ("only in dev", only_dev), ("different values", changed)):
        if names:
            drift.append(f"Environment variables {label}: {', '.join(names)}")
    return drift


# --- reading the account ----------------------------------------------------------------------


def _drift_findings(inventory: Inventory, session: Any, present: set[tuple[str, str]]) -> list[Finding]:
    """Drift rows for every table and function that exists (missing ones are already reported).

    Read through the clients the existence check just used on this session (`dev_clients`).
    """
    findings = []
    dynamodb = dev_clients(session).dynamodb
    for table in inventory.tables:
        if ("table", table.name) in present:
            described = dynamodb.describe_table(TableName=table.name)["Table"]
            ttl = dynamodb.describe_time_to_live(TableName=table.name).get("TimeToLiveDescription")
            findings += [Finding("table", table.name, DRIFT, d) for d in table_drift(table, live_table(described, ttl))]
    lam = dev_clients(session).lam
    for function in inventory.functions:
        if ("function", function.name) in present:
            configuration = lam.get_function_configuration(FunctionName=function.name)
            findings += [Finding("function", function.name, DRIFT, d) for d in function_drift(function, configuration)]
    return findings


def validate_dev(inventory: Inventory, session: Any) -> list[Finding]:
    """Existence of every resource, then drift of every existing table and function; one row per finding."""
    checks: list[DevResourceCheck] = check_dev_resources(inventory, session, ALL_KINDS)
    present: set[tuple[str, str]] = {(c.kind, c.name) for c in checks if c.found}
    drift = _drift_findings(inventory, session, present)
    drifted = {(f.kind, f.name) for f in drift}
    findings = []
    for check in checks:
        if not check.found:
            findings.append(Finding(check.kind, check.name, MISSING, f"{check.path}: {check.detail}"))
        elif (check.kind, check.name) not in drifted:
            findings.append(Finding(check.kind, check.name, OK, check.detail))
        findings += [f for f in drift if (f.kind, f.name) == (check.kind, check.name)]
    return findings


def render_table(findings: list[Finding]) -> str:
    """A fixed-width table: kind, name, status, detail."""
    rows = [("KIND", "NAME", "STATUS", "DETAIL"), *((f.kind, f.name, f.status, f.detail) for f in findings)]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip() for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check every inventory resource against the dev account, schema drift included.")
    parser.parse_args(argv)
    try:
        settings = load_settings(Path.cwd())
        inventory = load_inventory(settings.inventory_file, settings.repo_root, settings.environment_suffix)
        findings = validate_dev(inventory, dev_session(inventory, settings))
    except ConfigError as exc:
        print(f"validate-dev: {exc}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as exc:
        print(f"validate-dev: reading the dev account failed: {exc}", file=sys.stderr)
        return 2
    print(render_table(findings))
    problems = [f for f in findings if f.problem]
    if not problems:
        print(f"\nvalidate-dev: all {len(findings)} dev resources exist and match the inventory ({inventory.source})")
        return 0
    print(f"\nvalidate-dev: {len(problems)} problem(s) in the dev account {inventory.account_id} ({inventory.region}):", file=sys.stderr)
    for f in problems:
        print(f"  - {f.kind} {f.name}: {f.status}: {f.detail}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    exit_with(main())
