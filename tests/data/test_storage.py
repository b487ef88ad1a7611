"""Policies for the production buckets: every dev bucket and the artifacts bucket, hardened identically."""

from __future__ import annotations

import json
from typing import Any

import pytest

from payments_data.storage import (
    access_log_bucket_name,
    artifacts_bucket_name,
    bucket_policy,
    encryption_statements,
    tls_only_policy,
)
from shared.errors import ConfigError
from shared.naming import production_name
from shared.outputs import Foundation

BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
ARTIFACTS = "payments-lambda-artifacts-production-eu1"
ACCESS_LOGS = "payments-access-logs-production-eu1"
LOGGING = "aws:s3/bucketLogging:BucketLogging"


def by_bucket(run, typ: str) -> dict[str, dict[str, Any]]:
    """The inputs of every resource of `typ`, keyed by the bucket it configures."""
    found = {r["inputs"]["bucket"]: r["inputs"] for r in run.of_type(typ)}
    assert len(found) == len(run.of_type(typ)), f"two {typ} configure the same bucket"
    return found


def expected_buckets(inventory) -> set[str]:
    return {production_name(b.name, "eu1") for b in inventory.buckets} | {ARTIFACTS, ACCESS_LOGS}


def data_buckets(run) -> dict[str, dict[str, Any]]:
    """Every bucket but the access-log bucket: the ones holding payment data or code."""
    return {name: inputs for name, inputs in by_bucket(run, ENCRYPTION).items() if name != ACCESS_LOGS}


def test_one_bucket_per_dev_bucket_plus_the_artifacts_and_access_log_buckets(run_data, rich_inventory_file, rich_inventory):
    run = run_data(rich_inventory_file)
    assert {r["inputs"]["bucket"] for r in run.of_type(BUCKET)} == expected_buckets(rich_inventory)
    assert len(run.of_type(BUCKET)) == len(rich_inventory.buckets) + 2


def test_every_bucket_has_each_piece_of_configuration_exactly_once(run_data, rich_inventory_file, rich_inventory):
    run = run_data(rich_inventory_file)
    for typ in (VERSIONING, ENCRYPTION, PUBLIC_ACCESS, OWNERSHIP, POLICY, LIFECYCLE):
        assert set(by_bucket(run, typ)) == expected_buckets(rich_inventory), typ


def test_every_bucket_is_versioned(example_run):
    run = example_run
    for name, inputs in by_bucket(run, VERSIONING).items():
        assert inputs["versioningConfiguration"]["status"] == "Enabled", name


def test_every_bucket_is_encrypted_with_the_data_key_and_bucket_keys(example_run, foundation_outputs):
    run = example_run
    for name, inputs in data_buckets(run).items():
        [rule] = inputs["rules"]
        default = rule["applyServerSideEncryptionByDefault"]
        assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": foundation_outputs[Foundation.DATA_KEY_ARN]}, name
        assert rule["bucketKeyEnabled"] is True, name


def test_every_bucket_blocks_all_public_access(example_run):
    run = example_run
    for name, inputs in by_bucket(run, PUBLIC_ACCESS).items():
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
            assert inputs[flag] is True, f"{name}: {flag}"


def test_every_bucket_enforces_bucket_owner_ownership(example_run):
    run = example_run
    for name, inputs in by_bucket(run, OWNERSHIP).items():
        assert inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}, name


def test_every_bucket_policy_refuses_requests_without_tls_and_uploads_naming_another_key(example_run, foundation_outputs):
    run = example_run
    arns = {r["inputs"]["bucket"]: r["state"]["arn"] for r in run.of_type(BUCKET)}
    for name, inputs in by_bucket(run, POLICY).items():
        if name == ACCESS_LOGS:
            expected = bucket_policy(arns[name], foundation_outputs[Foundation.LOGS_KEY_ARN], foundation_outputs[Foundation.ACCOUNT_ID])
        else:
            expected = bucket_policy(arns[name], foundation_outputs[Foundation.DATA_KEY_ARN])
        assert json.loads(inputs["policy"]) == expected, name


# --- the bucket policy, evaluated: a minimal IAM condition evaluator for the operators the policy uses ----


def _condition_holds(operator: str, conditions: dict[str, str], context: dict[str, str]) -> bool:
    """IAM semantics: StringNotEquals on an ABSENT key is true; Null "false" means "the key is present"."""
    for key, expected in conditions.items():
        present = key in context
        if operator == "Null":
            if (expected == "true") == present:
                return False
        elif operator == "StringNotEquals":
            if present and context[key] == expected:
                return False
        elif operator == "StringEquals":
            if not present or context[key] != expected:
                return False
        else:
            raise AssertionError(f"operator {operator} not emulated")
    return True


