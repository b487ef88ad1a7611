"""The naming rule: dev twins keep their name, everything ends in production-<suffix>."""

import pytest

from shared import naming


@pytest.mark.parametrize(
    ("dev", "expected"),
    [
        ("payments-transactions-dev", "payments-transactions-production-eu1"),
        ("payments_receipts_dev", "payments_receipts_production-eu1"),
        ("payments-documents.dev", "payments-documents.production-eu1"),
        ("ledger-development", "ledger-production-eu1"),
    ],
)
def test_production_name_replaces_the_trailing_environment_token(dev, expected):
    assert naming.production_name(dev, "eu1") == expected


@pytest.mark.parametrize("dev", ["payments-transactions", "payments-devices", "dev-payments", "payments-dev-table"])
def test_a_dev_name_without_trailing_env_token_is_refused(dev):
    with pytest.raises(ValueError, match="does not end in an environment token"):
        naming.production_name(dev, "eu1")


def test_resources_without_dev_twin_follow_resource_type_environment_suffix():
    assert naming.resource_name("payments-lambda", "artifacts", "eu1") == "payments-lambda-artifacts-production-eu1"
    assert naming.derived_name("payments-process-payment-dev", "role", "eu1") == "payments-process-payment-role-production-eu1"


@pytest.mark.parametrize("suffix", ["", "EU1", "eu-1", "toolongsuffix", "eu_1"])
def test_suffix_must_be_short_lowercase_alphanumeric(suffix):
    with pytest.raises(ValueError, match="environmentSuffix"):
        naming.production_name("x-dev", suffix)


def test_length_check_uses_the_aws_limit_for_the_type():
    assert naming.check_length("a" * 63, "s3_bucket") is None
    reason = naming.check_length("a" * 64, "s3_bucket")
    assert reason is not None and "64 characters" in reason and "at most 63" in reason
    assert naming.check_length("f" * 65, "lambda_function") is not None
    assert naming.check_length("t" * 255, "dynamodb_table") is None


def test_logical_name_joins_a_production_base_and_roles():
    assert naming.logical_name("payments-transactions-production-eu1") == "payments-transactions-production-eu1"
    assert naming.logical_name("payments-api", "access-logs") == "payments-api-access-logs"


@pytest.mark.parametrize(
    "parts",
    [
        ("payments-process-payment-dev",),
        ("payments-api", "dev"),
        ("payments_receipts_dev", "logs"),
        ("payments-dev-tools-production-eu1",),
        ("ledger.development",),
    ],
)
def test_logical_name_refuses_any_dev_token(parts):
    with pytest.raises(ValueError, match="carries a dev token"):
        naming.logical_name(*parts)


@pytest.mark.parametrize("parts", [("",), ("payments-api", ""), ("payments api",), ("a::b",)])
def test_logical_name_refuses_empty_spaced_or_urn_breaking_parts(parts):
    with pytest.raises(ValueError, match="non-empty"):
        naming.logical_name(*parts)


def test_logical_name_keeps_words_that_merely_contain_dev():
    assert naming.logical_name("payments-devices-production-eu1", "developer-logs") == "payments-devices-production-eu1-developer-logs"
