"""CI access: GitHub's OIDC provider and the preview and deploy roles (run by an administrator, never by CI).

Not part of the foundation layer on purpose: the deploy role deploys foundation, and a role that
deploys the stack defining it can rewrite its own permissions. See README.md.
"""

from pathlib import Path

import pulumi
import pulumi_aws as aws

from payments_ci_access.access import CiAccess, CiAccessArgs
from payments_ci_access.scope import ci_scope, trusted_repository
from shared.layer import start_layer

# The same start as every layer: validated settings, and the provider pinned to eu-west-1 that
# refuses the dev account.
ctx = start_layer("ci-access", Path(__file__).parent)
settings = ctx.settings
repository = trusted_repository(settings)
invoke = pulumi.InvokeOutputOptions(provider=ctx.provider)
account_id = aws.get_caller_identity_output(opts=invoke).account_id
scope = ci_scope(settings, account_id, invoke)

access = CiAccess(
    "ci",
    CiAccessArgs(
        suffix=settings.environment_suffix,
        repository=repository,
        deploy_environment=settings.github.deploy_environment,
        create_oidc_provider=settings.github.create_oidc_provider,
        scope=scope,
    ),
    pulumi.ResourceOptions(provider=ctx.provider),
)

pulumi.export("previewRoleArn", access.preview_role_arn)
pulumi.export("deployRoleArn", access.deploy_role_arn)
pulumi.export("oidcProviderArn", access.oidc_provider_arn)
