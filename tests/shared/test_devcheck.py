"""The dev-existence check: every inventory resource looked up in the dev account, every miss reported at once."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from moto import mock_aws

from payments_tools.devaccount import seed_dev_account
from payments_tools.harness import REPO_ROOT
from shared.devcheck import (
    ALL_KINDS,
    DevAccountUnreachable,
    DevResourcesMissing,
    check_dev_resources,
    dev_session,
    require_dev_resources,
)
from shared.errors import ConfigError
from shared.inventory import Inventory, load_inventory
from shared.settings import load_settings


@pytest.fixture(autouse=True)
def _no_ambient_aws(monkeypatch):
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def settings():
    """Loaded once: frozen, and tests change copies (`dataclasses.replace`)."""
    return load_settings(REPO_ROOT)


@pytest.fixture(scope="module")
def inventory(settings) -> Inventory:
    return load_inventory(settings.inventory_file, settings.repo_root, settings.environment_suffix)


@pytest.fixture
def dev(inventory, settings):
    """A function seeding moto's dev account (minus `skip`) and returning a session on it."""
    with mock_aws():

        def seed(skip: frozenset[str] = frozenset()) -> boto3.Session:
            seed_dev_account(inventory, skip=skip)
            return dev_session(inventory, settings)

        yield seed


def test_every_resource_of_a_complete_dev_account_is_found(dev, inventory):
    checks = check_dev_resources(inventory, dev())
    assert all(c.found for c in checks), [c for c in checks if not c.found]
    expected = len(inventory.buckets) + len(inventory.tables) + len(inventory.functions) + 1
    assert len(checks) == expected
    assert {c.kind for c in checks} == {"bucket", "table", "function", "api"}
    assert [c.path for c in checks if c.kind == "table"] == [f"dynamodbTables[{i}]" for i in range(len(inventory.tables))]


def test_require_passes_silently_when_everything_exists(dev, inventory):
    assert require_dev_resources(inventory, dev()) is None


def test_one_missing_table_is_named_with_its_inventory_path(dev, inventory):
    with pytest.raises(DevResourcesMissing) as caught:
        require_dev_resources(inventory, dev(skip=frozenset({"payments-idempotency-dev"})))
    assert caught.value.paths == ["dynamodbTables[1]"]
    assert "dev table 'payments-idempotency-dev' does not exist in the dev account 123456789012 (us-east-1)" in str(caught.value)


def test_several_missing_resources_are_all_named_in_one_error(dev, inventory):
    skip = frozenset({"payments-documents-dev", "payments-receipts-dev", "payments-merchants-dev"})
    with pytest.raises(DevResourcesMissing) as caught:
        require_dev_resources(inventory, dev(skip=skip))
    assert caught.value.paths == ["s3Buckets[0]", "s3Buckets[1]", "dynamodbTables[2]"]
    assert str(caught.value).startswith("3 dev resource(s) named in the inventory")
    assert isinstance(caught.value, ConfigError)


def test_functions_and_the_api_are_checked_only_when_asked(dev, inventory):
    session = dev(skip=frozenset({"payments-get-payment-dev", "payments-api-dev"}))
    require_dev_resources(inventory, session)  # buckets and tables: all there
    with pytest.raises(DevResourcesMissing) as caught:
        require_dev_resources(inventory, session, kinds=("function", "api"))
    assert caught.value.paths == ["lambdaFunctions[1]", "apiGateway.name"]


def test_an_api_without_its_stage_is_missing_at_the_stage(dev, inventory):
    session = dev()
    apigw = session.client("apigateway")
    [api] = [a for a in apigw.get_rest_apis()["items"] if a["name"] == inventory.api.name]
    apigw.delete_stage(restApiId=api["id"], stageName=inventory.api.stage_name)
    [check] = check_dev_resources(inventory, session, kinds=("api",))
    assert not check.found and check.path == "apiGateway.stageName"
    assert repr(inventory.api.stage_name) in check.detail


def test_unknown_kinds_are_refused(dev, inventory):
    with pytest.raises(ValueError, match="unknown resource kinds"):
        check_dev_resources(inventory, dev(), kinds=("queue",))  # type: ignore[arg-type]


class FailingClient:
    """A boto3 client whose every call raises `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise self.error

        return fail


def failing_session(monkeypatch, error: Exception, service: str | None = None) -> boto3.Session:
    """A session whose clients (all, or only `service`'s) raise `error`."""
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="AKIA", aws_secret_access_key="x")
    real = session.client

    def client(name, *args, **kwargs):
        return FailingClient(error) if service in (None, name) else real(name, *args, **kwargs)

    monkeypatch.setattr(session, "client", client)
    return session


