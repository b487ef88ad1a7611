"""The CI access component: GitHub's OIDC provider, the preview role and the deploy role."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from payments_ci_access.policies import (
    DEPLOY_POLICY_PARTS,
    GITHUB_OIDC_AUDIENCE,
    GITHUB_OIDC_HOST,
    CiScope,
    ci_role_name,
    deploy_role_policies,
    github_trust_policy,
    oidc_provider_arn,
    preview_role_policy,
)
from shared.arns import PARTITION
from shared.naming import resource_name

PREVIEW_SESSION_SECONDS = 3600
"""One hour: a preview takes minutes; a leaked session token expires soon after."""
DEPLOY_SESSION_SECONDS = 7200
"""Two hours: the edge layer's update may wait on ACM's DNS validation (the provider waits up to
75 minutes); the deploy job asks for the same duration and times out with it."""


@dataclass(frozen=True)
class CiAccessArgs:
    """Inputs of the CI access."""

    suffix: str
    """The environment suffix every name ends in."""
    repository: str
    """`<owner>/<repo>` whose workflows may assume the roles."""
    deploy_environment: str
    """GitHub environment a deploy job must run in to assume the deploy role."""
    create_oidc_provider: bool
    """False when the account's GitHub OIDC provider already exists (IAM allows one per issuer)."""
    scope: pulumi.Output[CiScope]
    """Account, region, bootstrap bucket and key ARNs: what the policies are built from."""


def deploy_policy_name(part: str, suffix: str) -> str:
    """`payments-ci-deploy-<part>-policy-production-<suffix>`."""
    return resource_name(f"payments-ci-deploy-{part}", "policy", suffix)


class CiAccess(pulumi.ComponentResource):
    """The only way CI reaches the account: short-lived OIDC sessions of two roles trusted by one repository."""

    preview_role_arn: pulumi.Output[str]
    deploy_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: CiAccessArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("payments:ci:Access", name, None, opts)
        child = pulumi.ResourceOptions(provider=opts.provider, parent=self)
        account_id = args.scope.apply(lambda s: s.account_id)
        provider_deps: list[pulumi.Resource] = []
        if args.create_oidc_provider:
            # No thumbprint: for GitHub, IAM validates the issuer against its own trusted CAs.
            provider_deps.append(
                aws.iam.OpenIdConnectProvider(
                    "github",
                    url=f"https://{GITHUB_OIDC_HOST}",
                    client_id_lists=[GITHUB_OIDC_AUDIENCE],
                    opts=child,
                )
            )
        role_opts = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=provider_deps))
        preview_name, deploy_name = ci_role_name("preview", args.suffix), ci_role_name("deploy", args.suffix)

        preview = aws.iam.Role(
            "preview",
            name=preview_name,
            description=f"Read-only pulumi preview from pull requests of {args.repository}",
            assume_role_policy=account_id.apply(lambda a: json.dumps(github_trust_policy(a, args.repository, "pull_request"))),
            max_session_duration=PREVIEW_SESSION_SECONDS,
            force_detach_policies=True,
            opts=role_opts,
        )
        aws.iam.RolePolicy(
            "preview",
            name=preview_name,
            role=preview.name,
            policy=args.scope.apply(lambda s: json.dumps(preview_role_policy(s))),
            opts=child,
        )

        deploy = aws.iam.Role(
            "deploy",
            name=deploy_name,
            description=f"Deploys the five layers from {args.repository}, environment {args.deploy_environment} only",
            assume_role_policy=account_id.apply(
                lambda a: json.dumps(github_trust_policy(a, args.repository, f"environment:{args.deploy_environment}"))
            ),
            max_session_duration=DEPLOY_SESSION_SECONDS,
            force_detach_policies=True,
            opts=role_opts,
        )
        policy_names = {part: deploy_policy_name(part, args.suffix) for part in DEPLOY_POLICY_PARTS}
        documents = args.scope.apply(
            lambda s: deploy_role_policies(
                s, (preview_name, deploy_name), [f"arn:{PARTITION}:iam::{s.account_id}:policy/{n}" for n in policy_names.values()]
            )
        )
        for part, policy_name in policy_names.items():
            policy = aws.iam.Policy(
                f"deploy-{part}",
                name=policy_name,
                description=f"CI deploy role: {part}",
                policy=documents.apply(lambda d, part=part: json.dumps(d[part])),  # type: ignore[misc]
                opts=child,
            )
            aws.iam.RolePolicyAttachment(f"deploy-{part}", role=deploy.name, policy_arn=policy.arn, opts=child)

        self.preview_role_arn = preview.arn
        self.deploy_role_arn = deploy.arn
        self.oidc_provider_arn = account_id.apply(oidc_provider_arn)
        self.register_outputs(
            {"previewRoleArn": self.preview_role_arn, "deployRoleArn": self.deploy_role_arn, "oidcProviderArn": self.oidc_provider_arn}
        )
