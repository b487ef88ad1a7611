"""The dev inventory: what the payment system looks like in its development account.

Loaded from `config/dev-environment.json`, validated against a JSON Schema for shape and
then by the semantic checks a schema cannot express (key attributes defined, permissions
naming real resources, code that exists, names that fit AWS limits in production). Every
problem is reported at once with its JSON path, because an inventory exported from a live
account tends to be wrong in several places at the same time.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from shared import naming, openapi
from shared.errors import ConfigError, raise_if_any
from shared.schema import schema_problems

Access = Literal["read", "write", "read-write"]
HANDLER_EXTENSIONS = (".js", ".mjs", ".cjs")


@dataclass(frozen=True)
class Bucket:
    name: str
    """Dev bucket name."""
    purpose: str
    """What the bucket holds (documents, receipts, ...); outputs are also keyed by it."""


@dataclass(frozen=True)
class KeyElement:
    attribute_name: str
    key_type: Literal["HASH", "RANGE"]


@dataclass(frozen=True)
class Index:
    name: str
    key_schema: tuple[KeyElement, ...]
    projection_type: Literal["ALL", "KEYS_ONLY", "INCLUDE"]
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    name: str
    """Dev table name."""
    attribute_definitions: tuple[tuple[str, str], ...]
    """(AttributeName, AttributeType) pairs, in dev order."""
    key_schema: tuple[KeyElement, ...]
    global_secondary_indexes: tuple[Index, ...] = ()
    local_secondary_indexes: tuple[Index, ...] = ()
    stream_view_type: str | None = None
    """The stream's view type, or None when dev has no stream."""
    ttl_attribute: str | None = None
    """The TTL attribute when TTL is enabled in dev, else None."""

    @property
    def hash_key(self) -> str:
        return next(k.attribute_name for k in self.key_schema if k.key_type == "HASH")

    @property
    def range_key(self) -> str | None:
        return next((k.attribute_name for k in self.key_schema if k.key_type == "RANGE"), None)


@dataclass(frozen=True)
class Permission:
    resource: str
    """Dev bucket or table name."""
    access: Access


@dataclass(frozen=True)
class Function:
    name: str
    """Dev function name."""
    runtime: str
    handler: str
    memory_size: int
    timeout: int
    environment: Mapping[str, str]
    code_path: Path
    """Absolute path of the function's source folder."""
    permissions: tuple[Permission, ...]


@dataclass(frozen=True)
class Api:
    name: str
    stage_name: str
    openapi_file: Path
    document: Mapping[str, Any]
    """The dev OpenAPI 3 export, as loaded (treat as read-only)."""
    public_operations: tuple[str, ...] = ()
    """Operations (`"GET /health"`) deliberately left without authentication."""


@dataclass(frozen=True)
class Inventory:
    """The validated dev environment; the only input every layer derives production from."""

    region: str
    account_id: str
    buckets: tuple[Bucket, ...]
    tables: tuple[Table, ...]
    functions: tuple[Function, ...]
    api: Api
    source: Path

    def bucket(self, name: str) -> Bucket | None:
        return next((b for b in self.buckets if b.name == name), None)

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)

    def function(self, name: str) -> Function | None:
        return next((f for f in self.functions if f.name == name), None)

    @property
    def resource_names(self) -> tuple[str, ...]:
        """Every dev resource name a function's environment may mention."""
        return (*[b.name for b in self.buckets], *[t.name for t in self.tables], *[f.name for f in self.functions])


# --- semantic checks ---------------------------------------------------------------------


def _duplicates(items: list[str], path: str, what: str) -> list[tuple[str, str]]:
    counts = Counter(items)
    return [(f"{path}[{i}]", f"duplicate {what} {name!r}") for i, name in enumerate(items) if counts[name] > 1]


def _key_schema_problems(keys: list[dict[str, Any]], defined: set[str], path: str) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for k, key in enumerate(keys):
        if key["AttributeName"] not in defined:
            problems.append((f"{path}[{k}].AttributeName", f"{key['AttributeName']!r} is not defined in AttributeDefinitions"))
    types = [k["KeyType"] for k in keys]
    if types not in (["HASH"], ["HASH", "RANGE"]):
        problems.append((path, f"must be one HASH key optionally followed by one RANGE key, got {types}"))
    return problems


