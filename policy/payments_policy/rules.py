"""The compliance rules, once: pure functions over resources, used by three callers.

- the Pulumi policy pack (`policy/__main__.py`), which a real `pulumi preview`/`up` runs
  (`--policy-pack policy`), so a mandatory violation stops the deploy;
- the offline plan (`make plan`), which runs them over every recorded resource;
- the migration report (`make report`), whose compliance table is their verdict.

A rule sees resources in one neutral shape (`Resource`): type token, logical name, input
properties, the provider's properties, and how it refers to other resources. Each caller
builds that shape from what it has (CrossGuard's `PolicyResource`, the plan's records, a
stack export). A per-resource rule is a function of (type, props, provider props); a stack
rule, for requirements that span resources (v7 splits a bucket into several resources), a
function of every resource of the stack.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from shared import runtimes

REGION = "eu-west-1"
"""The only region production may use."""
REQUIRED_TAG_VALUES: Mapping[str, str] = {"Environment": "production", "MigratedFrom": "dev"}
"""Fixed values; MigrationDate is an ISO date fixed in configuration, checked for presence and format."""
LOG_RETENTION_DAYS = 30
GLACIER_AFTER_DAYS = 90
SMALL_OBJECTS_RULE = "varies_by_storage_class"
"""With S3's default (`all_storage_classes_128K`) objects under 128 KB never transition."""

Level = Literal["mandatory", "advisory"]

# Type tokens the rules look at.
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
BUCKET_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
BUCKET_OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
TABLE = "aws:dynamodb/table:Table"
FUNCTION = "aws:lambda/function:Function"
CODE_SIGNING_CONFIG = "aws:lambda/codeSigningConfig:CodeSigningConfig"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TOPIC = "aws:sns/topic:Topic"
BACKUP_VAULT = "aws:backup/vault:Vault"
KMS_KEY = "aws:kms/key:Key"
STAGE = "aws:apigateway/stage:Stage"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
AWS_PROVIDER = "pulumi:providers:aws"

TAGGABLE: frozenset[str] = frozenset(
    {
        BUCKET,
        TABLE,
        FUNCTION,
        LOG_GROUP,
        TOPIC,
        BACKUP_VAULT,
        KMS_KEY,
        STAGE,
        CODE_SIGNING_CONFIG,
        "aws:iam/role:Role",
        "aws:backup/plan:Plan",
        "aws:apigateway/restApi:RestApi",
        "aws:wafv2/webAcl:WebAcl",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:cloudwatch/dashboard:Dashboard",
        "aws:acm/certificate:Certificate",
        "aws:apigateway/domainName:DomainName",
        "aws:signer/signingProfile:SigningProfile",
        BUCKET_OBJECT,
    }
)
"""Resource types of this project that carry tags (those whose pulumi-aws schema has `tags`)."""


