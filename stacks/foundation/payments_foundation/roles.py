"""An IAM role assumed by one AWS service, with its inline policy and any AWS managed policies."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from payments_foundation.role_policies import assume_role_policy


@dataclass(frozen=True)
class ServiceRoleArgs:
    """Inputs of one service role."""

    role_name: str
    """Physical role name (naming rule; at most 64 characters)."""
    service: str
    """Service principal allowed to assume the role, e.g. `lambda.amazonaws.com`."""
    description: str
    """Why the role exists, shown in the IAM console."""
    inline_policy: pulumi.Input[str]
    """JSON of the role's inline policy; it always carries the eu-west-1 region deny."""
    managed_policy_arns: tuple[str, ...] = ()
    """AWS managed policies attached as well (the region deny in the inline policy still applies to them)."""


class ServiceRole(pulumi.ComponentResource):
    """Role + inline policy + managed policy attachments.

    The inline policy is a separate `RolePolicy` rather than the role's `inline_policies`
    argument so that a policy depending on another resource (the data key's ARN) never
    delays or replaces the role itself.
    """

    arn: pulumi.Output[str]
    role_name: pulumi.Output[str]

    def __init__(self, name: str, args: ServiceRoleArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("payments:foundation:ServiceRole", name, None, opts)
        if len(args.role_name) > 64:
            raise ValueError(f"role name {args.role_name!r} is {len(args.role_name)} characters; IAM allows at most 64")
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            name,
            name=args.role_name,
            description=args.description,
            assume_role_policy=json.dumps(assume_role_policy(args.service)),
            force_detach_policies=True,
            opts=child,
        )
        aws.iam.RolePolicy(name, name=args.role_name, role=role.name, policy=args.inline_policy, opts=child)
        for policy_arn in args.managed_policy_arns:
            aws.iam.RolePolicyAttachment(f"{name}-{policy_arn.rsplit('/', 1)[-1]}", role=role.name, policy_arn=policy_arn, opts=child)
        self.arn = role.arn
        self.role_name = role.name
        self.register_outputs({"arn": self.arn, "roleName": self.role_name})
