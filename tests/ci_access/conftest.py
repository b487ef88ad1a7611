"""Fixtures for the CI access tests: a scope like the real one, parliament with its documented false positives."""

from __future__ import annotations

import json
from typing import Any

import parliament
import pytest

from payments_ci_access.policies import CiScope
from payments_tools.mocks import ACCOUNT_ID, REGION

SUFFIX = "eu1"
STATE_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/aaaaaaaa-0000-4000-8000-000000000001"
SECRETS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/bbbbbbbb-0000-4000-8000-000000000002"

TRUST_FALSE_POSITIVES = {
    # A trust policy is a resource policy: it has no Resource element, by definition.
    ("MALFORMED", "Statement contains neither Resource nor NotResource"),
}
UNKNOWN_FEDERATION_SOURCE = "UNKNOWN_FEDERATION_SOURCE"
"""parliament knows Cognito and SAML sources only; an account's IAM OIDC provider ARN is how AWS documents GitHub's."""
BUCKET_POLICY_ESCALATION = "RESOURCE_POLICY_PRIVILEGE_ESCALATION"
"""The deploy role writes the project buckets' policies (the data layer's TLS-only policies) and so could grant
itself object access through one: inherent to any role that deploys bucket policies. Mitigated by review (PRs,
the production environment's required reviewers) and the bucket access logs, not by IAM."""


def lint(policy: dict[str, Any], kind: str = "identity", suffix: str = SUFFIX) -> list[tuple[str, Any]]:
    kept = []
    for finding in parliament.analyze_policy_string(json.dumps(policy)).findings:
        if kind == "trust" and (finding.issue, finding.detail) in TRUST_FALSE_POSITIVES:
            continue
        if (
            kind == "trust"
            and finding.issue == UNKNOWN_FEDERATION_SOURCE
            and str(finding.detail).endswith(":oidc-provider/token.actions.githubusercontent.com")
        ):
            continue
        if kind == "deploy" and finding.issue == BUCKET_POLICY_ESCALATION and f"arn:aws:s3:::*-production-{suffix}" in str(finding.detail):
            continue
        kept.append((finding.issue, finding.detail))
    return kept


@pytest.fixture(name="lint")
def lint_fixture() -> Any:
    return lint


def make_scope(suffix: str = SUFFIX, hosted_zone_id: str | None = "Z0123456789EXAMPLE") -> CiScope:
    return CiScope(
        account_id=ACCOUNT_ID,
        region=REGION,
        suffix=suffix,
        state_bucket=f"payments-state-{ACCOUNT_ID}-bucket-production-{suffix}",
        log_bucket=f"payments-state-logs-{ACCOUNT_ID}-bucket-production-{suffix}",
        state_key_arn=STATE_KEY,
        secrets_key_arn=SECRETS_KEY,
        hosted_zone_id=hosted_zone_id,
    )


@pytest.fixture
def scope() -> CiScope:
    return make_scope()
