"""Tags and the production provider."""

import datetime as dt
import json

from payments_tools.harness import REPO_ROOT
from payments_tools.mocks import PlanMocks
from payments_tools.plan import run_program
from shared.tags import production_tags


def test_production_tags_carry_environment_origin_and_the_fixed_date():
    assert production_tags(dt.date(2026, 12, 1)) == {
        "Environment": "production",
        "MigratedFrom": "dev",
        "MigrationDate": "2026-12-01",
        "ManagedBy": "pulumi",
    }


def _provider_inputs(tmp_path, config):
    program = tmp_path / "__main__.py"
    program.write_text(
        "from pathlib import Path\n"
        "from shared.layer import start_layer\n"
        f"start_layer('foundation', Path({str(REPO_ROOT / 'stacks' / 'foundation')!r}))\n"
    )
    mocks = PlanMocks()
    run_program(program, project="payments-foundation", mocks=mocks, config=config)
    providers = [r for r in mocks.resources if r["type"] == "pulumi:providers:aws"]
    assert len(providers) == 1
    return providers[0]["inputs"]


def test_provider_is_pinned_to_eu_west_1_with_default_tags(tmp_path):
    inputs = _provider_inputs(tmp_path, {})
    assert inputs["region"] == "eu-west-1"
    tags = json.loads(inputs["defaultTags"])["tags"]
    assert tags["Environment"] == "production" and tags["MigratedFrom"] == "dev" and tags["MigrationDate"] == "2026-12-01"
    assert "allowedAccountIds" not in inputs


def test_provider_restricts_accounts_when_configured(tmp_path):
    inputs = _provider_inputs(tmp_path, {"payments-foundation:allowedAccountIds": '["111122223333"]'})
    assert json.loads(inputs["allowedAccountIds"]) == ["111122223333"]
