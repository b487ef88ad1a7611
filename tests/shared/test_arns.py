"""Production ARNs are built from account, region and production names, and nothing looser."""

from __future__ import annotations

import pytest

from shared.arns import Arns, aws_managed_policy_arn, lambda_log_group_name, service_endpoint

ACCT, REGION = "111122223333", "eu-west-1"
arns = Arns(ACCT, REGION)


def test_dynamodb_table_and_its_indexes() -> None:
    name = "payments-transactions-production-eu1"
    assert arns.table(name) == f"arn:aws:dynamodb:eu-west-1:111122223333:table/{name}"
    assert arns.table_indexes("t") == "arn:aws:dynamodb:eu-west-1:111122223333:table/t/index/*"


def test_s3_bucket_and_objects_carry_no_region_or_account() -> None:
    assert arns.bucket("payments-receipts-production-eu1") == "arn:aws:s3:::payments-receipts-production-eu1"
    assert arns.bucket_objects("b") == "arn:aws:s3:::b/*"


def test_log_groups() -> None:
    assert lambda_log_group_name("fn") == "/aws/lambda/fn"
    assert arns.log_group("/aws/lambda/fn") == "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/fn"
    assert arns.log_group_streams("/aws/lambda/fn") == "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/fn:*"
    assert arns.any_log_group() == "arn:aws:logs:eu-west-1:111122223333:log-group:*"


def test_account_and_alarm_arns() -> None:
    assert arns.account_root() == "arn:aws:iam::111122223333:root"
    assert arns.role("r") == "arn:aws:iam::111122223333:role/r"
    assert arns.any_alarm() == "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:*"


def test_service_endpoints_and_managed_policies() -> None:
    assert service_endpoint("dynamodb", REGION) == "dynamodb.eu-west-1.amazonaws.com"
    assert aws_managed_policy_arn("service-role/X") == "arn:aws:iam::aws:policy/service-role/X"


@pytest.mark.parametrize("account", ["12345", "1111222233334", "abcdabcdabcd", ""])
def test_an_account_id_that_is_not_12_digits_is_refused(account: str) -> None:
    with pytest.raises(ValueError, match="account id"):
        Arns(account, REGION)


@pytest.mark.parametrize("region", ["eu-west", "EU-WEST-1", "*", ""])
def test_a_malformed_region_is_refused(region: str) -> None:
    with pytest.raises(ValueError, match="region"):
        Arns(ACCT, region)
    with pytest.raises(ValueError, match="region"):
        service_endpoint("s3", region)


@pytest.mark.parametrize("name", ["", "*", "payments-*", " padded", "a?b"])
def test_a_wildcard_or_blank_name_never_widens_a_grant(name: str) -> None:
    builders = (arns.table, arns.table_indexes, arns.bucket, arns.bucket_objects, arns.log_group, arns.log_group_streams, arns.role)
    for build in (*builders, lambda_log_group_name):
        with pytest.raises(ValueError, match="without wildcards"):
            build(name)
