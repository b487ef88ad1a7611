"""JSON Schema validation that reports every problem with a readable path.

The schemas themselves ship as JSON files beside this module so other tools (editors, CI
linters) can use them too; this module only turns jsonschema's findings into
`(path, reason)` pairs such as `dynamodbTables[1].KeySchema: 'KeySchema' is a required property`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator


def json_path(parts: Iterable[str | int]) -> str:
    """Render a jsonschema path deque as `a.b[0].c` (the form every error in this repo uses)."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "<root>"


def bundled_schema(schema_name: str) -> dict[str, Any]:
    """A schema shipped in `shared/schemas/`, as parsed JSON."""
    schema: dict[str, Any] = json.loads(resources.files("shared").joinpath("schemas", schema_name).read_text(encoding="utf-8"))
    return schema


@cache
def _validator(schema_name: str) -> Draft202012Validator:
    """The validator of a bundled schema, made once per process.

    The schema itself is not checked against the JSON Schema metaschema here: that check costs
    about 40 ms a schema (a twelfth of `make plan`'s own work) and its answer only changes when the
    file does, so `tests/shared/test_schema.py` checks every bundled schema instead.
    """
    return Draft202012Validator(bundled_schema(schema_name))


def schema_problems(document: Mapping[str, Any], schema_name: str, *, prefix: str = "") -> list[tuple[str, str]]:
    """Validate `document` against a bundled schema and return every problem, sorted by path.

    Every layer of a run validates the same settings and inventory again, and validation costs
    milliseconds where writing the document as JSON costs microseconds; so the findings are kept
    per JSON text. A document that JSON cannot carry exactly (a date, a tuple) is validated afresh.
    """
    try:
        text = json.dumps(document, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        return _problems(document, schema_name, prefix)
    if json.loads(text) != document:
        return _problems(document, schema_name, prefix)
    return list(_problems_of_text(text, schema_name, prefix))


@lru_cache(maxsize=256)
def _problems_of_text(text: str, schema_name: str, prefix: str) -> tuple[tuple[str, str], ...]:
    return tuple(_problems(json.loads(text), schema_name, prefix))


def _problems(document: Mapping[str, Any], schema_name: str, prefix: str) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for error in _validator(schema_name).iter_errors(document):
        parts: list[str | int] = [prefix] if prefix else []
        parts.extend(error.absolute_path)
        # A missing property is reported at its parent; name the property itself.
        if error.validator == "required" and isinstance(error.validator_value, list):
            missing = [p for p in error.validator_value if isinstance(error.instance, dict) and p not in error.instance]
            for prop in missing:
                problems.append((json_path([*parts, prop]), "is required"))
            continue
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            for prop in sorted(k for k in error.instance if k not in allowed):
                problems.append((json_path([*parts, prop]), "is not an allowed field here"))
            continue
        problems.append((json_path(parts), error.message))
    return sorted(problems)


def schema_keys(schema_name: str) -> dict[str, bool]:
    """Top-level property names of a bundled schema, each mapped to whether its value is a plain string."""
    schema: Mapping[str, Any] = _validator(schema_name).schema  # type: ignore[assignment]
    properties: dict[str, Any] = schema.get("properties", {})
    return {
        key: spec.get("type") == "string" or (isinstance(spec.get("type"), list) and "string" in spec["type"])
        for key, spec in properties.items()
    }
