"""The one naming rule of the migration.

A mirrored resource keeps its dev name with the trailing environment token replaced
(`payments-transactions-dev` → `payments-transactions-production-eu1`), so engineers can
find a production resource from its dev twin by eye; resources with no dev twin follow
`<resource>-<type>-production-<suffix>`. Both end in the stack's environment suffix, so
two production environments in one account never collide.

Pulumi logical names (the last part of every URN) follow one scheme too, `logical_name`:
the production name of what a resource is or belongs to, never its dev name.
"""

from __future__ import annotations

import re

ENVIRONMENT = "production"
DEV_ENVIRONMENT = "dev"

# AWS limits on physical names, per resource type. Checked when the inventory is validated
# so an over-long name fails before anything is created, not half-way through a deploy.
NAME_LIMITS: dict[str, int] = {
    "s3_bucket": 63,
    "lambda_function": 64,
    "iam_role": 64,
    "dynamodb_table": 255,
    "dynamodb_index": 255,
    "rest_api": 1024,
    "log_group": 512,
    "kms_alias": 256,
    "sns_topic": 256,
    "cloudwatch_alarm": 255,
    "backup_vault": 50,
    "backup_plan": 50,
    "wafv2_web_acl": 128,
    "dashboard": 255,
}

_SUFFIX_RE = re.compile(r"^[a-z0-9]{1,8}$")
_DEV_TOKEN_RE = re.compile(r"(?:^|[-_.])(dev|development)$")


def validate_suffix(suffix: str) -> str:
    """Return the suffix if usable in every AWS name (S3 forbids upper case), else raise ValueError."""
    if not _SUFFIX_RE.match(suffix):
        raise ValueError(f"environmentSuffix {suffix!r} must be 1-8 lowercase letters or digits")
    return suffix


def production_name(dev_name: str, suffix: str) -> str:
    """Rename a dev resource to its production twin by replacing its trailing environment token.

    Raises ValueError when the dev name carries no trailing `dev` token: guessing would
    produce a production name nobody can trace back to its dev twin.
    """
    match = _DEV_TOKEN_RE.search(dev_name)
    if not match:
        raise ValueError(f"dev name {dev_name!r} does not end in an environment token such as '-dev'")
    stem = dev_name[: match.start(1)]
    return f"{stem}{ENVIRONMENT}-{validate_suffix(suffix)}"


def resource_name(resource: str, resource_type: str, suffix: str) -> str:
    """Name a resource with no dev twin: `<resource>-<type>-production-<suffix>`."""
    parts = [p for p in (resource, resource_type) if p]
    return "-".join([*parts, ENVIRONMENT, validate_suffix(suffix)])


def check_length(name: str, kind: str) -> str | None:
    """Return why `name` is too long for AWS resource type `kind`, or None when it fits."""
    limit = NAME_LIMITS[kind]
    if len(name) > limit:
        return f"production name {name!r} is {len(name)} characters; AWS allows at most {limit} for {kind.replace('_', ' ')}"
    return None


def dev_stem(dev_name: str) -> str:
    """The dev name without its trailing environment token (`payments-transactions-dev` → `payments-transactions`)."""
    match = _DEV_TOKEN_RE.search(dev_name)
    if not match:
        raise ValueError(f"dev name {dev_name!r} does not end in an environment token such as '-dev'")
    return dev_name[: match.start()]


def derived_name(dev_name: str, resource_type: str, suffix: str) -> str:
    """Name a resource that belongs to a mirrored one (its role, its alarm): `<stem>-<type>-production-<suffix>`."""
    return resource_name(dev_stem(dev_name), resource_type, suffix)


_DEV_TOKEN_ANYWHERE_RE = re.compile(r"(?:^|[-_.])(dev|development)(?=$|[-_.])")


def logical_name(base: str, *roles: str) -> str:
    """The Pulumi logical name of a resource: `<base>[-<role>...]`, the one scheme of every layer.

    `base` is the production name of what the resource is or belongs to
    (`payments-transactions-production-eu1`), or a role word for a resource a layer has once
    (`payments-api`, `waf`); a component's children add their role (`<component>-logs`). The
    logical name is in every URN and `pulumi preview` line, so a dev name there would present
    a production resource as a dev one: a part carrying a `dev` token raises ValueError.
    """
    parts = (base, *roles)
    for part in parts:
        if not part or any(c.isspace() for c in part) or "::" in part:
            raise ValueError(f"logical name part {part!r} must be non-empty, without spaces or '::' (the URN separator)")
        if _DEV_TOKEN_ANYWHERE_RE.search(part):
            raise ValueError(f"logical name part {part!r} carries a dev token; use the production name")
    return "-".join(parts)
