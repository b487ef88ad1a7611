"""Resources as the offline plan and the report record them → the rules' `Resource`.

A record is `{type, name, id, inputs, state, provider?}`: what `PlanMocks` captures, and what
`pulumi stack export` gives (its `outputs` read as `state`). Cross-resource references are
resolved by value here (the mock and a deployed stack know every id and ARN), where the policy
pack uses the engine's property dependencies instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from payments_policy.rules import AWS_PROVIDER, Resource, Violation, evaluate

IDENTIFYING_KEYS: tuple[str, ...] = ("arn", "bucket", "name", "id")
"""State attributes other resources use to point at a resource."""


def _provider_props(record: Mapping[str, Any], providers: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The inputs of the provider a record was registered with; its layer's only aws provider when it does not say."""
    ref = str(record.get("provider") or "")
    ref_urn, _, ref_id = ref.rpartition("::")
    for provider in providers:
        if ref and (provider.get("urn") == ref_urn or (ref_id and provider.get("id") == ref_id)):
            return {**(provider.get("state") or {}), **(provider.get("inputs") or {})}
    if len(providers) == 1 and not ref:
        return {**(providers[0].get("state") or {}), **(providers[0].get("inputs") or {})}
    return None


def to_resource(record: Mapping[str, Any], providers: Sequence[Mapping[str, Any]] = ()) -> Resource:
    """One record as the rules see it; a deployed resource's real tags (`tagsAll`) stand in for its own."""
    state = record.get("state") or {}
    props = dict(record.get("inputs") or {})
    if isinstance(state.get("tagsAll"), Mapping):
        props["tags"] = dict(state["tagsAll"])
    identifiers = {str(v) for k in IDENTIFYING_KEYS if isinstance(v := state.get(k), str) and v}
    if record.get("id"):
        identifiers.add(str(record["id"]))
    return Resource(
        type=str(record.get("type", "")),
        name=str(record.get("name", "")),
        props=props,
        provider=_provider_props(record, providers),
        key=str(record.get("urn") or f"{record.get('type')}::{record.get('name')}"),
        identifiers=frozenset(identifiers),
    )


def to_resources(records: Sequence[Mapping[str, Any]]) -> list[Resource]:
    """Every record of one stack (layer), providers resolved within it."""
    providers = [r for r in records if r.get("type") == AWS_PROVIDER]
    return [to_resource(r, providers) for r in records]


def layer_violations(records: Sequence[Mapping[str, Any]]) -> list[Violation]:
    """The policy pack's verdict on one layer's recorded resources: what `pulumi preview --policy-pack` would refuse."""
    return evaluate(to_resources(records))
