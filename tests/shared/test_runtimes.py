"""The Node.js runtime table: AWS's dates, what production refuses, and when a deploy warns."""

import datetime as dt

import pytest

from shared.errors import ConfigError
from shared.runtimes import DEFAULT_RUNTIME, NODE_RUNTIMES, replacement, runtime_problem, runtime_warning
from shared.settings import parse_settings

from .test_settings import REPO_ROOT, _raw

TODAY = dt.date(2026, 11, 30)


def test_the_table_holds_aws_published_dates():
    # lambda-runtimes.html, as revised in 2026 (block dates of 16-20 moved to 2027-02-01 / 2027-03-03).
    expected = {
        "nodejs18.x": ("2025-09-01", "2027-02-01", "2027-03-03"),
        "nodejs20.x": ("2026-04-30", "2027-02-01", "2027-03-03"),
        "nodejs22.x": ("2027-04-30", "2027-06-01", "2027-07-01"),
        "nodejs24.x": ("2028-04-30", "2028-06-01", "2028-07-01"),
    }
    for name, dates in expected.items():
        runtime = NODE_RUNTIMES[name]
        assert (runtime.deprecation.isoformat(), runtime.block_create.isoformat(), runtime.block_update.isoformat()) == dates


def test_every_runtime_is_deprecated_before_updates_are_blocked():
    for runtime in NODE_RUNTIMES.values():
        assert runtime.deprecation <= runtime.block_update and runtime.block_create <= runtime.block_update, runtime


def test_the_default_is_nodejs24_and_usable_today():
    assert DEFAULT_RUNTIME == "nodejs24.x"
    assert runtime_problem(DEFAULT_RUNTIME, TODAY) is None
    assert runtime_warning(DEFAULT_RUNTIME, TODAY) is None


def test_nodejs18_is_refused_with_its_dates_and_the_replacement():
    problem = runtime_problem("nodejs18.x", TODAY)
    assert problem is not None
    assert "deprecated by AWS Lambda on 2025-09-01" in problem
    assert "from 2027-02-01" in problem and "2027-03-03" in problem
    assert "set compute.runtime to nodejs24.x" in problem


def test_a_runtime_past_its_block_create_date_says_aws_refuses_creating_it():
    problem = runtime_problem("nodejs20.x", dt.date(2027, 2, 1))
    assert problem is not None
    assert "cannot be created: AWS Lambda blocks creating functions on it since 2027-02-01" in problem


@pytest.mark.parametrize(
    ("runtime", "day", "refused"),
    [
        ("nodejs22.x", dt.date(2027, 4, 29), False),
        ("nodejs22.x", dt.date(2027, 4, 30), True),  # the deprecation day itself
        ("nodejs24.x", dt.date(2028, 4, 29), False),
        ("nodejs24.x", dt.date(2028, 6, 1), True),
    ],
)
def test_refusal_starts_on_the_deprecation_day(runtime, day, refused):
    assert (runtime_problem(runtime, day) is not None) is refused


@pytest.mark.parametrize("runtime", ["nodejs23.x", "nodejs8.x", "nodejs99.x"])
def test_an_identifier_lambda_does_not_offer_is_refused(runtime):
    assert "is not a Node.js runtime AWS Lambda offers" in (runtime_problem(runtime, TODAY) or "")


def test_a_deploy_warns_within_180_days_of_deprecation():
    # nodejs22.x is deprecated on 2027-04-30: 151 days after TODAY.
    warning = runtime_warning("nodejs22.x", TODAY)
    assert warning is not None
    assert "2027-04-30 (151 days from now)" in warning and "nodejs24.x" in warning
    assert runtime_warning("nodejs22.x", dt.date(2026, 11, 1)) is None  # 180 days out: not yet
    assert runtime_warning("nodejs22.x", dt.date(2026, 11, 2)) is not None
    assert runtime_warning("nodejs18.x", TODAY) is None  # refused, not warned about


def test_the_replacement_is_the_newest_runtime_still_supported():
    assert replacement(TODAY) == "nodejs24.x"


# --- through settings validation -------------------------------------------------------------


def test_settings_refuse_nodejs18_naming_the_key_the_date_and_the_replacement():
    raw = _raw()
    raw["compute"] = {**raw["compute"], "runtime": "nodejs18.x"}
    with pytest.raises(ConfigError) as err:
        parse_settings(raw, REPO_ROOT, today=TODAY)
    assert err.value.paths == ["compute.runtime"]
    assert "2025-09-01" in str(err.value) and "nodejs24.x" in str(err.value)


def test_settings_carry_the_deprecation_warning_for_nodejs22():
    raw = _raw()
    raw["compute"] = {**raw["compute"], "runtime": "nodejs22.x"}
    settings = parse_settings(raw, REPO_ROOT, today=TODAY)
    assert settings.compute.runtime == "nodejs22.x"
    assert len(settings.warnings) == 1 and "nodejs22.x" in settings.warnings[0]
    assert parse_settings(raw, REPO_ROOT, today=dt.date(2026, 6, 1)).warnings == ()


def test_the_shipped_settings_use_nodejs24_without_warning():
    settings = parse_settings(_raw(), REPO_ROOT, today=TODAY)
    assert settings.compute.runtime == "nodejs24.x" and settings.warnings == ()


def test_the_check_date_defaults_to_the_clock(monkeypatch):
    raw = _raw()
    raw["compute"] = {**raw["compute"], "runtime": "nodejs24.x"}
    monkeypatch.setattr("shared.runtimes.current_date", lambda: dt.date(2028, 6, 2))
    with pytest.raises(ConfigError, match=r"compute\.runtime: nodejs24\.x cannot be created"):
        parse_settings(raw, REPO_ROOT)
