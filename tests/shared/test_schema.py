"""Schema findings are kept per JSON text: the same document is validated once, a changed one afresh."""

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from payments_tools.harness import example_inventory_data
from shared import schema

SCHEMA = "dev-environment.schema.json"


@pytest.fixture
def validations(monkeypatch):
    """Count the real validations behind schema_problems, starting from an empty cache."""
    schema._problems_of_text.cache_clear()
    seen = []
    original = schema._problems

    def counted(document, schema_name, prefix):
        seen.append(schema_name)
        return original(document, schema_name, prefix)

    monkeypatch.setattr(schema, "_problems", counted)
    yield seen
    schema._problems_of_text.cache_clear()


def test_the_same_document_is_validated_once_and_each_caller_gets_its_own_list(validations):
    document = example_inventory_data()
    document["s3Buckets"][0].pop("purpose")
    first = schema.schema_problems(document, SCHEMA)
    assert first == [("s3Buckets[0].purpose", "is required")]
    first.clear()
    assert schema.schema_problems(example_inventory_data() | {"s3Buckets": document["s3Buckets"]}, SCHEMA) == [
        ("s3Buckets[0].purpose", "is required")
    ]
    assert validations == [SCHEMA]


def test_a_changed_document_or_prefix_is_validated_again(validations):
    document = example_inventory_data()
    assert schema.schema_problems(document, SCHEMA) == []
    document["region"] = 42
    assert [path for path, _ in schema.schema_problems(document, SCHEMA)] == ["region"]
    assert [path for path, _ in schema.schema_problems(document, SCHEMA, prefix="inventory")] == ["inventory.region"]
    assert len(validations) == 3


def test_a_document_json_cannot_carry_exactly_is_validated_as_it_is(validations):
    document = example_inventory_data()
    document["s3Buckets"] = tuple(document["s3Buckets"])  # a tuple is not a JSON array to the validator
    assert [path for path, _ in schema.schema_problems(document, SCHEMA)] == ["s3Buckets"]
    assert [path for path, _ in schema.schema_problems(document, SCHEMA)] == ["s3Buckets"]
    assert len(validations) == 2


BUNDLED = sorted(path.name for path in (Path(schema.__file__).parent / "schemas").glob("*.json"))


def metaschema_problems(document: dict) -> list[str]:
    """What the JSON Schema 2020-12 metaschema finds wrong with a schema document (the check `_validator` leaves to this test)."""
    return [error.message for error in Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(document)]


def test_the_schemas_are_found():
    assert BUNDLED == ["dev-environment.schema.json", "production.schema.json"]


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_schema_is_a_valid_draft_2020_12_schema(name):
    document = schema.bundled_schema(name)
    assert document.get("$schema") == Draft202012Validator.META_SCHEMA["$id"], f"{name} must declare the draft the validator uses"
    assert metaschema_problems(document) == []


def test_the_metaschema_check_rejects_a_broken_schema():
    assert metaschema_problems({"type": "object", "properties": {"region": {"type": 5}}}) != []
    assert metaschema_problems({"required": "region"}) != []