def test_no_credentials_names_dev_profile_and_how_to_fix_it(monkeypatch, inventory):
    session = failing_session(monkeypatch, NoCredentialsError())
    with pytest.raises(DevAccountUnreachable) as caught:
        require_dev_resources(inventory, session)
    assert caught.value.paths == ["devProfile"]
    assert "no usable AWS credentials" in str(caught.value) and "set devProfile" in str(caught.value)


def test_an_unreachable_endpoint_names_the_region(monkeypatch, inventory):
    session = failing_session(monkeypatch, EndpointConnectionError(endpoint_url="https://sts.us-east-1.amazonaws.com"))
    with pytest.raises(DevAccountUnreachable) as caught:
        require_dev_resources(inventory, session)
    assert caught.value.paths == ["region"]
    assert "cannot reach the dev account 123456789012 (us-east-1) endpoint" in str(caught.value)


def test_access_denied_names_the_resource_and_the_missing_permission(monkeypatch, inventory):
    with mock_aws():
        seed_dev_account(inventory)
        denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, "DescribeTable")
        session = failing_session(monkeypatch, denied, service="dynamodb")
        with pytest.raises(DevAccountUnreachable) as caught:
            require_dev_resources(inventory, session)
    assert caught.value.paths == ["dynamodbTables[0]"]
    assert "access denied calling dynamodb:DescribeTable" in str(caught.value)
    assert "set devProfile" in str(caught.value)
    assert not isinstance(caught.value, DevResourcesMissing)


def test_rejected_credentials_are_not_reported_as_missing_resources(monkeypatch, inventory):
    expired = ClientError({"Error": {"Code": "ExpiredToken", "Message": "expired"}}, "GetCallerIdentity")
    with pytest.raises(DevAccountUnreachable, match="rejected the credentials"):
        require_dev_resources(inventory, failing_session(monkeypatch, expired))


def test_credentials_of_another_account_are_refused(dev, inventory):
    other = dataclasses.replace(inventory, account_id="999999999999")
    with pytest.raises(DevAccountUnreachable) as caught:
        require_dev_resources(other, dev())
    assert caught.value.paths == ["accountId"]
    assert "belong to account 123456789012" in str(caught.value)


def test_dev_session_uses_the_dev_region_and_the_configured_profile(monkeypatch, tmp_path: Path, inventory, settings):
    config = tmp_path / "config"
    config.write_text("[profile payments-dev]\nregion = eu-central-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    session = dev_session(inventory, dataclasses.replace(settings, dev_profile="payments-dev"))
    assert session.profile_name == "payments-dev"
    assert session.region_name == inventory.region  # the inventory's region wins over the profile's


def test_an_undefined_profile_is_reported_with_its_name(monkeypatch, tmp_path: Path, inventory, settings):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(DevAccountUnreachable, match="'payments-dev' is not defined") as caught:
        dev_session(inventory, dataclasses.replace(settings, dev_profile="payments-dev"))
    assert caught.value.paths == ["devProfile"]


def test_the_seeding_and_every_layers_check_in_one_process_share_one_session_and_make_each_client_once(
    dev, inventory, settings, monkeypatch
):
    monkeypatch.setenv("AWS_PAYMENTS_TEST_MARKER", "fresh")  # an AWS environment no earlier test had: a new session
    session = dev_session(inventory, settings)
    made: list[str] = []
    real = session.client
    monkeypatch.setattr(session, "client", lambda name, *args, **kwargs: made.append(name) or real(name, *args, **kwargs))
    assert dev() is session  # seeds the emulated account, then asks for the dev session again
    require_dev_resources(inventory, dev_session(inventory, settings))  # buckets and tables, as the data layer does
    require_dev_resources(inventory, dev_session(inventory, settings), ALL_KINDS)  # everything, as the foundation does
    assert sorted(made) == ["apigateway", "dynamodb", "iam", "lambda", "s3", "sts"]  # iam: the seeding's dev role


def test_a_session_whose_clients_fail_fails_on_every_check(monkeypatch, inventory):
    session = failing_session(monkeypatch, NoCredentialsError())
    for _ in range(2):
        with pytest.raises(DevAccountUnreachable, match="no usable AWS credentials"):
            require_dev_resources(inventory, session)
