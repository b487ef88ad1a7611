"""Write the dev inventory from the live dev account, so the migration's input comes from the source of truth.

`make export-dev-inventory` reads the account with DescribeTable, DescribeTimeToLive,
GetFunctionConfiguration and API Gateway's OpenAPI 3.0 export, and writes
`config/dev-environment.json` plus the API contract. What the account cannot tell is kept
from the existing file: each bucket's purpose, each function's `CodePath` and
`Permissions`, and the API's `publicOperations`. Resources are selected by the existing
file's names (an account holds unrelated resources too); `--prefix` also picks up tables
and functions created since. Nothing is written unless the result passes the same
validation every layer applies, and every problem is reported at once.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from payments_tools.cli import exit_with
from shared import aws, openapi
from shared.errors import ConfigError
from shared.inventory import validate_inventory
from shared.settings import load_settings

EXPORT_TYPE = "oas30"
EXPORT_EXTENSIONS = "apigateway"
"""`apigateway` exports every x-amazon-apigateway-* extension: the integrations the contract needs,
and the authorizers and request validators it must also carry (`integrations` alone drops those)."""

TTL_ON = frozenset({"ENABLED", "ENABLING"})


@dataclass
class Export:
    """The exported inventory, the API contract (None when the existing file is kept), and what to tell the user."""

    inventory: dict[str, Any]
    openapi_document: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)


# --- AWS responses → inventory shapes (pure; validate_dev uses them too) -----------------


def _keys(schema: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    return [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in schema]


def _indexes(indexes: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for index in indexes:
        projection: dict[str, Any] = {"ProjectionType": index["Projection"]["ProjectionType"]}
        if index["Projection"].get("NonKeyAttributes"):
            projection["NonKeyAttributes"] = list(index["Projection"]["NonKeyAttributes"])
        out.append({"IndexName": index["IndexName"], "KeySchema": _keys(index["KeySchema"]), "Projection": projection})
    return out


def table_entry(described: Mapping[str, Any], ttl: Mapping[str, Any] | None, previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An inventory table from DescribeTable's `Table` and DescribeTimeToLive's `TimeToLiveDescription`.

    Only the fields MISSION.md lists: capacity, ARNs, sizes and statuses are the dev account's
    business, not the schema production must reproduce. A disabled TTL keeps the previous
    file's attribute name (AWS forgets it), so a re-export does not churn the file.
    """
    entry: dict[str, Any] = {
        "TableName": described["TableName"],
        "AttributeDefinitions": [
            {"AttributeName": a["AttributeName"], "AttributeType": a["AttributeType"]} for a in described["AttributeDefinitions"]
        ],
        "KeySchema": _keys(described["KeySchema"]),
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if described.get(key):
            entry[key] = _indexes(described[key])
    stream = described.get("StreamSpecification") or {}
    if stream.get("StreamEnabled"):
        entry["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    ttl = ttl or {}
    attribute = ttl.get("AttributeName") or ((previous or {}).get("TimeToLive") or {}).get("AttributeName")
    if attribute:
        entry["TimeToLive"] = {"AttributeName": attribute, "Enabled": ttl.get("TimeToLiveStatus") in TTL_ON}
    return entry


def function_entry(configuration: Mapping[str, Any], previous: Mapping[str, Any] | None, default_code_path: str | None) -> dict[str, Any]:
    """An inventory function from GetFunctionConfiguration, with `CodePath`/`Permissions` kept from the existing file.

    A function new to the inventory gets no permissions (least privilege until someone
    grants them) and the code folder the other functions share, when there is one.
    """
    entry: dict[str, Any] = {
        "FunctionName": configuration["FunctionName"],
        "Runtime": configuration.get("Runtime", ""),
        "Handler": configuration.get("Handler", ""),
        "MemorySize": configuration["MemorySize"],
        "Timeout": configuration["Timeout"],
    }
    variables = (configuration.get("Environment") or {}).get("Variables") or {}
    if variables or (previous and "Environment" in previous):
        entry["Environment"] = {"Variables": dict(variables)}
    entry["CodePath"] = (previous or {}).get("CodePath") or default_code_path or ""
    entry["Permissions"] = [dict(p) for p in (previous or {}).get("Permissions", [])]
    return entry


def export_usable(document: object) -> list[tuple[str, str]]:
    """Why an API Gateway export cannot serve as the dev contract (empty when it can)."""
    problems = openapi.openapi_problems(document)
    if problems:
        return problems
    assert isinstance(document, Mapping)
    if not openapi.integration_targets(document):
        return [(openapi.INTEGRATION, "the export carries no Lambda integrations; export with extensions=apigateway")]
    return []


# --- reading the account --------------------------------------------------------------------


def _client_error(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".rstrip(": ")
    return str(exc)


def _not_found(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in {"ResourceNotFoundException", "NoSuchBucket", "404", "NotFoundException"}


def _paginate(client: Any, operation: str, key: str) -> list[Any]:
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate():
        items += page.get(key, [])
    return items


def _shared_code_path(functions: list[Mapping[str, Any]]) -> str | None:
    paths = {f.get("CodePath") for f in functions}
    return paths.pop() if len(paths) == 1 and None not in paths else None


def fetch_export(apigateway: Any, api_id: str, stage: str) -> object:
    """The stage's OpenAPI 3.0 export with API Gateway extensions, parsed (a seam the tests replace)."""
    response = apigateway.get_export(
        restApiId=api_id, stageName=stage, exportType=EXPORT_TYPE, parameters={"extensions": EXPORT_EXTENSIONS}, accepts="application/json"
    )
    return json.loads(response["body"].read())


def _export_buckets(session: Any, region: str, existing: list[Mapping[str, Any]], result: Export) -> list[dict[str, Any]]:
    s3 = session.client("s3", region_name=region)
    for i, bucket in enumerate(existing):
        try:
            s3.head_bucket(Bucket=bucket["name"])
        except ClientError as exc:
            reason = "does not exist in the dev account" if _not_found(exc) else _client_error(exc)
            result.problems.append((f"s3Buckets[{i}] {bucket['name']}", reason))
    return [{"name": b["name"], "purpose": b["purpose"]} for b in existing]


def _selected(existing_names: list[str], account_names: list[str], prefix: str | None) -> list[str]:
    discovered = sorted(n for n in account_names if prefix and n.startswith(prefix) and n not in existing_names)
    return [*existing_names, *discovered]


def _export_tables(
    session: Any, region: str, existing: list[Mapping[str, Any]], prefix: str | None, result: Export
) -> list[dict[str, Any]]:
    dynamodb = session.client("dynamodb", region_name=region)
    by_name = {t["TableName"]: t for t in existing}
    account = _paginate(dynamodb, "list_tables", "TableNames") if prefix else []
    tables = []
    for name in _selected(list(by_name), account, prefix):
        try:
            described = dynamodb.describe_table(TableName=name)["Table"]
            ttl = dynamodb.describe_time_to_live(TableName=name).get("TimeToLiveDescription")
        except ClientError as exc:
            reason = "does not exist in the dev account" if _not_found(exc) else _client_error(exc)
            result.problems.append((f"dynamodbTables {name}", reason))
            continue
        if name not in by_name:
            result.notes.append(f"discovered table {name} (matches --prefix)")
        tables.append(table_entry(described, ttl, by_name.get(name)))
    return tables


def _export_functions(
    session: Any, region: str, existing: list[Mapping[str, Any]], prefix: str | None, result: Export
) -> list[dict[str, Any]]:
    lam = session.client("lambda", region_name=region)
    by_name = {f["FunctionName"]: f for f in existing}
    account = [f["FunctionName"] for f in _paginate(lam, "list_functions", "Functions")] if prefix else []
    default_code_path = _shared_code_path(existing)
    functions = []
    for name in _selected(list(by_name), account, prefix):
        try:
            configuration = lam.get_function_configuration(FunctionName=name)
        except ClientError as exc:
            reason = "does not exist in the dev account" if _not_found(exc) else _client_error(exc)
            result.problems.append((f"lambdaFunctions {name}", reason))
            continue
        if name not in by_name:
            result.notes.append(f"discovered function {name} (matches --prefix): Permissions empty and CodePath guessed; review them")
        functions.append(function_entry(configuration, by_name.get(name), default_code_path))
    return functions


def _export_api(session: Any, region: str, existing: Mapping[str, Any], api_name: str, stage: str, result: Export) -> dict[str, Any]:
    apigateway = session.client("apigateway", region_name=region)
    api = {"name": api_name, "stageName": stage, "openApiFile": existing.get("openApiFile", "config/dev-api.openapi.json")}
    if "publicOperations" in existing:
        api["publicOperations"] = list(existing["publicOperations"])
    matches = [a["id"] for a in _paginate(apigateway, "get_rest_apis", "items") if a.get("name") == api_name]
    if len(matches) != 1:
        found = "no REST API" if not matches else f"{len(matches)} REST APIs"
        result.problems.append((f"apiGateway {api_name}", f"{found} with this name in the dev account"))
        return api
    try:
        apigateway.get_stage(restApiId=matches[0], stageName=stage)
        document = fetch_export(apigateway, matches[0], stage)
    except ClientError as exc:
        reason = f"stage {stage!r} does not exist" if _not_found(exc) else _client_error(exc)
        result.problems.append((f"apiGateway {api_name}", reason))
        return api
    unusable = export_usable(document)
    if unusable:
        where, why = unusable[0]
        result.notes.append(
            f"kept the existing OpenAPI file {api['openApiFile']}: the account's {EXPORT_TYPE} export is not usable ({where}: {why})"
        )
    else:
        assert isinstance(document, dict)
        result.openapi_document = document
    return api


def export_inventory(
    session: Any, existing: Mapping[str, Any], *, region: str, api_name: str, stage: str, prefix: str | None = None
) -> Export:
    """Read the dev account and build the inventory; problems (missing resources) are collected, not raised."""
    result = Export(inventory={})
    account_id = session.client("sts", region_name=region).get_caller_identity()["Account"]
    result.inventory = {
        "environment": "dev",
        "region": region,
        "accountId": account_id,
        "s3Buckets": _export_buckets(session, region, list(existing.get("s3Buckets", [])), result),
        "dynamodbTables": _export_tables(session, region, list(existing.get("dynamodbTables", [])), prefix, result),
        "lambdaFunctions": _export_functions(session, region, list(existing.get("lambdaFunctions", [])), prefix, result),
        "apiGateway": _export_api(session, region, existing.get("apiGateway", {}), api_name, stage, result),
    }
    return result


# --- writing ---------------------------------------------------------------------------------


def _relative(path: Path, root: Path) -> str:
    """How the inventory refers to a file: relative to the repository root when inside it."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path.resolve())


def _dump(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def validate_export(export: Export, repo_root: Path, suffix: str) -> list[tuple[str, str]]:
    """Validate the exported inventory as every layer would, against the contract it will point at."""
    data = json.loads(json.dumps(export.inventory))
    if export.openapi_document is None:
        return validate_inventory(data, repo_root, suffix)[0]
    with tempfile.TemporaryDirectory() as folder:
        contract = Path(folder) / "openapi.json"
        contract.write_text(_dump(export.openapi_document), encoding="utf-8")
        data["apiGateway"]["openApiFile"] = str(contract)
        return validate_inventory(data, repo_root, suffix)[0]


def write_export(export: Export, out: Path, openapi_out: Path, repo_root: Path) -> list[Path]:
    """Write the contract (when exported) and the inventory; return what was written."""
    written = []
    if export.openapi_document is not None:
        openapi_out.parent.mkdir(parents=True, exist_ok=True)
        openapi_out.write_text(_dump(export.openapi_document), encoding="utf-8")
        export.inventory["apiGateway"]["openApiFile"] = _relative(openapi_out, repo_root)
        written.append(openapi_out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(_dump(export.inventory), encoding="utf-8")
    return [*written, out]


def _read_existing(path: Path) -> dict[str, Any]:
    """The existing inventory as raw JSON: it may be stale or invalid, which is why we export."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(str(path), f"is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(str(path), "must hold a JSON object")
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Export the dev inventory and API contract from the live dev account.")
    parser.add_argument("--out", type=Path, help="inventory file to write (default: the configured inventoryFile)")
    parser.add_argument("--openapi-out", type=Path, help="contract file to write (default: the inventory's openApiFile)")
    parser.add_argument("--region", help="dev region (default: the existing inventory's)")
    parser.add_argument("--api-name", help="dev REST API name (default: the existing inventory's)")
    parser.add_argument("--stage", help="dev stage to export (default: the existing inventory's stageName)")
    parser.add_argument("--prefix", help="also export tables and functions whose names start with this")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(Path.cwd())
        existing = _read_existing(settings.inventory_file)
    except ConfigError as exc:
        print(f"export-dev-inventory: {exc}", file=sys.stderr)
        return 2
    existing_api = existing.get("apiGateway", {})
    region = args.region or existing.get("region")
    api_name = args.api_name or existing_api.get("name")
    stage = args.stage or existing_api.get("stageName")
    if not (region and api_name and stage):
        print(
            "export-dev-inventory: the region, API name or stage is unknown (no existing inventory); pass --region, --api-name, --stage",
            file=sys.stderr,
        )
        return 2
    try:
        session = aws.session(profile_name=settings.dev_profile, region_name=region)
        export = export_inventory(session, existing, region=region, api_name=api_name, stage=stage, prefix=args.prefix)
    except (BotoCoreError, ClientError) as exc:
        who = settings.dev_profile or "the default credential chain"
        print(f"export-dev-inventory: cannot read the dev account ({who}): {_client_error(exc)}", file=sys.stderr)
        return 2
    for note in export.notes:
        print(f"note: {note}")
    problems = export.problems or validate_export(export, settings.repo_root, settings.environment_suffix)
    if problems:
        print(f"export-dev-inventory: nothing written; {len(problems)} problem(s):", file=sys.stderr)
        for where, why in problems:
            print(f"  - {where}: {why}", file=sys.stderr)
        return 1
    openapi_out = args.openapi_out or settings.repo_root / export.inventory["apiGateway"]["openApiFile"]
    for path in write_export(export, args.out or settings.inventory_file, openapi_out, settings.repo_root):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    exit_with(main())
