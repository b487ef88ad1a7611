"""Policies for the production buckets: every dev bucket and the artifacts bucket, hardened identically."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi.runtime.mocks import MockMonitor

from payments_data.storage import artifacts_bucket_name, tls_only_policy
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


def by_bucket(run, typ: str) -> dict[str, dict[str, Any]]:
    """The inputs of every resource of `typ`, keyed by the bucket it configures."""
    found = {r["inputs"]["bucket"]: r["inputs"] for r in run.of_type(typ)}
    assert len(found) == len(run.of_type(typ)), f"two {typ} configure the same bucket"
    return found


def expected_buckets(inventory) -> set[str]:
    return {production_name(b.name, "eu1") for b in inventory.buckets} | {ARTIFACTS}


def test_one_bucket_per_dev_bucket_plus_the_artifacts_bucket(run_data, rich_inventory_file, rich_inventory):
    run = run_data(rich_inventory_file)
    assert {r["inputs"]["bucket"] for r in run.of_type(BUCKET)} == expected_buckets(rich_inventory)
    assert len(run.of_type(BUCKET)) == len(rich_inventory.buckets) + 1


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
    for name, inputs in by_bucket(run, ENCRYPTION).items():
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


def test_every_bucket_policy_refuses_requests_without_tls(example_run):
    run = example_run
    arns = {r["inputs"]["bucket"]: r["state"]["arn"] for r in run.of_type(BUCKET)}
    for name, inputs in by_bucket(run, POLICY).items():
        assert json.loads(inputs["policy"]) == tls_only_policy(arns[name])


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


def test_buckets_are_destroyable_and_force_destroy_follows_configuration(run_data):
    assert all(r["inputs"]["forceDestroy"] is True for r in run_data().of_type(BUCKET))
    kept = run_data(config={"storage": {"forceDestroy": False}})
    assert all(r["inputs"]["forceDestroy"] is False for r in kept.of_type(BUCKET))


@pytest.fixture
def dependencies(monkeypatch):
    """Record each registered resource's dependencies (logical names), which the mocks themselves do not see."""
    recorded: dict[tuple[str, str], set[str]] = {}
    original = MockMonitor.RegisterResource

    def register(self, request):
        recorded[(request.type, request.name)] = {urn.rsplit("::", 1)[-1] for urn in request.dependencies}
        return original(self, request)

    monkeypatch.setattr(MockMonitor, "RegisterResource", register)
    return recorded


def test_bucket_policy_waits_for_the_public_access_block(run_data, dependencies):
    run = run_data()
    for r in run.of_type(POLICY):
        bucket = r["inputs"]["bucket"]
        assert f"{bucket}-public-access" in dependencies[(POLICY, r["name"])], bucket


def test_lifecycle_waits_for_versioning(run_data, dependencies):
    run = run_data()
    for r in run.of_type(LIFECYCLE):
        bucket = r["inputs"]["bucket"]
        assert f"{bucket}-versioning" in dependencies[(LIFECYCLE, r["name"])], bucket


def test_artifacts_bucket_follows_the_naming_rule():
    assert artifacts_bucket_name("eu1") == ARTIFACTS
    assert len(artifacts_bucket_name("abcdefgh")) <= 63


def test_artifacts_bucket_name_refuses_a_suffix_s3_would_refuse():
    with pytest.raises(ConfigError, match="environmentSuffix"):
        artifacts_bucket_name("EU1")


def test_bucket_names_carry_the_environment_suffix(run_data):
    run = run_data(config={"environmentSuffix": "eu2"})
    names = {r["inputs"]["bucket"] for r in run.of_type(BUCKET)}
    assert names == {"payments-documents-production-eu2", "payments-receipts-production-eu2", "payments-lambda-artifacts-production-eu2"}
