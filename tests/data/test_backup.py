"""Policies for AWS Backup: every production table backed up daily at 03:00 UTC into a vault under the data key."""

from __future__ import annotations

import pytest

from payments_data.backup import backup_names
from shared.errors import ConfigError
from shared.naming import NAME_LIMITS
from shared.outputs import Data, Foundation

VAULT = "aws:backup/vault:Vault"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"


def only(run, typ):
    [resource] = run.of_type(typ)
    return resource


def test_vault_is_encrypted_with_the_data_key(example_run, foundation_outputs):
    assert only(example_run, VAULT)["inputs"]["kmsKeyArn"] == foundation_outputs[Foundation.DATA_KEY_ARN]


def test_vault_name_follows_the_naming_rule_and_fits_aws_limits():
    names = backup_names("abcdefgh")
    assert names.vault == "payments-backup-vault-production-abcdefgh"
    assert len(names.vault) <= NAME_LIMITS["backup_vault"]
    assert len(names.plan) <= NAME_LIMITS["backup_plan"]
    assert len(names.selection) <= 50


def test_backup_names_refuse_a_bad_suffix():
    with pytest.raises(ConfigError, match="environmentSuffix"):
        backup_names("Not-OK")


def test_plan_runs_daily_at_0300_utc_into_the_vault(example_run):
    [rule] = only(example_run, PLAN)["inputs"]["rules"]
    assert rule["schedule"] == "cron(0 3 * * ? *)"
    assert rule["scheduleExpressionTimezone"] == "Etc/UTC"
    assert rule["targetVaultName"] == only(example_run, VAULT)["inputs"]["name"]


def test_recovery_points_are_deleted_after_the_configured_retention(example_run, run_data):
    [rule] = only(example_run, PLAN)["inputs"]["rules"]
    assert rule["lifecycle"] == {"deleteAfter": 35}
    [rule] = only(run_data(config={"backup": {"retentionDays": 90}}), PLAN)["inputs"]["rules"]
    assert rule["lifecycle"] == {"deleteAfter": 90}


def test_selection_covers_every_production_table_by_arn_with_the_backup_role(run_data, rich_inventory_file, foundation_outputs):
    run = run_data(rich_inventory_file)
    selection = only(run, SELECTION)["inputs"]
    table_arns = sorted(r["state"]["arn"] for r in run.of_type("aws:dynamodb/table:Table"))
    assert len(table_arns) == 6
    assert sorted(selection["resources"]) == table_arns
    assert selection["iamRoleArn"] == foundation_outputs[Foundation.BACKUP_ROLE_ARN]
    assert selection["planId"] == only(run, PLAN)["id"]


def test_vault_and_plan_arns_are_exported(example_run):
    assert example_run.outputs[Data.BACKUP_VAULT_ARN] == only(example_run, VAULT)["state"]["arn"]
    assert example_run.outputs[Data.BACKUP_PLAN_ARN] == only(example_run, PLAN)["state"]["arn"]


def test_vault_destroy_follows_force_destroy(example_run, run_data):
    assert only(example_run, VAULT)["inputs"]["forceDestroy"] is True
    assert only(run_data(config={"storage": {"forceDestroy": False}}), VAULT)["inputs"]["forceDestroy"] is False


@pytest.mark.parametrize("key", [Foundation.DATA_KEY_ARN, Foundation.BACKUP_ROLE_ARN])
def test_a_missing_foundation_output_says_to_deploy_the_foundation_layer_first(run_data, foundation_outputs, key):
    del foundation_outputs[key]
    with pytest.raises(Exception, match=f"{key}: upstream output missing; deploy the foundation layer first"):
        run_data()
