"""The two key policies, as data: the account administers, exactly the right services use, nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from payments_foundation.key_policies import data_key_policy, logs_key_policy

ACCT, REGION = "444455556666", "eu-west-1"


def statements(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Statement"]}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture
def data() -> dict[str, dict[str, Any]]:
    return statements(data_key_policy(ACCT, REGION))


@pytest.fixture
def logs() -> dict[str, dict[str, Any]]:
    return statements(logs_key_policy(ACCT, REGION))


@pytest.mark.parametrize("build", [data_key_policy, logs_key_policy])
def test_the_account_administers_every_key(build: Any) -> None:
    root = statements(build(ACCT, REGION))["EnableAccountAdministration"]
    assert root == {
        "Sid": "EnableAccountAdministration",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


@pytest.mark.parametrize("build", [data_key_policy, logs_key_policy])
def test_only_the_root_statement_is_unconditional_and_no_principal_is_anonymous(build: Any) -> None:
    for sid, statement in statements(build(ACCT, REGION)).items():
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] != "*" and statement["Principal"].get("AWS") != "*", sid
        if sid != "EnableAccountAdministration":
            assert statement.get("Condition"), f"{sid} must be scoped by a condition"
            assert "kms:*" not in as_list(statement["Action"]), sid
            assert not {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"} & set(as_list(statement["Action"])), sid


def test_the_data_key_is_used_only_through_the_data_services_of_eu_west_1(data: dict[str, dict[str, Any]]) -> None:
    use = data["AllowUseThroughDataServices"]
    assert use["Principal"] == {"AWS": f"arn:aws:iam::{ACCT}:root"}
    assert set(use["Action"]) == {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}
    assert use["Condition"] == {
        "StringEquals": {
            "kms:CallerAccount": ACCT,
            "kms:ViaService": [
                "dynamodb.eu-west-1.amazonaws.com",
                "s3.eu-west-1.amazonaws.com",
                "backup.eu-west-1.amazonaws.com",
                "lambda.eu-west-1.amazonaws.com",
            ],
        }
    }


def test_data_key_grants_are_only_for_aws_resources_of_the_services_that_use_grants(data: dict[str, dict[str, Any]]) -> None:
    grants = data["AllowGrantsForDataServiceResources"]
    assert grants["Action"] == "kms:CreateGrant"
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert grants["Condition"]["StringEquals"]["kms:CallerAccount"] == ACCT
    assert set(grants["Condition"]["StringEquals"]["kms:ViaService"]) == {
        "dynamodb.eu-west-1.amazonaws.com",
        "backup.eu-west-1.amazonaws.com",
        "lambda.eu-west-1.amazonaws.com",
    }


def test_no_service_principal_can_use_the_data_key(data: dict[str, dict[str, Any]]) -> None:
    # Logs, alarms and SNS are trusted by service principal on the logs key only: payment data stays apart.
    assert all("Service" not in s["Principal"] for s in data.values())


def test_cloudwatch_logs_may_use_the_logs_key_for_this_accounts_log_groups_in_eu_west_1(logs: dict[str, dict[str, Any]]) -> None:
    statement = logs["AllowCloudWatchLogs"]
    assert statement["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert set(statement["Action"]) == {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"}
    assert statement["Condition"] == {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:eu-west-1:{ACCT}:log-group:*"}}


def test_alarms_of_this_account_may_publish_to_the_encrypted_topic(logs: dict[str, dict[str, Any]]) -> None:
    statement = logs["AllowCloudWatchAlarmsToPublish"]
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert set(statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:eu-west-1:{ACCT}:alarm:*"},
    }


def test_sns_may_use_the_logs_key_for_this_accounts_topics(logs: dict[str, dict[str, Any]]) -> None:
    statement = logs["AllowSnsTopicEncryption"]
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert set(statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCT}}


def test_s3_access_logging_may_only_generate_data_keys_for_this_account(logs: dict[str, dict[str, Any]]) -> None:
    statement = logs["AllowS3ServerAccessLogDelivery"]
    assert statement["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    # Writing an SSE-KMS log object needs a data key and nothing else: the service never reads logs back.
    assert statement["Action"] == ["kms:GenerateDataKey"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCT}}


def test_the_logs_key_trusts_exactly_logs_alarms_sns_access_logging_and_the_account(logs: dict[str, dict[str, Any]]) -> None:
    principals = {next(iter(s["Principal"].values())) for s in logs.values()}
    assert principals == {
        f"arn:aws:iam::{ACCT}:root",
        "logs.eu-west-1.amazonaws.com",
        "cloudwatch.amazonaws.com",
        "sns.amazonaws.com",
        "logging.s3.amazonaws.com",
    }


@pytest.mark.parametrize("build", [data_key_policy, logs_key_policy])
def test_the_account_and_region_come_from_the_arguments(build: Any) -> None:
    text = str(build("777788889999", REGION))
    assert "777788889999" in text and ACCT not in text


@pytest.mark.parametrize("build", [data_key_policy, logs_key_policy])
def test_a_malformed_account_is_refused(build: Any) -> None:
    with pytest.raises(ValueError, match="account id"):
        build("not-an-account", REGION)


@pytest.mark.parametrize("build", [data_key_policy, logs_key_policy])
def test_parliament_finds_nothing_in_the_key_policies(build: Any, lint: Any) -> None:
    assert lint(build(ACCT, REGION), kind="key") == []
