"""From settings and the account to the CiScope the policies are built from."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from payments_ci_access.policies import CiScope
from payments_tools.bootstrap import BootstrapNames, secrets_key_alias, state_key_alias
from shared.errors import ConfigError
from shared.settings import EXAMPLE_GITHUB_REPOSITORY, Settings


def ci_scope(settings: Settings, account_id: pulumi.Output[str], invoke: pulumi.InvokeOutputOptions) -> pulumi.Output[CiScope]:
    """The bootstrap's bucket names follow from the account; its keys' ARNs are looked up by alias.

    Looking the keys up (rather than taking ARNs from config) also fails early, naming the alias,
    when `make bootstrap` has not run in this account.
    """
    suffix = settings.environment_suffix
    state_key = aws.kms.get_key_output(key_id=state_key_alias(suffix), opts=invoke).arn
    secrets_key = aws.kms.get_key_output(key_id=secrets_key_alias(suffix), opts=invoke).arn
    return pulumi.Output.all(account_id, state_key, secrets_key).apply(
        lambda values: _scope(settings, BootstrapNames.of(settings, values[0]), values[1], values[2])
    )


def _scope(settings: Settings, names: BootstrapNames, state_key_arn: str, secrets_key_arn: str) -> CiScope:
    return CiScope(
        account_id=names.account_id,
        region=settings.region,
        suffix=settings.environment_suffix,
        state_bucket=names.state_bucket,
        log_bucket=names.log_bucket,
        state_key_arn=state_key_arn,
        secrets_key_arn=secrets_key_arn,
        hosted_zone_id=settings.api.hosted_zone_id,
    )


def trusted_repository(settings: Settings) -> str:
    """The `<owner>/<repo>` the CI roles will trust; the shipped placeholder is refused.

    Roles that trust the placeholder would let whoever owns that name on GitHub run workflows that
    preview and deploy production. So the program stops before it registers anything and says
    which setting to change.
    """
    repository = settings.github.repository
    if repository == EXAMPLE_GITHUB_REPOSITORY:
        raise ConfigError(
            "github.repository",
            f"{repository} is the example placeholder; set the <owner>/<repo> whose workflows may preview and deploy "
            "production in config/production.yaml before make bootstrap-access",
        )
    return repository
