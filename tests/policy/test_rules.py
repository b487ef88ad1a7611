"""Every policy of the pack: a compliant and a violating resource, and the pack wiring CrossGuard runs."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from payments_policy import rules
from payments_policy.pack import from_policy_resource, policies
from payments_policy.records import layer_violations, to_resources
from payments_policy.rules import RULES, Resource, evaluate

KEY = "arn:aws:kms:eu-west-1:111122223333:key/5e1f0c2a-0000-4000-8000-7d2b9c4e1a30"
TAGS = {"Environment": "production", "MigratedFrom": "dev", "MigrationDate": "2026-12-01"}
PROVIDER = {"region": "eu-west-1", "defaultTags": json.dumps({"tags": TAGS})}


def res(typ: str, name: str, props: dict[str, Any], ident: str | None = None, provider: dict[str, Any] | None = PROVIDER) -> Resource:
    return Resource(type=typ, name=name, props=props, provider=provider, key=f"{typ}::{name}", identifiers=frozenset({ident or name}))


def violations_of(rule: str, resources: list[Resource]) -> list[str]:
    return [v.reason for v in evaluate(resources) if v.policy == rule]


FUNCTION_OK = {
    "runtime": "nodejs24.x",
    "reservedConcurrentExecutions": 50.0,
    "tracingConfig": {"mode": "Active"},
    "kmsKeyArn": KEY,
    "codeSigningConfigArn": "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-1",
}
CSC = res(
    rules.CODE_SIGNING_CONFIG,
    "csc",
    {"policies": {"untrustedArtifactOnDeployment": "Enforce"}},
    ident="arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-1",
)

# (rule, type, compliant props, violating props, what the reason must mention)
PER_RESOURCE = [
    (
        "cmk-encryption",
        rules.TABLE,
        {"serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY}},
        {"serverSideEncryption": {"enabled": True}},
        "kmsKeyArn",
    ),
    ("cmk-encryption", rules.LOG_GROUP, {"kmsKeyId": KEY}, {}, "kmsKeyId"),
    ("cmk-encryption", rules.TOPIC, {"kmsMasterKeyId": KEY}, {"kmsMasterKeyId": "alias/aws/sns"}, "kmsMasterKeyId"),
    (
        "cmk-encryption",
        rules.BUCKET_SSE,
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}}]},
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
        "SSE-KMS",
    ),
    (
        "cmk-encryption",
        rules.BUCKET_OBJECT,
        {"serverSideEncryption": "aws:kms", "kmsKeyId": KEY},
        {"serverSideEncryption": "aws:kms"},
        "kmsKeyId",
    ),
    ("cmk-encryption", rules.BACKUP_VAULT, {"kmsKeyArn": KEY}, {}, "kmsKeyArn"),
    ("cmk-encryption", rules.KMS_KEY, {"enableKeyRotation": True}, {"enableKeyRotation": False}, "rotation"),
    (
        "no-public-buckets",
        rules.BUCKET_PUBLIC_ACCESS,
        dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True),
        {**dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls"), True), "restrictPublicBuckets": False},
        "restrictPublicBuckets",
    ),
    (
        "no-public-buckets",
        rules.BUCKET_POLICY,
        {"policy": json.dumps({"Statement": [{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*"}]})},
        {"policy": json.dumps({"Statement": [{"Sid": "Open", "Effect": "Allow", "Principal": "*"}]})},
        "Open",
    ),
    (
        "lifecycle-settings",
        rules.BUCKET_LIFECYCLE,
        {
            "transitionDefaultMinimumObjectSize": "varies_by_storage_class",
            "rules": [{"status": "Enabled", "transitions": [{"days": 90, "storageClass": "GLACIER"}]}],
        },
        {"rules": [{"status": "Enabled", "transitions": [{"days": 90, "storageClass": "GLACIER"}]}]},
        "128 KB",
    ),
    (
        "lifecycle-settings",
        rules.BUCKET_LIFECYCLE,
        {
            "transitionDefaultMinimumObjectSize": "varies_by_storage_class",
            "rules": [{"status": "Enabled", "transitions": [{"days": 30, "storageClass": "GLACIER"}]}],
        },
        {
            "transitionDefaultMinimumObjectSize": "varies_by_storage_class",
            "rules": [{"status": "Enabled", "transitions": [{"days": 180, "storageClass": "GLACIER"}]}],
        },
        "90 days",
    ),
    ("table-pitr", rules.TABLE, {"pointInTimeRecovery": {"enabled": True}}, {"pointInTimeRecovery": {"enabled": False}}, "point-in-time"),
    ("table-on-demand", rules.TABLE, {"billingMode": "PAY_PER_REQUEST"}, {"billingMode": "PROVISIONED"}, "PAY_PER_REQUEST"),
    ("xray-tracing", rules.FUNCTION, {"tracingConfig": {"mode": "Active"}}, {"tracingConfig": {"mode": "PassThrough"}}, "Active"),
    ("xray-tracing", rules.STAGE, {"xrayTracingEnabled": True}, {"xrayTracingEnabled": False}, "xrayTracingEnabled"),
    ("log-retention-30-days", rules.LOG_GROUP, {"retentionInDays": 30}, {}, "never expire"),
    ("log-retention-30-days", rules.LOG_GROUP, {"retentionInDays": 30.0}, {"retentionInDays": 90}, "90"),
    ("creatable-runtime", rules.FUNCTION, {"runtime": "nodejs22.x"}, {"runtime": "nodejs18.x"}, "nodejs18.x"),
    ("reserved-concurrency", rules.FUNCTION, {"reservedConcurrentExecutions": 1}, {"reservedConcurrentExecutions": -1}, "at least 1"),
    ("reserved-concurrency", rules.FUNCTION, {"reservedConcurrentExecutions": 100.0}, {}, "unset"),
    ("code-signing", rules.FUNCTION, {"codeSigningConfigArn": "arn:csc"}, {}, "codeSigningConfigArn"),
    (
        "code-signing",
        rules.CODE_SIGNING_CONFIG,
        {"policies": {"untrustedArtifactOnDeployment": "Enforce"}},
        {"policies": {"untrustedArtifactOnDeployment": "Warn"}},
        "Enforce",
    ),
]


@pytest.mark.parametrize(
    ("rule", "typ", "good", "bad", "mentions"),
    PER_RESOURCE,
    ids=[f"{r}-{t.rsplit(':', 1)[-1]}-{i}" for i, (r, t, *_) in enumerate(PER_RESOURCE)],
)
def test_each_resource_policy_passes_a_compliant_resource_and_names_the_problem_of_a_violating_one(rule, typ, good, bad, mentions):
    check = next(r for r in RULES if r.name == rule).resource_check
    assert check is not None
    assert check(typ, good, PROVIDER) == []
    reasons = check(typ, bad, PROVIDER)
    assert reasons and mentions in " ".join(reasons)


def test_required_tags_come_from_the_provider_and_a_resource_cannot_override_them():
    assert rules.check_tags(rules.TABLE, {}, PROVIDER) == []
    [reason] = rules.check_tags(rules.TABLE, {"tags": {"Environment": "staging"}}, PROVIDER)
    assert "Environment='staging'" in reason
    [reason] = rules.check_tags(rules.TABLE, {"tags": {"MigrationDate": "2025-01-01"}}, PROVIDER)
    assert "MigrationDate" in reason and "2026-12-01" in reason
    assert "no explicit aws provider" in rules.check_tags(rules.TABLE, {}, None)[0]
    assert rules.check_tags("aws:s3/bucketVersioning:BucketVersioning", {}, None) == []  # not taggable


def test_only_eu_west_1_is_accepted():
    assert rules.check_region(rules.TABLE, {}, PROVIDER) == []
    assert "us-east-1" in rules.check_region(rules.TABLE, {}, {**PROVIDER, "region": "us-east-1"})[0]
    assert "unset" in rules.check_region(rules.TABLE, {}, None)[0]


def bucket_set(name: str = "b", *, skip: frozenset[str] = frozenset(), **overrides: dict[str, Any]) -> list[Resource]:
    """A bucket with every configuration resource, referring to it by name (as the plan and a deployed stack do)."""
    configs = {
        rules.BUCKET_VERSIONING: {"bucket": name, "versioningConfiguration": {"status": "Enabled"}},
        rules.BUCKET_LIFECYCLE: {
            "bucket": name,
            "transitionDefaultMinimumObjectSize": "varies_by_storage_class",
            "rules": [{"status": "Enabled", "transitions": [{"days": 90, "storageClass": "GLACIER"}]}],
        },
        rules.BUCKET_PUBLIC_ACCESS: {
            "bucket": name,
            **dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True),
        },
        rules.BUCKET_SSE: {
            "bucket": name,
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}}],
        },
        rules.BUCKET_LOGGING: {"bucket": name, "targetBucket": "logs"},
    }
    configs.update(overrides)
    return [res(rules.BUCKET, name, {"bucket": name})] + [
        res(typ, f"{name}-{typ.rsplit(':', 1)[-1]}", props) for typ, props in configs.items() if typ not in skip
    ]


def log_bucket() -> list[Resource]:
    return bucket_set("logs", skip=frozenset({rules.BUCKET_LOGGING}))


@pytest.mark.parametrize(
    ("rule", "missing"),
    [
        ("bucket-versioning", rules.BUCKET_VERSIONING),
        ("bucket-lifecycle", rules.BUCKET_LIFECYCLE),
        ("bucket-public-access-block", rules.BUCKET_PUBLIC_ACCESS),
        ("bucket-cmk-encryption", rules.BUCKET_SSE),
        ("access-trail", rules.BUCKET_LOGGING),
    ],
)
def test_each_bucket_policy_passes_a_complete_bucket_and_fails_one_missing_its_configuration(rule, missing):
    assert violations_of(rule, [*bucket_set(), *log_bucket()]) == []
    found = [v for v in evaluate([*bucket_set(skip=frozenset({missing})), *log_bucket()]) if v.policy == rule]
    assert f"{rules.BUCKET} b" in {v.resource for v in found}


def test_a_suspended_versioning_or_a_128k_lifecycle_does_not_count():
    suspended = bucket_set(**{rules.BUCKET_VERSIONING: {"bucket": "b", "versioningConfiguration": {"status": "Suspended"}}})
    assert violations_of("bucket-versioning", [*suspended, *log_bucket()])
    default_size = bucket_set(
        **{
            rules.BUCKET_LIFECYCLE: {
                "bucket": "b",
                "rules": [{"status": "Enabled", "transitions": [{"days": 90, "storageClass": "GLACIER"}]}],
            }
        }
    )
    assert violations_of("bucket-lifecycle", [*default_size, *log_bucket()])


def test_the_log_bucket_is_the_end_of_the_trail_but_a_bucket_logging_nowhere_is_not():
    assert violations_of("access-trail", log_bucket()) == [
        "access is not recorded: no S3 server access logging (BucketLogging) for this bucket"
    ]


def test_references_resolve_through_property_dependencies_when_values_are_unknown():
    """A preview of new resources: the BucketVersioning's `bucket` is unknown, but the engine knows it came from the bucket."""
    bucket = Resource(rules.BUCKET, "b", {"bucket": "b"}, PROVIDER, key="urn:b")
    versioning = Resource(
        rules.BUCKET_VERSIONING,
        "v",
        {"versioningConfiguration": {"status": "Enabled"}},
        PROVIDER,
        key="urn:v",
        depends_on={"bucket": frozenset({"urn:b"})},
    )
    assert rules.check_buckets_versioned([bucket, versioning]) == []
    assert rules.check_buckets_versioned([bucket, Resource(rules.BUCKET_VERSIONING, "v", versioning.props, PROVIDER, key="urn:v")])