def _index_problems(table: dict[str, Any], field: str, t: int, defined: set[str]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    base = f"dynamodbTables[{t}].{field}"
    indexes = table.get(field, [])
    problems += _duplicates([ix["IndexName"] for ix in indexes], base, "index name")
    table_hash = next((k["AttributeName"] for k in table["KeySchema"] if k["KeyType"] == "HASH"), None)
    has_range = any(k["KeyType"] == "RANGE" for k in table["KeySchema"])
    for i, index in enumerate(indexes):
        path = f"{base}[{i}]"
        problems += _key_schema_problems(index["KeySchema"], defined, f"{path}.KeySchema")
        projection = index["Projection"]
        non_key = projection.get("NonKeyAttributes")
        if projection["ProjectionType"] == "INCLUDE" and not non_key:
            problems.append((f"{path}.Projection.NonKeyAttributes", "is required when ProjectionType is INCLUDE"))
        if projection["ProjectionType"] != "INCLUDE" and non_key:
            problems.append((f"{path}.Projection.NonKeyAttributes", f"is only allowed with INCLUDE, not {projection['ProjectionType']}"))
        if field == "LocalSecondaryIndexes":
            index_hash = next((k["AttributeName"] for k in index["KeySchema"] if k["KeyType"] == "HASH"), None)
            if index_hash != table_hash:
                problems.append((f"{path}.KeySchema", f"a local index must share the table's hash key {table_hash!r}"))
            if not has_range:
                problems.append((path, "local secondary indexes need a table with a RANGE key"))
    return problems


def _table_problems(tables: list[dict[str, Any]]) -> list[tuple[str, str]]:
    problems = _duplicates([t["TableName"] for t in tables], "dynamodbTables", "table name")
    for t, table in enumerate(tables):
        defined_list = [a["AttributeName"] for a in table["AttributeDefinitions"]]
        defined = set(defined_list)
        problems += _duplicates(defined_list, f"dynamodbTables[{t}].AttributeDefinitions", "attribute")
        problems += _key_schema_problems(table["KeySchema"], defined, f"dynamodbTables[{t}].KeySchema")
        for field in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            problems += _index_problems(table, field, t, defined)
        used = {k["AttributeName"] for k in table["KeySchema"]}
        for field in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            used |= {k["AttributeName"] for ix in table.get(field, []) for k in ix["KeySchema"]}
        # DynamoDB rejects CreateTable when a defined attribute is not part of any key.
        for a, name in enumerate(defined_list):
            if name not in used:
                problems.append(
                    (
                        f"dynamodbTables[{t}].AttributeDefinitions[{a}].AttributeName",
                        f"{name!r} is not used by the key schema or any index (DynamoDB rejects it)",
                    )
                )
        stream = table.get("StreamSpecification")
        if stream and stream["StreamEnabled"] and "StreamViewType" not in stream:
            problems.append((f"dynamodbTables[{t}].StreamSpecification.StreamViewType", "is required when StreamEnabled is true"))
    return problems


def _handler_file(code_path: Path, handler: str) -> Path | None:
    module = handler.rsplit(".", 1)[0]
    return next((code_path / f"{module}{ext}" for ext in HANDLER_EXTENSIONS if (code_path / f"{module}{ext}").is_file()), None)


def _function_problems(functions: list[dict[str, Any]], resources: dict[str, str], repo_root: Path) -> list[tuple[str, str]]:
    problems = _duplicates([f["FunctionName"] for f in functions], "lambdaFunctions", "function name")
    for f, function in enumerate(functions):
        path = f"lambdaFunctions[{f}]"
        for p, permission in enumerate(function["Permissions"]):
            if permission["Resource"] not in resources:
                problems.append(
                    (f"{path}.Permissions[{p}].Resource", f"{permission['Resource']!r} is not a bucket or table in this inventory")
                )
        code_path = repo_root / function["CodePath"]
        if not code_path.is_dir():
            problems.append((f"{path}.CodePath", f"folder {function['CodePath']!r} does not exist"))
        elif _handler_file(code_path, function["Handler"]) is None:
            module = function["Handler"].rsplit(".", 1)[0]
            problems.append((f"{path}.Handler", f"{function['CodePath']}/{module}{{{','.join(HANDLER_EXTENSIONS)}}} does not exist"))
    return problems


def _api_problems(api: dict[str, Any], function_names: set[str], repo_root: Path) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    path = repo_root / api["openApiFile"]
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [("apiGateway.openApiFile", f"{api['openApiFile']!r} does not exist")], {}
    except json.JSONDecodeError as exc:
        return [("apiGateway.openApiFile", f"{api['openApiFile']!r} is not valid JSON: {exc}")], {}
    if not isinstance(document, dict):
        return [("apiGateway.openApiFile", "must hold a JSON object")], {}
    problems = [(f"apiGateway.openApiFile: {where}", why) for where, why in openapi.openapi_problems(document)]
    if problems:
        return problems, document
    for op_key, function in openapi.integration_targets(document).items():
        if function not in function_names:
            problems.append(
                (f"apiGateway.openApiFile: {op_key}", f"integration names function {function!r}, which is not in lambdaFunctions")
            )
    for scheme, function in openapi.authorizer_targets(document).items():
        if function not in function_names:
            problems.append(
                (
                    f"apiGateway.openApiFile: securitySchemes.{scheme}",
                    f"authorizer names function {function!r}, which is not in lambdaFunctions",
                )
            )
    operations = {op.key for op in openapi.iter_operations(document)}
    for i, op_key in enumerate(api.get("publicOperations", [])):
        if op_key not in operations:
            problems.append((f"apiGateway.publicOperations[{i}]", f"{op_key!r} is not an operation of the dev contract"))
    return problems, document


def _name_problems(data: dict[str, Any], suffix: str) -> list[tuple[str, str]]:
    checks: list[tuple[str, str, list[str]]] = [
        ("s3Buckets", "name", ["s3_bucket"]),
        ("dynamodbTables", "TableName", ["dynamodb_table"]),
        ("lambdaFunctions", "FunctionName", ["lambda_function", "iam_role"]),
    ]
    problems: list[tuple[str, str]] = []
    for section, key, kinds in checks:
        for i, item in enumerate(data[section]):
            where = f"{section}[{i}].{key}"
            try:
                prod = naming.production_name(item[key], suffix)
            except ValueError as exc:
                problems.append((where, str(exc)))
                continue
            for kind in kinds:
                name = naming.derived_name(item[key], "role", suffix) if kind == "iam_role" else prod
                reason = naming.check_length(name, kind)
                if reason:
                    problems.append((where, reason))
    return problems


def validate_inventory(data: Any, repo_root: Path, suffix: str) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """Return every problem in a raw inventory (empty when valid) and the loaded OpenAPI document."""
    if not isinstance(data, dict):
        return [("<root>", "the inventory must be a JSON object")], {}
    problems = schema_problems(data, "dev-environment.schema.json")
    if problems:
        # Semantic checks assume the shape is right; report shape problems first, all of them.
        return problems, {}
    resources = {b["name"]: "bucket" for b in data["s3Buckets"]} | {t["TableName"]: "table" for t in data["dynamodbTables"]}
    problems += _duplicates([b["name"] for b in data["s3Buckets"]], "s3Buckets", "bucket name")
    problems += _duplicates([b["purpose"] for b in data["s3Buckets"]], "s3Buckets", "bucket purpose")
    problems += _table_problems(data["dynamodbTables"])
    problems += _function_problems(data["lambdaFunctions"], resources, repo_root)
    api_problems, document = _api_problems(data["apiGateway"], {f["FunctionName"] for f in data["lambdaFunctions"]}, repo_root)
    problems += api_problems
    problems += _name_problems(data, suffix)
    return problems, document


def _keys(raw: list[dict[str, Any]]) -> tuple[KeyElement, ...]:
    return tuple(KeyElement(k["AttributeName"], k["KeyType"]) for k in raw)


def _indexes(raw: list[dict[str, Any]]) -> tuple[Index, ...]:
    return tuple(
        Index(
            name=ix["IndexName"],
            key_schema=_keys(ix["KeySchema"]),
            projection_type=ix["Projection"]["ProjectionType"],
            non_key_attributes=tuple(ix["Projection"].get("NonKeyAttributes", ())),
        )
        for ix in raw
    )


def _table(raw: dict[str, Any]) -> Table:
    stream = raw.get("StreamSpecification") or {}
    ttl = raw.get("TimeToLive") or {}
    return Table(
        name=raw["TableName"],
        attribute_definitions=tuple((a["AttributeName"], a["AttributeType"]) for a in raw["AttributeDefinitions"]),
        key_schema=_keys(raw["KeySchema"]),
        global_secondary_indexes=_indexes(raw.get("GlobalSecondaryIndexes", [])),
        local_secondary_indexes=_indexes(raw.get("LocalSecondaryIndexes", [])),
        stream_view_type=stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
        ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled") else None,
    )


def _function(raw: dict[str, Any], repo_root: Path) -> Function:
    return Function(
        name=raw["FunctionName"],
        runtime=raw["Runtime"],
        handler=raw["Handler"],
        memory_size=raw["MemorySize"],
        timeout=raw["Timeout"],
        environment=MappingProxyType(dict((raw.get("Environment") or {}).get("Variables", {}))),
        code_path=(repo_root / raw["CodePath"]).resolve(),
        permissions=tuple(Permission(p["Resource"], p["Access"]) for p in raw["Permissions"]),
    )


def parse_inventory(data: Any, repo_root: Path, suffix: str, *, source: Path | None = None) -> Inventory:
    """Validate a raw inventory and build the frozen Inventory; raise ConfigError naming every problem."""
    problems, document = validate_inventory(data, repo_root, suffix)
    raise_if_any(problems, header=f"invalid dev inventory {source or ''}".rstrip() + ":")
    api = data["apiGateway"]
    return Inventory(
        region=data["region"],
        account_id=data["accountId"],
        buckets=tuple(Bucket(b["name"], b["purpose"]) for b in data["s3Buckets"]),
        tables=tuple(_table(t) for t in data["dynamodbTables"]),
        functions=tuple(_function(f, repo_root) for f in data["lambdaFunctions"]),
        api=Api(
            name=api["name"],
            stage_name=api["stageName"],
            openapi_file=(repo_root / api["openApiFile"]).resolve(),
            document=document,
            public_operations=tuple(api.get("publicOperations", ())),
        ),
        source=source or repo_root,
    )


def load_inventory(path: Path, repo_root: Path, suffix: str) -> Inventory:
    """Read and validate the dev inventory JSON file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("inventoryFile", f"{path} does not exist") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError("inventoryFile", f"{path} is not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    return parse_inventory(data, repo_root, suffix, source=path)
