"""Production settings: validated once, frozen, region-locked, clock-free."""

import ast
import dataclasses
import datetime as dt
import json
import typing

import pytest
import yaml

from payments_tools.harness import REPO_ROOT
from shared.errors import ConfigError
from shared.settings import Settings, camel_case, defaults, load_settings, parse_settings, read_yaml, require_region


def _raw(**changes):
    raw = yaml.safe_load((REPO_ROOT / "config" / "production.yaml").read_text())
    raw.update(changes)
    return raw


def test_the_shipped_settings_load():
    settings = load_settings(REPO_ROOT / "stacks" / "data")
    assert settings.region == "eu-west-1"
    assert settings.environment_suffix == "eu1"
    assert settings.migration_date == dt.date(2026, 12, 1)
    assert settings.inventory_file == REPO_ROOT / "config" / "dev-environment.json"
    assert settings.backup.schedule == "cron(0 3 * * ? *)"
    assert settings.log_retention_days == 30


def test_settings_are_frozen():
    settings = load_settings(REPO_ROOT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.region = "us-east-1"  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.compute.reserved_concurrency["x"] = 1  # type: ignore[index]


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-2", "EU-WEST-1"])
def test_any_region_but_eu_west_1_is_refused(region):
    with pytest.raises(ConfigError, match=r"region: production deploys only to eu-west-1; refusing"):
        parse_settings(_raw(region=region), REPO_ROOT)
    with pytest.raises(ConfigError, match="eu-west-1"):
        require_region(region)


def test_a_layer_override_merges_over_the_shared_file():
    settings = load_settings(REPO_ROOT, {"storage": {"noncurrentExpirationDays": 400}, "environmentSuffix": "eu2"})
    assert settings.storage.noncurrent_expiration_days == 400
    assert settings.storage.glacier_transition_days == 90  # untouched sibling survives the merge
    assert settings.environment_suffix == "eu2"


def test_migration_date_comes_from_configuration_not_the_clock():
    assert parse_settings(_raw(migrationDate="2030-01-02"), REPO_ROOT).migration_date == dt.date(2030, 1, 2)


def test_yaml_dates_are_accepted_as_iso_strings():
    assert parse_settings(_raw(migrationDate=dt.date(2027, 3, 4)), REPO_ROOT).migration_date == dt.date(2027, 3, 4)


def test_every_problem_is_reported_at_once_with_its_path():
    raw = _raw(environmentSuffix="EU-1", migrationDate="2026-13-45", logRetentionDays=31, surprise=True)
    raw["api"] = {**raw.get("api", {}), "throttleBurstLimit": 10}
    raw["alarms"] = {**raw.get("alarms", {}), "emails": ["not-an-email"]}
    with pytest.raises(ConfigError) as err:
        parse_settings(raw, REPO_ROOT)
    paths = err.value.paths
    for expected in ("environmentSuffix", "migrationDate", "logRetentionDays", "surprise", "api.throttleBurstLimit", "alarms.emails[0]"):
        assert expected in paths, (expected, paths)


def test_missing_required_setting_is_named():
    raw = _raw()
    del raw["environmentSuffix"]
    with pytest.raises(ConfigError, match="environmentSuffix: is required"):
        parse_settings(raw, REPO_ROOT)


def test_noncurrent_expiry_must_follow_transition():
    raw = _raw()
    raw["storage"] = {**raw.get("storage", {}), "noncurrentTransitionDays": 60, "noncurrentExpirationDays": 30}
    with pytest.raises(ConfigError, match=r"storage\.noncurrentExpirationDays"):
        parse_settings(raw, REPO_ROOT)


def test_settings_file_not_found_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match=r"config/production.yaml: not found"):
        load_settings(tmp_path)


def test_a_stack_file_is_read_as_the_layer_program_reads_its_config(tmp_path):
    from shared.layer import stack_file_overrides

    stack_dir = tmp_path / "compute"
    stack_dir.mkdir()
    (stack_dir / "Pulumi.prod.yaml").write_text(
        "config:\n"
        '  payments-compute:compute: {"runtime": "nodejs22.x"}\n'
        '  payments-compute:logRetentionDays: "90"\n'
        '  payments-compute:environmentSuffix: "007"\n'
        '  payments-data:logRetentionDays: "7"\n'
    )
    assert stack_file_overrides(stack_dir, "prod") == {
        "compute": {"runtime": "nodejs22.x"},
        "logRetentionDays": 90,
        "environmentSuffix": "007",
    }
    assert stack_file_overrides(stack_dir, "staging") == {}


def test_noncurrent_expiry_is_checked_against_the_default_transition():
    raw = _raw(storage={"noncurrentExpirationDays": 30})  # the default transition is 30 days too
    with pytest.raises(ConfigError, match=r"storage\.noncurrentExpirationDays"):
        parse_settings(raw, REPO_ROOT)


# --- each default lives in one place: the dataclass field -------------------------------------

SCHEMA = REPO_ROOT / "shared" / "schemas" / "production.schema.json"
NOT_CONFIGURED = {"repoRoot", "warnings"}  # found on disk / noticed by validation, never read from the file


def _sections(cls: type, schema: dict, path: str = "") -> list[tuple[str, type | None, dict | None]]:
    """(key path, dataclass or None, schema or None) for every settings section, matched by key."""
    hints = typing.get_type_hints(cls)
    fields = {camel_case(f.name): hints[f.name] for f in dataclasses.fields(cls)} if cls else {}
    found = []
    for key in sorted((set(fields) | set(schema.get("properties", {}))) - NOT_CONFIGURED):
        hint, sub = fields.get(key), schema.get("properties", {}).get(key)
        found.append((f"{path}{key}", hint, sub))
        if dataclasses.is_dataclass(hint) and sub is not None:
            found += _sections(hint, sub, f"{path}{key}.")
    return found


