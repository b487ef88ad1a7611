"""Production settings: validated once, frozen, region-locked, clock-free."""

import dataclasses
import datetime as dt

import pytest
import yaml

from payments_tools.harness import REPO_ROOT
from shared.errors import ConfigError
from shared.settings import load_settings, parse_settings, require_region


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
    raw["api"] = {**raw["api"], "throttleBurstLimit": 10}
    raw["alarms"] = {**raw["alarms"], "emails": ["not-an-email"]}
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
    raw["storage"] = {**raw["storage"], "noncurrentTransitionDays": 60, "noncurrentExpirationDays": 30}
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
        'config:\n'
        '  payments-compute:compute: {"runtime": "nodejs22.x"}\n'
        '  payments-compute:logRetentionDays: "90"\n'
        '  payments-compute:environmentSuffix: "007"\n'
        '  payments-data:logRetentionDays: "7"\n'
    )
    assert stack_file_overrides(stack_dir, "prod") == {
        "compute": {"runtime": "nodejs22.x"}, "logRetentionDays": 90, "environmentSuffix": "007",
    }
    assert stack_file_overrides(stack_dir, "staging") == {}
