"""The one AWS provider every production resource is created with."""

from __future__ import annotations

import pulumi_aws as aws

from shared.settings import Settings, require_region
from shared.tags import production_tags

PROVIDER_NAME = "production"
"""The provider's logical name: every AWS resource's provider reference names it."""


def account_guard(allowed_account_ids: tuple[str, ...], dev_account_id: str) -> dict[str, list[str]]:
    """The provider arguments that keep it off the wrong account.

    With production accounts configured, only those are allowed. Without, the dev account is
    forbidden, so a dev profile left in the shell can never receive production changes. Never
    both: the AWS provider declares `allowed_account_ids` and `forbidden_account_ids` as
    conflicting (ConflictsWith in its schema) and refuses a configuration setting both.
    """
    if allowed_account_ids:
        return {"allowed_account_ids": list(allowed_account_ids)}
    return {"forbidden_account_ids": [dev_account_id]}


def production_provider(settings: Settings, *, dev_account_id: str) -> aws.Provider:
    """An explicit provider pinned to eu-west-1 with the production tags as default_tags.

    Explicit rather than the ambient default provider so a stray `aws:region` in a stack's
    config or the shell cannot move production elsewhere, and so tags apply even under the
    mock runtime, where resource transforms do not run. It also carries the account guard.

    It reaches every component one way, as Pulumi's own components take it:
    `opts=pulumi.ResourceOptions(provider=...)`. A component's children are created with
    `parent=self` only; Pulumi's Python SDK puts a component's `provider` into its provider
    map and every child (and grandchild) of the `aws` package inherits it from its parent.
    `tests/test_conventions.py` checks that every AWS resource of every layer ends up with it.
    """
    guard = account_guard(settings.allowed_account_ids, dev_account_id)
    return aws.Provider(
        PROVIDER_NAME,
        region=require_region(settings.region),
        default_tags=aws.ProviderDefaultTagsArgs(tags=production_tags(settings.migration_date)),
        allowed_account_ids=guard.get("allowed_account_ids"),
        forbidden_account_ids=guard.get("forbidden_account_ids"),
    )