def test_waf_on_stage():
    stage = res(rules.STAGE, "stage", {"stageName": "production", "xrayTracingEnabled": True}, ident="arn:stage")
    association = res(rules.WAF_ASSOCIATION, "waf", {"resourceArn": "arn:stage", "webAclArn": "arn:acl"})
    assert violations_of("waf-on-stage", [stage, association]) == []
    assert violations_of("waf-on-stage", [stage]) == ["no WAFv2 web ACL associated with the stage"]


def test_code_signing_enforced_on_every_function():
    function = res(rules.FUNCTION, "f", dict(FUNCTION_OK))
    assert violations_of("code-signing-enforced", [function, CSC]) == []
    warn = res(
        rules.CODE_SIGNING_CONFIG, "csc", {"policies": {"untrustedArtifactOnDeployment": "Warn"}}, ident=FUNCTION_OK["codeSigningConfigArn"]
    )
    assert violations_of("code-signing-enforced", [function, warn])


def test_policy_names_are_unique_valid_and_each_states_its_requirement():
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    assert all(r.requirement.endswith(".") and r.level == "mandatory" for r in RULES)
    built = policies()
    assert [p.name for p in built] == names
    assert all(p.description for p in built)
    required = {
        "cmk-encryption",
        "required-tags",
        "eu-west-1-only",
        "no-public-buckets",
        "bucket-versioning",
        "bucket-lifecycle",
        "table-pitr",
        "table-on-demand",
        "xray-tracing",
        "log-retention-30-days",
        "creatable-runtime",
        "reserved-concurrency",
        "code-signing",
        "waf-on-stage",
        "access-trail",
    }
    assert required <= set(names)