@dataclass(frozen=True)
class Resource:
    """One resource as every rule sees it, whoever built it."""

    type: str
    """Pulumi type token, e.g. `aws:s3/bucket:Bucket`."""
    name: str
    """Logical name (URN's last segment)."""
    props: Mapping[str, Any]
    """Input properties in the engine's camelCase; a value not known yet (preview) is absent."""
    provider: Mapping[str, Any] | None = None
    """The provider's input properties (region, defaultTags), when known."""
    key: str = ""
    """Unique key within the stack (URN, or type + name)."""
    identifiers: frozenset[str] = frozenset()
    """Values other resources use to refer to it (id, physical name, ARN)."""
    depends_on: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Property name → keys of the resources its value came from (CrossGuard's property dependencies)."""

    def has(self, prop: str) -> bool:
        """Whether `prop` is set, or (preview) will be set from another resource's output."""
        return self.props.get(prop) is not None or bool(self.depends_on.get(prop))

    def refers_to(self, prop: str, target: Resource) -> bool:
        """Whether this resource's `prop` points at `target`, by dependency (preview) or by value (plan, state)."""
        if target.key and target.key in self.depends_on.get(prop, frozenset()):
            return True
        value = self.props.get(prop)
        return isinstance(value, str) and value in target.identifiers


@dataclass(frozen=True)
class Violation:
    """A rule a resource breaks, and why."""

    resource: str
    """`<type> <logical name>`."""
    policy: str
    reason: str
    level: Level = "mandatory"

    def __str__(self) -> str:
        return f"{self.resource}: {self.policy}: {self.reason}"


ResourceCheck = Callable[[str, Mapping[str, Any], Mapping[str, Any] | None], list[str]]
"""(type, props, provider props) → reasons it fails (empty when compliant or not applicable)."""
StackCheck = Callable[[Sequence[Resource]], list[tuple[Resource, str]]]
"""Every resource of a stack → (resource, reason) per failure."""


@dataclass(frozen=True)
class Rule:
    """One policy: its name, the requirement it enforces, and its check."""

    name: str
    """Policy name (CrossGuard: lower-case, dashes)."""
    requirement: str
    """What the migration requires, in one sentence (the policy's description)."""
    applies_to: frozenset[str]
    """Types it judges; a per-resource rule ignores others, a stack rule is the report's row set."""
    resource_check: ResourceCheck | None = None
    stack_check: StackCheck | None = None
    level: Level = "mandatory"


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _is_customer_key(key: Any) -> bool:
    return isinstance(key, str) and bool(key) and not key.startswith("alias/aws/")


# --- per-resource checks -----------------------------------------------------------------------


def check_cmk(typ: str, props: Mapping[str, Any], provider: Mapping[str, Any] | None = None) -> list[str]:
    """Everything that can be encrypted is, with a customer-managed KMS key."""
    if typ == TABLE:
        sse = props.get("serverSideEncryption") or {}
        if sse.get("enabled") and _is_customer_key(sse.get("kmsKeyArn")):
            return []
        return ["serverSideEncryption.kmsKeyArn is not a customer-managed key"]
    if typ == BUCKET_SSE:
        rules = props.get("rules") or []
        defaults = [r.get("applyServerSideEncryptionByDefault") or {} for r in rules]
        good = defaults and all(d.get("sseAlgorithm") == "aws:kms" and _is_customer_key(d.get("kmsMasterKeyId")) for d in defaults)
        return [] if good else ["default encryption is not SSE-KMS with a customer-managed key"]
    if typ == BUCKET_OBJECT:
        good = props.get("serverSideEncryption") == "aws:kms" and _is_customer_key(props.get("kmsKeyId"))
        return [] if good else ["object is not SSE-KMS with a customer-managed key (kmsKeyId)"]
    fields = {LOG_GROUP: "kmsKeyId", TOPIC: "kmsMasterKeyId", FUNCTION: "kmsKeyArn", BACKUP_VAULT: "kmsKeyArn"}
    if typ in fields:
        return [] if _is_customer_key(props.get(fields[typ])) else [f"{fields[typ]} is not a customer-managed key"]
    if typ == KMS_KEY:
        return [] if props.get("enableKeyRotation") else ["key rotation is off (enableKeyRotation)"]
    return []


def _provider_tags(provider: Mapping[str, Any] | None) -> dict[str, Any]:
    default_tags = _json((provider or {}).get("defaultTags")) or {}
    tags = default_tags.get("tags") if isinstance(default_tags, Mapping) else None
    return dict(_json(tags) or {}) if isinstance(_json(tags), Mapping) else {}


def check_tags(typ: str, props: Mapping[str, Any], provider: Mapping[str, Any] | None = None) -> list[str]:
    """Every taggable resource carries Environment=production, MigratedFrom=dev and MigrationDate=<ISO date>."""
    if typ not in TAGGABLE:
        return []
    own = props.get("tags") or {}
    own = own if isinstance(own, Mapping) else {}
    defaults = _provider_tags(provider)
    effective = {**defaults, **own}
    wrong = [f"{k}={effective.get(k)!r} (expected {v!r})" for k, v in REQUIRED_TAG_VALUES.items() if effective.get(k) != v]
    date = effective.get("MigrationDate")
    if not (isinstance(date, str) and len(date) == 10 and date[4] == "-" and date[7] == "-" and date.replace("-", "").isdigit()):
        wrong.append(f"MigrationDate={date!r} (expected an ISO date)")
    elif "MigrationDate" in defaults and date != defaults["MigrationDate"]:
        wrong.append(f"MigrationDate={date!r} overrides the provider's {defaults['MigrationDate']!r}")
    if wrong and provider is None:
        wrong.insert(0, "no explicit aws provider, so no default_tags")
    return [f"tags: {', '.join(wrong)}"] if wrong else []


def check_region(typ: str, props: Mapping[str, Any], provider: Mapping[str, Any] | None = None) -> list[str]:
    """Production resources live in eu-west-1 only: the provider is pinned there."""
    if not typ.startswith("aws:"):
        return []
    region = (provider or {}).get("region")
    if region != REGION:
        return [f"provider region is {region or 'unset (an ambient default)'}, not {REGION}"]
    return []


def check_public_access(typ: str, props: Mapping[str, Any], provider: Mapping[str, Any] | None = None) -> list[str]:
    """No public buckets: all four public access blocks on, and no bucket policy allowing anyone."""
    if typ == BUCKET_PUBLIC_ACCESS:
        flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        off = [f for f in flags if props.get(f) is not True]
        return [f"public access block off: {', '.join(off)}"] if off else []
    if typ == BUCKET_POLICY:
        policy = _json(props.get("policy"))
        statements = policy.get("Statement", []) if isinstance(policy, Mapping) else []
        public = [s.get("Sid", "?") for s in statements if s.get("Effect") == "Allow" and s.get("Principal") in ("*", {"AWS": "*"})]
        return [f"statement(s) {', '.join(public)} allow any principal"] if public else []
    return []


def check_lifecycle_settings(typ: str, props: Mapping[str, Any], provider: Mapping[str, Any] | None = None) -> list[str]:
    """A lifecycle configuration moves current objects to GLACIER within 90 days, small objects included."""
    if typ != BUCKET_LIFECYCLE:
        return []
    problems = []
    if props.get("transitionDefaultMinimumObjectSize") != SMALL_OBJECTS_RULE:
        problems.append(f"transitionDefaultMinimumObjectSize is not {SMALL_OBJECTS_RULE!r}: objects under 128 KB would never transition")
    transitions = [t for r in props.get("rules") or [] if r.get("status") == "Enabled" for t in r.get("transitions") or []]
    if not any(t.get("storageClass") in ("GLACIER", "DEEP_ARCHIVE") and (t.get("days") or 0) <= GLACIER_AFTER_DAYS for t in transitions):
        problems.append(f"no enabled rule moves objects to GLACIER within {GLACIER_AFTER_DAYS} days")
    return problems


def check_pitr(typ: str, props: Mapping[str, Any], provider: Mapping[str, Any] | None = None) -> list[str]:
    """Every table has point-in-time recovery."""
    if typ == TABLE and not (props.get("pointInTimeRecovery") or {}).get("enabled"):
        return ["point-in-time recovery is off"]
    return []


def check_on_demand(typ: str, props: Mapping[str, Any], provider: Mapping[str, Any] | None = None) -> list[str]:
    """Every table bills on demand."""
    if typ == TABLE and props.get("billingMode") != "PAY_PER_REQUEST":
        return [f"billingMode is {props.get('billingMode') or 'unset (PROVISIONED)'}, not PAY_PER_REQUEST"]
    return []


def check_tracing(typ: str, props: Mapping[str, Any], provider: Mapping[str, Any] | None = None) -> list[str]:
    """X-Ray active tracing on every function and on the API stage."""
    if typ == FUNCTION and (props.get("tracingConfig") or {}).get("mode") != "Active":
        return ["tracingConfig.mode is not Active"]
    if typ == STAGE and props.get("xrayTracingEnabled") is not True:
        return ["xrayTracingEnabled is not true"]
    return []


def check_log_retention(typ: str, props: Mapping[str, Any], provider: Mapping[str, Any] | None = None) -> list[str]:
    """Every log group keeps events 30 days."""
    if typ == LOG_GROUP and props.get("retentionInDays") != LOG_RETENTION_DAYS:
        return [f"retentionInDays is {props.get('retentionInDays') or 'unset (never expire)'}, not {LOG_RETENTION_DAYS}"]
    return []


def check_runtime(typ: str, props: Mapping[str, Any], provider: Mapping[str, Any] | None = None) -> list[str]:
    """Functions run on a Node.js runtime AWS still lets you create and still patches.

    Judged today against the one runtime table (shared/runtimes.py) that settings validation
    and `make preflight` use too.
    """
    if typ != FUNCTION:
        return []
    problem = runtimes.runtime_problem(str(props.get("runtime")), runtimes.current_date())
    return [problem] if problem else []


def check_reserved_concurrency(typ: str, props: Mapping[str, Any], provider: Mapping[str, Any] | None = None) -> list[str]:
    """Every function reserves concurrency (at least 1; -1 means none, 0 throttles every call)."""
    if typ == FUNCTION:
        value = props.get("reservedConcurrentExecutions")  # the engine passes numbers as floats
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 1:
            return [f"reservedConcurrentExecutions is {value if value is not None else 'unset'}, not at least 1"]
    return []


def check_code_signing_settings(typ: str, props: Mapping[str, Any], provider: Mapping[str, Any] | None = None) -> list[str]:
    """Functions run signed code only: a code-signing config that enforces, on every function."""
    if typ == FUNCTION and not props.get("codeSigningConfigArn"):
        return ["no codeSigningConfigArn"]
    if typ == CODE_SIGNING_CONFIG:
        mode = (props.get("policies") or {}).get("untrustedArtifactOnDeployment")
        if mode != "Enforce":
            return [f"untrustedArtifactOnDeployment is {mode or 'unset (Warn)'}, not Enforce"]
    return []


# --- stack checks --------------------------------------------------------------------------------


def _of(resources: Iterable[Resource], typ: str) -> list[Resource]:
    return [r for r in resources if r.type == typ]


def _buckets_without(resources: Sequence[Resource], typ: str, ok: Callable[[Resource], bool] = lambda _: True) -> list[Resource]:
    configs = [c for c in _of(resources, typ) if ok(c)]
    return [b for b in _of(resources, BUCKET) if not any(c.refers_to("bucket", b) for c in configs)]


def check_buckets_versioned(resources: Sequence[Resource]) -> list[tuple[Resource, str]]:
    def on(v: Resource) -> bool:
        return (v.props.get("versioningConfiguration") or {}).get("status") == "Enabled"

    missing = _buckets_without(resources, BUCKET_VERSIONING, on)
    return [(b, "versioning is not enabled (no BucketVersioning with status Enabled)") for b in missing]


def check_buckets_lifecycle(resources: Sequence[Resource]) -> list[tuple[Resource, str]]:
    missing = _buckets_without(resources, BUCKET_LIFECYCLE, lambda c: not check_lifecycle_settings(c.type, c.props))
    return [(b, "no compliant lifecycle configuration (GLACIER within 90 days, small objects included)") for b in missing]


def check_buckets_private(resources: Sequence[Resource]) -> list[tuple[Resource, str]]:
    blocked = _buckets_without(resources, BUCKET_PUBLIC_ACCESS, lambda c: not check_public_access(c.type, c.props))
    return [(b, "no public access block with all four settings on") for b in blocked]


def check_buckets_encrypted(resources: Sequence[Resource]) -> list[tuple[Resource, str]]:
    missing = _buckets_without(resources, BUCKET_SSE, lambda c: not check_cmk(c.type, c.props))
    return [(b, "no default encryption with a customer-managed key") for b in missing]


def check_access_trail(resources: Sequence[Resource]) -> list[tuple[Resource, str]]:
    """Every bucket's access is logged into a log bucket; a log bucket itself is the trail's end."""
    logging = _of(resources, BUCKET_LOGGING)
    targets = [b for b in _of(resources, BUCKET) if any(lg.refers_to("targetBucket", b) for lg in logging)]
    logged = [b for b in _of(resources, BUCKET) if any(lg.refers_to("bucket", b) for lg in logging)]
    return [
        (b, "access is not recorded: no S3 server access logging (BucketLogging) for this bucket")
        for b in _of(resources, BUCKET)
        if b not in logged and b not in targets
    ]


def check_stage_waf(resources: Sequence[Resource]) -> list[tuple[Resource, str]]:
    associations = [a for a in _of(resources, WAF_ASSOCIATION) if a.has("webAclArn")]
    return [
        (s, "no WAFv2 web ACL associated with the stage")
        for s in _of(resources, STAGE)
        if not any(a.refers_to("resourceArn", s) for a in associations)
    ]


def check_functions_signed(resources: Sequence[Resource]) -> list[tuple[Resource, str]]:
    """Every function's code-signing config is one that enforces (a Warn config lets unsigned code run)."""
    enforcing = [c for c in _of(resources, CODE_SIGNING_CONFIG) if not check_code_signing_settings(c.type, c.props)]
    configs = _of(resources, CODE_SIGNING_CONFIG)
    failures = []
    for function in _of(resources, FUNCTION):
        if not function.has("codeSigningConfigArn"):
            continue  # reported by the per-resource check
        if configs and not any(function.refers_to("codeSigningConfigArn", c) for c in enforcing):
            failures.append((function, "its code-signing config does not enforce (untrustedArtifactOnDeployment)"))
    return failures


RULES: tuple[Rule, ...] = (
    Rule(
        "cmk-encryption",
        "Everything that can be encrypted at rest is, with a customer-managed KMS key (rotation on).",
        frozenset({TABLE, BUCKET_SSE, BUCKET_OBJECT, LOG_GROUP, TOPIC, FUNCTION, BACKUP_VAULT, KMS_KEY}),
        resource_check=check_cmk,
    ),
    Rule(
        "bucket-cmk-encryption",
        "Every bucket has default SSE-KMS encryption with a customer-managed key.",
        frozenset({BUCKET}),
        stack_check=check_buckets_encrypted,
    ),
    Rule(
        "required-tags",
        "Every taggable resource carries Environment=production, MigratedFrom=dev and MigrationDate.",
        TAGGABLE,
        resource_check=check_tags,
    ),
    Rule("eu-west-1-only", f"Production deploys only to {REGION}.", frozenset({"aws:*"}), resource_check=check_region),
    Rule(
        "no-public-buckets",
        "Every bucket blocks public access and no bucket policy allows anyone.",
        frozenset({BUCKET_PUBLIC_ACCESS, BUCKET_POLICY}),
        resource_check=check_public_access,
    ),
    Rule(
        "bucket-public-access-block",
        "Every bucket has a public access block with all four settings on.",
        frozenset({BUCKET}),
        stack_check=check_buckets_private,
    ),
    Rule("bucket-versioning", "Every bucket is versioned.", frozenset({BUCKET}), stack_check=check_buckets_versioned),
    Rule(
        "lifecycle-settings",
        "Every lifecycle configuration archives to GLACIER within 90 days, objects under 128 KB included.",
        frozenset({BUCKET_LIFECYCLE}),
        resource_check=check_lifecycle_settings,
    ),
    Rule(
        "bucket-lifecycle",
        "Every bucket has a compliant lifecycle configuration.",
        frozenset({BUCKET}),
        stack_check=check_buckets_lifecycle,
    ),
    Rule("table-pitr", "Every DynamoDB table has point-in-time recovery.", frozenset({TABLE}), resource_check=check_pitr),
    Rule("table-on-demand", "Every DynamoDB table bills on demand.", frozenset({TABLE}), resource_check=check_on_demand),
    Rule(
        "xray-tracing",
        "X-Ray active tracing on every function and on the API stage.",
        frozenset({FUNCTION, STAGE}),
        resource_check=check_tracing,
    ),
    Rule("log-retention-30-days", "Every log group keeps events 30 days.", frozenset({LOG_GROUP}), resource_check=check_log_retention),
    Rule(
        "creatable-runtime",
        "Functions use a Node.js runtime AWS still lets you create.",
        frozenset({FUNCTION}),
        resource_check=check_runtime,
    ),
    Rule("reserved-concurrency", "Every function reserves concurrency.", frozenset({FUNCTION}), resource_check=check_reserved_concurrency),
    Rule(
        "code-signing",
        "Only signed code runs: every function has a code-signing config that enforces.",
        frozenset({FUNCTION, CODE_SIGNING_CONFIG}),
        resource_check=check_code_signing_settings,
    ),
    Rule(
        "code-signing-enforced",
        "Every function's code-signing config is an enforcing one.",
        frozenset({FUNCTION}),
        stack_check=check_functions_signed,
    ),
    Rule("waf-on-stage", "A WAFv2 web ACL protects every API stage.", frozenset({STAGE}), stack_check=check_stage_waf),
    Rule(
        "access-trail",
        "Access to every bucket is recorded (S3 server access logs into a log bucket).",
        frozenset({BUCKET}),
        stack_check=check_access_trail,
    ),
)
"""Every policy of the pack, in report order."""


def label(resource: Resource) -> str:
    return f"{resource.type} {resource.name}"


def evaluate(resources: Sequence[Resource], rules: Sequence[Rule] = RULES) -> list[Violation]:
    """Every violation of every rule across one stack's resources (provider resources are judged through their users)."""
    judged = [r for r in resources if not r.type.startswith("pulumi:")]
    violations = []
    for rule in rules:
        if rule.resource_check is not None:
            check = rule.resource_check
            violations += [
                Violation(label(r), rule.name, reason, rule.level) for r in judged for reason in check(r.type, r.props, r.provider)
            ]
        if rule.stack_check is not None:
            violations += [Violation(label(r), rule.name, reason, rule.level) for r, reason in rule.stack_check(judged)]
    return violations


def applicable(rule: Rule, typ: str) -> bool:
    """Whether `rule` has something to say about resources of type `typ` (the report's columns)."""
    return typ in rule.applies_to or ("aws:*" in rule.applies_to and typ.startswith("aws:"))
