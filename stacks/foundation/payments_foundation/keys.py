"""A customer-managed KMS key with rotation on and an alias named by the convention."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class EncryptionKeyArgs:
    """Inputs of one customer-managed key."""

    alias: str
    """Full alias name, `alias/<resource>-key-production-<suffix>`; also the key's logical identity."""
    description: str
    """Shown in the KMS console: say what the key protects."""
    policy: pulumi.Input[str]
    """The key policy as JSON (built by `key_policies`)."""
    deletion_window_days: int
    """Days between scheduling deletion and deletion (7-30, validated with the settings)."""


class EncryptionKey(pulumi.ComponentResource):
    """A symmetric key with yearly automatic rotation, its policy, and its alias."""

    arn: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("payments:foundation:EncryptionKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(
            name,
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            policy=args.policy,
            opts=child,
        )
        alias = aws.kms.Alias(name, name=args.alias, target_key_id=key.key_id, opts=child)
        self.arn = key.arn
        self.alias_name = alias.name
        self.register_outputs({"arn": self.arn, "aliasName": self.alias_name})