def test_the_crossguard_policies_call_the_same_functions():
    """Drive the pack's validators as the engine would, with CrossGuard-shaped arguments."""
    reported: list[tuple[str, str | None]] = []
    by_name = {p.name: p for p in policies()}
    args = SimpleNamespace(
        resource_type=rules.FUNCTION, props={**FUNCTION_OK, "runtime": "nodejs18.x"}, provider=SimpleNamespace(props=PROVIDER)
    )
    by_name["creatable-runtime"].validate(args, lambda message, urn=None: reported.append((message, urn)))
    assert len(reported) == 1 and reported[0][1] is None
    assert reported[0][0].startswith("nodejs18.x was deprecated by AWS Lambda on 2025-09-01")

    stage = SimpleNamespace(
        resource_type=rules.STAGE,
        name="stage",
        urn="urn:stage",
        props={"stageName": "p"},
        provider=SimpleNamespace(props=PROVIDER),
        property_dependencies={},
    )
    reported.clear()
    by_name["waf-on-stage"].validate(SimpleNamespace(resources=[stage]), lambda message, urn=None: reported.append((message, urn)))
    assert reported == [("no WAFv2 web ACL associated with the stage", "urn:stage")]
    association = SimpleNamespace(
        resource_type=rules.WAF_ASSOCIATION,
        name="waf",
        urn="urn:waf",
        props={"webAclArn": "arn:acl"},
        provider=None,
        property_dependencies={"resourceArn": [stage]},
    )
    reported.clear()
    by_name["waf-on-stage"].validate(
        SimpleNamespace(resources=[stage, association]), lambda message, urn=None: reported.append((message, urn))
    )
    assert reported == []
    assert from_policy_resource(association).depends_on == {"resourceArn": frozenset({"urn:stage"})}


