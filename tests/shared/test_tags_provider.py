"""Tags and the production provider."""

import datetime as dt
import json

import pytest

from payments_tools.harness import REPO_ROOT
from payments_tools.mocks import PlanMocks
from payments_tools.plan import run_program
from shared.errors import ConfigError
from shared.provider import account_guard
from shared.tags import production_tags

DEV_ACCOUNT = "123456789012"
"""The example inventory's dev account."""


def test_production_tags_carry_environment_origin_and_the_fixed_date():
    assert production_tags(dt.date(2026, 12, 1)) == {
        "Environment": "production",
        "MigratedFrom": "dev",
        "MigrationDate": "2026-12-01",
        "ManagedBy": "pulumi",
    }


def _start_layer(tmp_path, config, mocks):
    program = tmp_path / "__main__.py"
    program.write_text(
        "from pathlib import Path\n"
        "from shared.layer import start_layer\n"
        f"start_layer('foundation', Path({str(REPO_ROOT / 'stacks' / 'foundation')!r}))\n"
    )
    run_program(program, project="payments-foundation", mocks=mocks, config=config)


def _provider_inputs(tmp_path, config):
    mocks = PlanMocks()
    _start_layer(tmp_path, config, mocks)
    providers = [r for r in mocks.resources if r["type"] == "pulumi:providers:aws"]
    assert len(providers) == 1
    return providers[0]["inputs"]


def test_provider_is_pinned_to_eu_west_1_with_default_tags(tmp_path):
    inputs = _provider_inputs(tmp_path, {})
    assert inputs["region"] == "eu-west-1"
    tags = json.loads(inputs["defaultTags"])["tags"]
    assert tags["Environment"] == "production" and tags["MigratedFrom"] == "dev" and tags["MigrationDate"] == "2026-12-01"
    assert "allowedAccountIds" not in inputs


def test_without_allowed_accounts_the_provider_forbids_the_dev_account(tmp_path):
    inputs = _provider_inputs(tmp_path, {})
    assert json.loads(inputs["forbiddenAccountIds"]) == [DEV_ACCOUNT]
    assert "allowedAccountIds" not in inputs


def test_provider_restricts_accounts_when_configured_and_never_sets_both_lists(tmp_path):
    # The AWS provider's schema declares allowed_account_ids ConflictsWith forbidden_account_ids.
    inputs = _provider_inputs(tmp_path, {"payments-foundation:allowedAccountIds": '["111122223333"]'})
    assert json.loads(inputs["allowedAccountIds"]) == ["111122223333"]
    assert "forbiddenAccountIds" not in inputs


def test_account_guard_is_one_list_or_the_other():
    assert account_guard((), DEV_ACCOUNT) == {"forbidden_account_ids": [DEV_ACCOUNT]}
    assert account_guard(("111122223333",), DEV_ACCOUNT) == {"allowed_account_ids": ["111122223333"]}


def test_allowed_accounts_naming_the_dev_account_are_refused_before_the_provider_exists(tmp_path):
    mocks = PlanMocks()
    with pytest.raises(ConfigError) as err:
        _start_layer(tmp_path, {"payments-foundation:allowedAccountIds": json.dumps(["111122223333", DEV_ACCOUNT])}, mocks)
    assert mocks.resources == []
    assert err.value.paths == ["allowedAccountIds"]
    assert f"names the dev account {DEV_ACCOUNT}" in str(err.value)
