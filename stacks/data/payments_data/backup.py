"""AWS Backup for the production tables: a KMS-encrypted vault, a daily plan and a selection of every table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.errors import ConfigError
from shared.naming import check_length, resource_name
from shared.settings import BackupSettings

BACKUP_RESOURCE = "payments"
"""The `<resource>` part of every backup name: the vault, plan and selection cover the whole payment system."""
DAILY_RULE = "daily"
SELECTION_NAME_LIMIT = 50
"""AWS Backup refuses selection names longer than this (NAME_LIMITS has no entry for selections)."""


@dataclass(frozen=True)
class BackupNames:
    base: str
    """Logical name of the component, prefix of its children's logical names."""
    vault: str
    plan: str
    selection: str


def backup_names(suffix: str) -> BackupNames:
    """The vault, plan and selection names, refused early when AWS Backup would refuse them."""
    try:
        names = BackupNames(
            base=resource_name(BACKUP_RESOURCE, "backup", suffix),
            vault=resource_name(BACKUP_RESOURCE, "backup-vault", suffix),
            plan=resource_name(BACKUP_RESOURCE, "backup-plan", suffix),
            selection=resource_name(BACKUP_RESOURCE, "tables", suffix),
        )
    except ValueError as exc:
        raise ConfigError("environmentSuffix", str(exc)) from exc
    problems = [r for r in (check_length(names.vault, "backup_vault"), check_length(names.plan, "backup_plan")) if r]
    if len(names.selection) > SELECTION_NAME_LIMIT:
        problems.append(f"backup selection name {names.selection!r} is longer than {SELECTION_NAME_LIMIT} characters")
    if problems:
        raise ConfigError.from_problems([("environmentSuffix", p) for p in problems])
    return names


def daily_rule(settings: BackupSettings, vault_name: pulumi.Input[str]) -> aws.backup.PlanRuleArgs:
    """The plan's one rule: back up on the configured schedule (UTC) and delete each recovery point after the retention."""
    return aws.backup.PlanRuleArgs(
        rule_name=DAILY_RULE,
        target_vault_name=vault_name,
        schedule=settings.schedule,
        schedule_expression_timezone="Etc/UTC",
        lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=settings.retention_days),
    )


@dataclass(frozen=True)
class TableBackupsArgs:
    names: BackupNames
    """Physical names of the vault, plan and selection."""
    kms_key_arn: pulumi.Input[str]
    """Customer-managed key encrypting the vault's recovery points (the foundation data key)."""
    role_arn: pulumi.Input[str]
    """Role AWS Backup assumes to back the tables up (the foundation layer's backup role)."""
    table_arns: Sequence[pulumi.Input[str]]
    """Every production table, selected by ARN (not by tag: a table cannot be left out by a missing tag)."""
    settings: BackupSettings
    """Schedule and retention."""
    force_destroy: bool
    """Whether destroying the vault deletes its recovery points (AWS refuses to delete a non-empty vault)."""


class TableBackups(pulumi.ComponentResource):
    """Daily backups of every production table into a vault encrypted with the data key."""

    vault_arn: pulumi.Output[str]
    plan_arn: pulumi.Output[str]

    def __init__(self, logical_name: str, args: TableBackupsArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("payments:data:Backups", logical_name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        vault = aws.backup.Vault(
            f"{logical_name}-vault", name=args.names.vault, kms_key_arn=args.kms_key_arn, force_destroy=args.force_destroy, opts=child
        )
        plan = aws.backup.Plan(f"{logical_name}-plan", name=args.names.plan, rules=[daily_rule(args.settings, vault.name)], opts=child)
        if args.table_arns:  # AWS refuses an empty selection; with no tables there is nothing to back up
            aws.backup.Selection(
                f"{logical_name}-selection",
                name=args.names.selection,
                plan_id=plan.id,
                iam_role_arn=args.role_arn,
                resources=list(args.table_arns),
                opts=child,
            )
        self.vault_arn = vault.arn
        self.plan_arn = plan.arn
        self.register_outputs({"vaultArn": self.vault_arn, "planArn": self.plan_arn})