def denied(policy: dict[str, Any], action: str, context: dict[str, str]) -> list[str]:
    """The Sids of the Deny statements (encryption ones) matching a request to put an object."""
    return [
        s["Sid"]
        for s in policy["Statement"]
        if s["Effect"] == "Deny"
        and s["Action"] == action
        and all(_condition_holds(op, cond, context) for op, cond in s["Condition"].items())
    ]


KEY = "arn:aws:kms:eu-west-1:111122223333:key/5e1f0c2a-0000-4000-8000-7d2b9c4e1a30"
OTHER_KEY = "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-4000-8000-000000000000"
SSE = "s3:x-amz-server-side-encryption"
KEY_ID = "s3:x-amz-server-side-encryption-aws-kms-key-id"


@pytest.mark.parametrize(
    "context",
    [
        {},  # no headers: S3 applies the bucket default, which is our key
        {SSE: "aws:kms", KEY_ID: KEY},  # what generate-receipt sends
    ],
    ids=["header-less", "our-key"],
)
def test_uploads_without_headers_or_with_our_key_are_not_denied(context):
    policy = {"Statement": encryption_statements("arn:aws:s3:::b", KEY)}
    assert denied(policy, "s3:PutObject", context) == []


@pytest.mark.parametrize(
    ("context", "sid"),
    [
        ({SSE: "aws:kms", KEY_ID: OTHER_KEY}, "DenyOtherKmsKey"),
        ({SSE: "AES256"}, "DenyOtherEncryptionType"),
        ({SSE: "aws:kms:dsse"}, "DenyOtherEncryptionType"),
        ({"s3:x-amz-server-side-encryption-customer-algorithm": "AES256"}, "DenyCustomerProvidedKeys"),
        ({SSE: "aws:kms", KEY_ID: "alias/payments-data"}, "DenyOtherKmsKey"),
    ],
    ids=["other-key", "sse-s3", "dsse", "sse-c", "alias-not-arn"],
)
def test_uploads_naming_another_key_or_encryption_type_are_denied(context, sid):
    policy = {"Statement": encryption_statements("arn:aws:s3:::b", KEY)}
    assert denied(policy, "s3:PutObject", context) == [sid]


def test_every_encryption_deny_is_guarded_by_a_null_condition_so_header_less_uploads_pass():
    for statement in encryption_statements("arn:aws:s3:::b", KEY):
        assert statement["Condition"]["Null"] and set(statement["Condition"]["Null"].values()) == {"false"}, statement["Sid"]
        assert statement["Resource"] == "arn:aws:s3:::b/*"