def test_plan_records_resolve_their_own_provider():
    provider = {"type": rules.AWS_PROVIDER, "name": "production", "id": "p1", "inputs": PROVIDER, "state": PROVIDER}
    other = {"type": rules.AWS_PROVIDER, "name": "us", "id": "p2", "inputs": {**PROVIDER, "region": "us-east-1"}, "state": {}}
    table = {
        "type": rules.TABLE,
        "name": "t",
        "id": "t",
        "provider": "urn:pulumi:prod::x::pulumi:providers:aws::us::p2",
        "inputs": {
            "billingMode": "PAY_PER_REQUEST",
            "pointInTimeRecovery": {"enabled": True},
            "serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY},
        },
        "state": {},
    }
    [v] = layer_violations([provider, other, table])
    assert (v.policy, v.resource) == ("eu-west-1-only", f"{rules.TABLE} t")
    assert to_resources([provider, {**table, "provider": ""}])[1].provider == PROVIDER


def test_a_preview_of_new_resources_judges_stack_rules_by_dependencies_not_unknown_values():
    """The engine marks unknown values with sentinels; a stack policy must neither crash on them nor read them as values."""
    from pulumi_policy import proxy

    unknown = proxy.UNKNOWN_STRING_VALUE
    stage = SimpleNamespace(
        resource_type=rules.STAGE,
        name="stage",
        urn="urn:stage",
        props={"stageName": "p", "restApi": unknown},
        provider=SimpleNamespace(props=PROVIDER),
        property_dependencies={},
    )
    association = SimpleNamespace(
        resource_type=rules.WAF_ASSOCIATION,
        name="waf",
        urn="urn:waf",
        props={"resourceArn": unknown, "webAclArn": unknown},
        provider=None,
        property_dependencies={"resourceArn": [stage], "webAclArn": [SimpleNamespace(urn="urn:acl")]},
    )
    converted = from_policy_resource(association)
    assert converted.props == {} and converted.has("webAclArn")
    reported: list[str] = []
    waf = next(p for p in policies() if p.name == "waf-on-stage")
    waf.validate(SimpleNamespace(resources=[stage, association]), lambda message, urn=None: reported.append(message))
    assert reported == []
