"""`make bootstrap` against moto: creates everything, a re-run changes nothing, drift is reported and repairable."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import boto3
import pytest

from payments_tools import bootstrap as bs

REGION = "eu-west-1"


@pytest.fixture
def session(aws):
    return boto3.session.Session(region_name=REGION)


@pytest.fixture
def account(session) -> str:
    return session.client("sts").get_caller_identity()["Account"]


def record_writes(session: boto3.session.Session) -> tuple[boto3.session.Session, list[str]]:
    """A session whose clients record every mutating call (Create/Put/Enable/Delete/Update...)."""
    calls: list[str] = []

    def before_call(model: Any, **_: Any) -> None:
        if not model.name.startswith(("Get", "Describe", "Head", "List")):
            calls.append(model.name)

    session.events.register("before-call.*.*", before_call)
    return session, calls


def test_first_run_creates_the_buckets_and_keys_with_every_setting(session, settings, account, capsys) -> None:
    report = bs.bootstrap(session, settings)
    names = report.names
    assert names.state_bucket == f"payments-state-{account}-bucket-production-eu1"
    assert names.log_bucket == f"payments-state-logs-{account}-bucket-production-eu1"
    assert names.secrets_key_alias == "alias/payments-secrets-key-production-eu1"
    assert report.drift == [] and len(report.created) == 4

    s3, kms = session.client("s3"), session.client("kms")
    state = names.state_bucket
    # Server access logs are only delivered to a bucket in the source bucket's region.
    assert s3.get_bucket_location(Bucket=state)["LocationConstraint"] == REGION
    assert s3.get_bucket_location(Bucket=names.log_bucket)["LocationConstraint"] == REGION
    assert s3.get_bucket_versioning(Bucket=state)["Status"] == "Enabled"
    assert s3.get_public_access_block(Bucket=state)["PublicAccessBlockConfiguration"] == bs.PUBLIC_ACCESS_BLOCKED
    state_key = kms.describe_key(KeyId=names.state_key_alias)["KeyMetadata"]
    rule = s3.get_bucket_encryption(Bucket=state)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": state_key["Arn"]}
    assert rule["BucketKeyEnabled"] is True
    (deny,) = json.loads(s3.get_bucket_policy(Bucket=state)["Policy"])["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [f"arn:aws:s3:::{state}", f"arn:aws:s3:::{state}/*"]
    (lifecycle,) = s3.get_bucket_lifecycle_configuration(Bucket=state)["Rules"]
    assert lifecycle["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
    assert s3.get_bucket_logging(Bucket=state)["LoggingEnabled"] == {"TargetBucket": names.log_bucket, "TargetPrefix": "state-bucket/"}
    # The log bucket: S3 server access logs cannot be delivered to an SSE-KMS bucket, so SSE-S3.
    log_rule = s3.get_bucket_encryption(Bucket=names.log_bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert log_rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    for alias in (names.state_key_alias, names.secrets_key_alias):
        key = kms.describe_key(KeyId=alias)["KeyMetadata"]
        assert key["KeyState"] == "Enabled"
        assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]
    assert state_key["KeyId"] != kms.describe_key(KeyId=names.secrets_key_alias)["KeyMetadata"]["KeyId"]


def test_a_second_run_changes_nothing(session, settings) -> None:
    recording, writes = record_writes(session)
    bs.bootstrap(recording, settings)
    assert {"CreateKey", "CreateAlias", "CreateBucket", "PutBucketPolicy", "PutBucketLogging"} <= set(writes)  # the recorder sees writes
    writes.clear()
    report = bs.bootstrap(recording, settings)
    assert (report.created, report.repaired, report.drift) == ([], [], [])
    assert writes == []


def drift_the_state_bucket(session, names: bs.BootstrapNames) -> None:
    s3 = session.client("s3")
    s3.put_bucket_versioning(Bucket=names.state_bucket, VersioningConfiguration={"Status": "Suspended"})
    s3.delete_bucket_policy(Bucket=names.state_bucket)
    s3.put_public_access_block(
        Bucket=names.state_bucket, PublicAccessBlockConfiguration={**bs.PUBLIC_ACCESS_BLOCKED, "BlockPublicPolicy": False}
    )
    s3.put_bucket_encryption(
        Bucket=names.state_bucket,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    )
    rule = {**bs.state_lifecycle_rules()[0], "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}
    s3.put_bucket_lifecycle_configuration(Bucket=names.state_bucket, LifecycleConfiguration={"Rules": [rule]})


def test_drifted_bucket_settings_are_reported_not_silently_rewritten(session, settings) -> None:
    names = bs.bootstrap(session, settings).names
    drift_the_state_bucket(session, names)
    kms = session.client("kms")
    kms.disable_key_rotation(KeyId=kms.describe_key(KeyId=names.secrets_key_alias)["KeyMetadata"]["KeyId"])
    recording, writes = record_writes(session)
    report = bs.bootstrap(recording, settings)
    assert writes == []
    drifted = "\n".join(report.drift)
    for setting in ("versioning", "policy", "public access block", "encryption", "lifecycle"):
        assert f"S3 bucket {names.state_bucket}: {setting} is" in drifted, setting
    assert f"KMS key {names.secrets_key_alias}: rotation is off" in drifted
    assert len(report.drift) == 6
    assert '"BlockPublicPolicy": false' in drifted


def test_repair_puts_drifted_settings_back_and_the_next_run_is_clean(session, settings) -> None:
    names = bs.bootstrap(session, settings).names
    drift_the_state_bucket(session, names)
    repaired = bs.bootstrap(session, settings, repair=True)
    assert len(repaired.repaired) == 5 and repaired.drift == []
    assert bs.bootstrap(session, settings).drift == []


def test_main_prints_the_backend_and_secrets_provider_and_exits_1_on_drift(session, settings, monkeypatch, capsys) -> None:
    monkeypatch.setattr(bs.boto3.session, "Session", lambda **_: session)
    assert bs.main([]) == 0
    out = capsys.readouterr().out.splitlines()
    names = bs.bootstrap(session, settings).names
    assert out == [
        f"PULUMI_BACKEND_URL=s3://{names.state_bucket}?region=eu-west-1",
        "PULUMI_SECRETS_PROVIDER=awskms://alias/payments-secrets-key-production-eu1?region=eu-west-1",
    ]
    session.client("s3").put_bucket_versioning(Bucket=names.state_bucket, VersioningConfiguration={"Status": "Suspended"})
    assert bs.main([]) == 1
    assert "DRIFT     S3 bucket" in capsys.readouterr().err


def test_a_foreign_account_is_refused_before_anything_is_created(session, settings) -> None:
    foreign = dataclasses.replace(settings, allowed_account_ids=("999999999999",))
    with pytest.raises(bs.BootstrapError, match="allowedAccountIds"):
        bs.bootstrap(session, foreign)
    assert session.client("s3").list_buckets()["Buckets"] == []


def test_a_bucket_in_another_region_is_refused(session, settings, account) -> None:
    names = bs.BootstrapNames.of(settings, account)
    session.client("s3", region_name="eu-central-1").create_bucket(
        Bucket=names.log_bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    with pytest.raises(bs.BootstrapError, match="is in eu-central-1, not eu-west-1"):
        bs.bootstrap(session, settings)


def test_names_fit_s3s_limit_with_the_longest_suffix(settings) -> None:
    long = dataclasses.replace(settings, environment_suffix="abcdefgh")
    names = bs.BootstrapNames.of(long, "123456789012")
    assert len(names.log_bucket) <= 63 and len(names.state_bucket) <= 63


def test_log_delivery_is_scoped_to_the_state_bucket_and_account() -> None:
    policy = bs.log_bucket_policy("logs-b", "state-b", "123456789012")
    allow = policy["Statement"][0]
    assert policy["Statement"][1] == bs.tls_only_statement("logs-b")
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:s3:::state-b"}
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert allow["Resource"] == "arn:aws:s3:::logs-b/state-bucket/*"
