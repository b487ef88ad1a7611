"""The one AWS provider every production resource is created with."""

from __future__ import annotations

import pulumi_aws as aws

from shared.settings import Settings, require_region
from shared.tags import production_tags

PROVIDER_NAME = "production"
"""The provider's logical name: every AWS resource's provider reference names it."""


def production_provider(settings: Settings) -> aws.Provider:
    """An explicit provider pinned to eu-west-1 with the production tags as default_tags.

    Explicit rather than the ambient default provider so a stray `aws:region` in a stack's
    config or the shell cannot move production elsewhere, and so tags apply even under the
    mock runtime, where resource transforms do not run.

    It reaches every component one way, as Pulumi's own components take it:
    `opts=pulumi.ResourceOptions(provider=...)`. A component's children are created with
    `parent=self` only; Pulumi's Python SDK puts a component's `provider` into its provider
    map and every child (and grandchild) of the `aws` package inherits it from its parent.
    `tests/test_conventions.py` checks that every AWS resource of every layer ends up with it.
    """
    return aws.Provider(
        PROVIDER_NAME,
        region=require_region(settings.region),
        default_tags=aws.ProviderDefaultTagsArgs(tags=production_tags(settings.migration_date)),
        allowed_account_ids=list(settings.allowed_account_ids) or None,
    )

