"""The alarm topic's policy: only this account's CloudWatch alarms may publish."""

from __future__ import annotations

import pytest

from payments_observability.topic import alarm_topic_policy, arn_account_and_region, subscription_logical_name, topic_policy_for

TOPIC = "arn:aws:sns:eu-west-1:111122223333:payments-alarms-production-eu1"


def test_only_cloudwatch_may_publish_and_only_for_alarms_of_this_account_and_region():
    policy = alarm_topic_policy(TOPIC, "111122223333", "eu-west-1")
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert statement["Resource"] == TOPIC
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "111122223333"},
        "ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:*"},
    }


def test_the_policy_is_scoped_to_the_topics_own_account_and_region():
    other = "arn:aws:sns:eu-west-1:444455556666:payments-alarms-production-eu2"
    [statement] = topic_policy_for(other)["Statement"]
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == "444455556666"
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == "arn:aws:cloudwatch:eu-west-1:444455556666:alarm:*"
    assert statement["Resource"] == other


def test_no_statement_grants_anyone_everything():
    for statement in alarm_topic_policy(TOPIC, "111122223333", "eu-west-1")["Statement"]:
        assert statement["Principal"] != "*" and statement["Action"] != "*"


@pytest.mark.parametrize("arn", ["payments-alarms", "arn:aws:s3:::bucket-name", "arn:aws:sns:eu-west-1"])
def test_an_arn_without_account_and_region_is_refused(arn):
    with pytest.raises(ValueError, match="not a regional ARN"):
        arn_account_and_region(arn)


def test_subscription_names_are_stable_per_address_and_keep_the_address_out_of_the_urn():
    name = subscription_logical_name("oncall@example.com")
    assert name == subscription_logical_name(" OnCall@example.com ")
    assert name != subscription_logical_name("finance@example.com")
    assert "example" not in name and "oncall" not in name