def test_every_schema_key_is_a_settings_field_and_back():
    schema = json.loads(SCHEMA.read_text())
    unmatched = [key for key, hint, sub in _sections(Settings, schema) if hint is None or sub is None]
    assert not unmatched, f"keys in only one of the schema and the dataclasses: {unmatched}"


def test_the_schema_declares_no_default():
    def walk(node, path):
        if isinstance(node, dict):
            assert "default" not in node, f"{path}: defaults live on the dataclass fields in shared/settings.py"
            for key, value in node.items():
                walk(value, f"{path}.{key}")

    walk(json.loads(SCHEMA.read_text()), "production.schema.json")


def _as_file_value(default):
    """A default as YAML would spell it: tuples are lists, read-only mappings plain dicts."""
    if isinstance(default, tuple):
        return list(default)
    return dict(default) if isinstance(default, typing.Mapping) else default


def _repeated_defaults(cls: type, raw: dict, path: str = "") -> list[str]:
    hints, found = typing.get_type_hints(cls), []
    known = defaults(cls)
    for f in dataclasses.fields(cls):
        key = camel_case(f.name)
        if key not in raw:
            continue
        if dataclasses.is_dataclass(hints[f.name]):
            found += _repeated_defaults(hints[f.name], raw[key], f"{path}{key}.")
        elif key in known and _as_file_value(known[key]) == raw[key]:
            found.append(f"{path}{key}")
    return found


def test_no_settings_file_repeats_a_default():
    shared = yaml.safe_load((REPO_ROOT / "config" / "production.yaml").read_text())
    assert not _repeated_defaults(Settings, shared), "config/production.yaml repeats the defaults in shared/settings.py"
    for stack_file in sorted(REPO_ROOT.glob("stacks/*/Pulumi.prod.yaml")):
        config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
        overrides = {key.split(":", 1)[1]: value for key, value in config.items()}
        assert not _repeated_defaults(Settings, overrides), f"{stack_file} repeats a default"


def test_the_repeated_default_check_finds_a_repeat():
    assert _repeated_defaults(Settings, {"logRetentionDays": 30, "storage": {"glacierTransitionDays": 90, "forceDestroy": False}}) == [
        "logRetentionDays",
        "storage.glacierTransitionDays",
    ]
    assert _repeated_defaults(Settings, {"compute": {"environment": {"LOG_LEVEL": "info"}}}) == ["compute.environment"]
    assert _repeated_defaults(Settings, {"alarms": {"emails": []}, "allowedAccountIds": []}) == ["allowedAccountIds", "alarms.emails"]


def test_settings_code_writes_no_default_a_second_time():
    """`raw.get(key, default)` beside a dataclass default is the duplicate this module once had."""
    tree = ast.parse((REPO_ROOT / "shared" / "settings.py").read_text())
    calls = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and len(node.args) > 1
    ]
    assert not calls, f"shared/settings.py lines {calls} spell a default outside its dataclass field"


def test_an_absent_setting_takes_its_dataclass_default():
    minimal = {"region": "eu-west-1", "environmentSuffix": "eu1", "migrationDate": "2026-12-01"}
    settings = parse_settings({**minimal, "inventoryFile": "config/dev-environment.json"}, REPO_ROOT)
    assert settings.log_retention_days == 30
    assert settings.storage.glacier_transition_days == 90
    assert settings.compute.environment == {"LOG_LEVEL": "info"}
    assert settings.api.hosted_zone_id is None and settings.compute.reserved_concurrency == {}


def test_settings_read_every_section_generically():
    settings = parse_settings(
        _raw(alarms={"emails": ["a@example.com"], "api4xxRate": 0.2}, stackReferences={"stacks": {"foundation": "shared"}}), REPO_ROOT
    )
    assert settings.alarms.emails == ("a@example.com",) and settings.alarms.api_4xx_rate == 0.2
    assert settings.alarms.api_5xx_rate == 0.01  # a sibling keeps its default
    assert settings.stack_references.stacks == {"foundation": "shared"}
    with pytest.raises(TypeError):
        settings.stack_references.stacks["data"] = "x"  # type: ignore[index]


@pytest.mark.parametrize(
    ("field", "key"),
    [("min_memory_mb", "minMemoryMb"), ("api_4xx_rate", "api4xxRate"), ("api_latency_p99_ms", "apiLatencyP99Ms"), ("region", "region")],
)
def test_a_field_is_read_from_its_camel_case_key(field, key):
    assert camel_case(field) == key


def test_yaml_is_read_by_libyamls_safe_parser_which_builds_no_python_objects(tmp_path):
    assert yaml.__with_libyaml__, "PyYAML without libyaml: every settings read falls back to the slow pure-Python parser"
    shipped = REPO_ROOT / "config" / "production.yaml"
    assert read_yaml(shipped) == yaml.safe_load(shipped.read_text(encoding="utf-8"))
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text("value: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    with pytest.raises(yaml.constructor.ConstructorError):
        read_yaml(hostile)
    broken = tmp_path / "broken.yaml"
    broken.write_text("region: [eu-west-1\n", encoding="utf-8")
    with pytest.raises(yaml.YAMLError):
        read_yaml(broken)
