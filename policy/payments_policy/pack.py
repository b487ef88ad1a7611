"""The rules as a Pulumi CrossGuard policy pack: one policy per rule, mandatory.

The engine hands each policy CrossGuard's `PolicyResource`s; they are turned into the rules'
`Resource` (cross-resource references through the engine's property dependencies, which are
known in a preview even when the referenced ARN is not) and judged by the same functions the
offline plan and the report use. In a per-resource policy a value still unknown during a
preview raises inside the check, and CrossGuard skips that resource rather than reporting a
false violation; a stack policy sees unknown values as absent and follows dependencies instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyPack,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    proxy,
)
from pulumi_policy.deserialize import serialize_properties

from payments_policy.records import IDENTIFYING_KEYS
from payments_policy.rules import RULES, Resource, Rule, applicable

PACK_NAME = "payments-compliance"

UNKNOWN_SENTINELS: frozenset[str] = frozenset(
    {
        proxy.UNKNOWN_BOOLEAN_VALUE,
        proxy.UNKNOWN_NUMBER_VALUE,
        proxy.UNKNOWN_STRING_VALUE,
        proxy.UNKNOWN_ARRAY_VALUE,
        proxy.UNKNOWN_ASSET_VALUE,
        proxy.UNKNOWN_ARCHIVE_VALUE,
        proxy.UNKNOWN_OBJECT_VALUE,
    }
)
"""How the engine marks a value a preview cannot know yet."""


def known(value: Any) -> Any:
    """`value` with every not-yet-known part left out, so a stack rule sees it as absent (and relies on dependencies)."""
    if isinstance(value, Mapping):
        return {k: known(v) for k, v in value.items() if not (isinstance(v, str) and v in UNKNOWN_SENTINELS)}
    if isinstance(value, list):
        return [known(v) for v in value if not (isinstance(v, str) and v in UNKNOWN_SENTINELS)]
    return value


def _identifiers(props: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(str(v) for k in IDENTIFYING_KEYS if isinstance(v := props.get(k), str) and v)


def from_policy_resource(resource: PolicyResource) -> Resource:
    """CrossGuard's view of a resource → the rules' view (raw properties: reading an unknown one must not abort the stack check)."""
    props = known(serialize_properties(resource.props))
    provider = known(serialize_properties(resource.provider.props)) if resource.provider is not None else None
    return Resource(
        type=resource.resource_type,
        name=resource.name,
        props=props,
        provider=provider,
        key=resource.urn,
        identifiers=_identifiers(props),
        depends_on={prop: frozenset(r.urn for r in deps) for prop, deps in (resource.property_dependencies or {}).items()},
    )


def _resource_validator(rule: Rule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    check = rule.resource_check
    assert check is not None

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not applicable(rule, args.resource_type):
            return
        provider = args.provider.props if args.provider is not None else None
        for reason in check(args.resource_type, args.props, provider):
            report_violation(reason, None)

    return validate


def _stack_validator(rule: Rule) -> Callable[[StackValidationArgs, ReportViolation], None]:
    check = rule.stack_check
    assert check is not None

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [from_policy_resource(r) for r in args.resources if not r.resource_type.startswith("pulumi:")]
        for resource, reason in check(resources):
            report_violation(reason, resource.key or None)

    return validate


def policies() -> list[Policy]:
    """One CrossGuard policy per rule, each described by the requirement it enforces."""
    built: list[Policy] = []
    for rule in RULES:
        level = EnforcementLevel.MANDATORY if rule.level == "mandatory" else EnforcementLevel.ADVISORY
        if rule.resource_check is not None:
            built.append(ResourceValidationPolicy(rule.name, rule.requirement, _resource_validator(rule), level))
        if rule.stack_check is not None:
            built.append(StackValidationPolicy(rule.name, rule.requirement, _stack_validator(rule), level))
    return built


def build_pack() -> PolicyPack:
    """The pack the Pulumi CLI loads from `policy/` (`--policy-pack policy`)."""
    return PolicyPack(name=PACK_NAME, enforcement_level=EnforcementLevel.MANDATORY, policies=policies())