def test_only_the_log_bucket_lets_s3_logging_write_and_only_for_this_account():
    data = bucket_policy("arn:aws:s3:::b", KEY)
    assert not [s for s in data["Statement"] if s["Effect"] == "Allow"]
    logs = bucket_policy("arn:aws:s3:::logs", KEY, "111122223333")
    [grant] = [s for s in logs["Statement"] if s["Effect"] == "Allow"]
    assert grant["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert grant["Action"] == "s3:PutObject" and grant["Resource"] == "arn:aws:s3:::logs/*"
    assert grant["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}


def test_every_bucket_but_the_log_bucket_logs_its_access_into_the_log_bucket(run_data, rich_inventory_file, rich_inventory):
    run = run_data(rich_inventory_file)
    logging = by_bucket(run, LOGGING)
    assert set(logging) == expected_buckets(rich_inventory) - {ACCESS_LOGS}
    for name, inputs in logging.items():
        assert inputs["targetBucket"] == ACCESS_LOGS, name
        assert inputs["targetPrefix"] == f"{name}/", name


def test_the_access_log_bucket_is_hardened_like_the_others_and_encrypted_with_the_logs_key(example_run, foundation_outputs):
    [rule] = by_bucket(example_run, ENCRYPTION)[ACCESS_LOGS]["rules"]
    default = rule["applyServerSideEncryptionByDefault"]
    assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": foundation_outputs[Foundation.LOGS_KEY_ARN]}
    for typ in (VERSIONING, PUBLIC_ACCESS, LIFECYCLE, POLICY):
        assert ACCESS_LOGS in by_bucket(example_run, typ), typ
    assert ACCESS_LOGS in {o for o in example_run.outputs.values() if isinstance(o, str)}


def test_access_log_bucket_name_follows_the_naming_rule_and_s3_limits():
    assert access_log_bucket_name("eu1") == ACCESS_LOGS
    with pytest.raises(ConfigError, match="environmentSuffix"):
        access_log_bucket_name("Bad_Suffix")


def test_tls_policy_denies_insecure_transport_on_the_bucket_and_its_objects():
    arn = "arn:aws:s3:::payments-documents-production-eu1"
    policy = tls_only_policy(arn)
    statements = policy["Statement"]
    assert all(s["Effect"] == "Deny" and s["Principal"] == "*" and s["Action"] == "s3:*" for s in statements)
    assert all(s["Resource"] == [arn, f"{arn}/*"] for s in statements)
    insecure = [s for s in statements if s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}]
    assert len(insecure) == 1
    assert any(s["Condition"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}} for s in statements)


def test_tls_policy_grants_nothing():
    assert not [s for s in tls_only_policy("arn:aws:s3:::b")["Statement"] if s["Effect"] != "Deny"]


def test_lifecycle_archives_current_versions_after_90_days_and_ages_out_old_versions(example_run):
    run = example_run
    for name, inputs in by_bucket(run, LIFECYCLE).items():
        [rule] = inputs["rules"]
        assert rule["status"] == "Enabled", name
        assert rule["filter"] == {"prefix": ""}, f"{name}: the rule must cover every object"
        assert rule["transitions"] == [{"days": 90, "storageClass": "GLACIER"}]
        assert rule["noncurrentVersionTransitions"] == [{"noncurrentDays": 30, "storageClass": "GLACIER"}]
        assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 365}
        assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
        # S3's default never transitions objects under 128 KB: receipts and zips would stay in STANDARD.
        assert inputs["transitionDefaultMinimumObjectSize"] == "varies_by_storage_class", name


def test_the_provider_knows_the_minimum_object_size_setting_and_its_values():
    import inspect

    import pulumi_aws as aws

    doc = inspect.getdoc(aws.s3.BucketLifecycleConfigurationArgs.__init__) or ""
    assert "transition_default_minimum_object_size" in doc
    assert "`all_storage_classes_128K` (default), `varies_by_storage_class`" in doc


def test_lifecycle_schedule_follows_configuration(run_data):
    storage = {
        "glacierTransitionDays": 120,
        "noncurrentTransitionDays": 10,
        "noncurrentExpirationDays": 400,
        "abortIncompleteMultipartDays": 2,
    }
    run = run_data(config={"storage": storage})
    for inputs in by_bucket(run, LIFECYCLE).values():
        [rule] = inputs["rules"]
        assert rule["transitions"][0]["days"] == 120
        assert rule["noncurrentVersionTransitions"][0]["noncurrentDays"] == 10
        assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == 400
        assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 2


def test_buckets_are_destroyable_and_force_destroy_follows_configuration(example_run, run_data):
    assert all(r["inputs"]["forceDestroy"] is True for r in example_run.of_type(BUCKET))
    kept = run_data(config={"storage": {"forceDestroy": False}})
    assert all(r["inputs"]["forceDestroy"] is False for r in kept.of_type(BUCKET))


def test_bucket_policy_waits_for_the_public_access_block(example_run):
    for r in example_run.of_type(POLICY):
        bucket = r["inputs"]["bucket"]
        assert f"{bucket}-public-access" in example_run.dependencies(POLICY, r["name"]), bucket


def test_lifecycle_waits_for_versioning(example_run):
    for r in example_run.of_type(LIFECYCLE):
        bucket = r["inputs"]["bucket"]
        assert f"{bucket}-versioning" in example_run.dependencies(LIFECYCLE, r["name"]), bucket


def test_artifacts_bucket_follows_the_naming_rule():
    assert artifacts_bucket_name("eu1") == ARTIFACTS
    assert len(artifacts_bucket_name("abcdefgh")) <= 63


def test_artifacts_bucket_name_refuses_a_suffix_s3_would_refuse():
    with pytest.raises(ConfigError, match="environmentSuffix"):
        artifacts_bucket_name("EU1")


def test_bucket_names_carry_the_environment_suffix(run_data):
    run = run_data(config={"environmentSuffix": "eu2"})
    names = {r["inputs"]["bucket"] for r in run.of_type(BUCKET)}
    assert names == {
        "payments-documents-production-eu2",
        "payments-receipts-production-eu2",
        "payments-lambda-artifacts-production-eu2",
        "payments-access-logs-production-eu2",
    }
