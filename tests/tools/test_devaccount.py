"""The emulated dev account: what it seeds, and moto reading each service model once."""

import functools
from pathlib import Path

import boto3
import botocore.loaders
import botocore.session
import moto.core.base_backend
import moto.core.loaders
import moto.core.routing
import moto.core.utils
import pytest
import werkzeug.routing
from moto import mock_aws

from payments_tools import devaccount
from payments_tools.harness import REPO_ROOT
from shared import aws
from shared.inventory import Inventory, load_inventory
from shared.settings import load_settings


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    """The shipped inventory, as the plan loads it."""
    settings = load_settings(REPO_ROOT)
    return load_inventory(settings.inventory_file, settings.repo_root, settings.environment_suffix)


def test_moto_still_has_the_loader_factory_the_seeding_caches():
    assert callable(getattr(moto.core.utils, "create_loader", None)), (
        "moto.core.utils.create_loader is gone: update payments_tools.devaccount.share_motos_model_loader for this moto version"
    )


def test_after_seeding_moto_reads_models_through_one_loader_and_the_account_holds_the_inventory(monkeypatch, inventory):
    # Start from moto's own factory, a new loader per call; restored afterwards.
    monkeypatch.setattr(moto.core.utils, "create_loader", moto.core.loaders.create_loader)
    assert moto.core.utils.create_loader() is not moto.core.utils.create_loader()
    with mock_aws():
        devaccount.seed_dev_account(inventory)
        devaccount.share_motos_model_loader()  # a second time changes nothing
        assert moto.core.utils.create_loader() is moto.core.utils.create_loader()
        assert isinstance(moto.core.utils.create_loader().file_loader, aws.PlainJSONFileLoader)
        assert moto.core.utils.create_loader().list_available_services("service-2") == aws.model_loader().list_available_services(
            "service-2"
        )
        session = aws.session(region_name=inventory.region)
        assert {b["Name"] for b in session.client("s3").list_buckets()["Buckets"]} == {b.name for b in inventory.buckets}
        assert set(session.client("dynamodb").list_tables()["TableNames"]) == {t.name for t in inventory.tables}
        functions = session.client("lambda").list_functions()["Functions"]
        assert {f["FunctionName"] for f in functions} == {f.name for f in inventory.functions}
    # moto's own reading (OrderedDicts, its extras applied) against the same with plain dicts, both fresh.
    plain = moto.core.loaders.create_loader()
    plain.file_loader = aws.PlainJSONFileLoader()
    assert plain.load_service_model("lambda", "service-2") == moto.core.loaders.create_loader().load_service_model("lambda", "service-2")


def test_moto_still_asks_one_session_for_its_regions():
    get_session = getattr(moto.core.base_backend.AccountSpecificBackend, "get_session", None)
    assert callable(get_session), (
        "moto.core.base_backend.AccountSpecificBackend.get_session is gone: "
        "update payments_tools.devaccount.share_motos_model_loader for this moto version"
    )


def test_motos_region_lists_come_from_the_shared_loader_and_ignore_a_missing_profile(monkeypatch):
    # moto's own: a plain boto3 session, whose loader is botocore's own (the suite's shared one undone).
    backends = moto.core.base_backend.AccountSpecificBackend
    monkeypatch.setattr(backends, "get_session", classmethod(functools.cache(lambda cls: boto3.Session())))
    monkeypatch.setattr(botocore.session, "create_loader", botocore.loaders.create_loader)
    assert backends.get_session()._session.get_component("data_loader") is not aws.model_loader()
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    devaccount.share_motos_model_loader()
    session = moto.core.base_backend.AccountSpecificBackend.get_session()
    assert session is moto.core.base_backend.AccountSpecificBackend.get_session()
    assert session._session.get_component("data_loader") is aws.model_loader()
    assert "eu-west-1" in session.get_available_regions("dynamodb")
    with mock_aws():  # a fresh account's backend lists its regions through it
        backend = moto.core.base_backend.BackendDict(type("Probe", (moto.core.base_backend.BaseBackend,), {}), "dynamodb")
        assert "eu-west-1" in backend["123456789012"].regions


def test_moto_still_routes_rest_requests_with_its_own_werkzeug_rule_class():
    rule = getattr(moto.core.routing, "SmithyRule", None)
    assert isinstance(rule, type) and issubclass(rule, werkzeug.routing.Rule), (
        "moto.core.routing.SmithyRule is gone: update payments_tools.devaccount.skip_motos_url_builders for this moto version"
    )
    assert callable(getattr(werkzeug.routing.Rule, "_compile_builder", None)), (
        "werkzeug's Rule._compile_builder is gone: update payments_tools.devaccount.skip_motos_url_builders for this werkzeug version"
    )


def test_motos_rest_routes_still_match_once_their_url_builders_are_skipped(monkeypatch, inventory):
    # Start from werkzeug's own builders and no routers built yet; both restored afterwards.
    monkeypatch.setattr(moto.core.routing.SmithyRule, "_compile_builder", werkzeug.routing.Rule._compile_builder)
    moto.core.routing.get_service_router.cache_clear()
    try:
        with mock_aws():
            devaccount.seed_dev_account(inventory)  # Lambda and API Gateway are REST services: their routers are built here
            assert moto.core.routing.SmithyRule._compile_builder is devaccount._no_url_builder
            session = aws.session(region_name=inventory.region)
            function = inventory.functions[0]
            assert session.client("lambda").get_function_configuration(FunctionName=function.name)["Handler"] == function.handler
            assert [api["name"] for api in session.client("apigateway").get_rest_apis()["items"]] == [inventory.api.name]
            lambda_routes = moto.core.routing.RestRouter(moto.core.utils.get_service_model("lambda"))._map
            rule = next(iter(lambda_routes.iter_rules()))
            with pytest.raises(NotImplementedError, match="only match requests"):
                values = dict.fromkeys(rule.arguments, "x")
                lambda_routes.bind("lambda.eu-west-1.amazonaws.com").build(
                    rule.endpoint, values, method=next(iter(rule.methods or {"GET"}))
                )
    finally:
        moto.core.routing.get_service_router.cache_clear()  # no router built in this test outlives the restored builders


def test_moto_ships_extras_for_botocores_models_and_no_model_of_its_own():
    """Why moto's loader may take its list of services from the shared loader (share_motos_model_loader)."""
    moto_root = Path(moto.core.loaders.moto_root)
    own = [path for pattern in ("*/*/service-2.json*", "*/*/paginators-1.json*") for path in moto_root.glob(pattern)]
    assert own == [], f"moto now ships models of its own ({own[:3]}): its loader must list services itself again"
    assert list(moto_root.glob("*/*/*.moto-extras.json*")), "moto's extras moved: check share_motos_model_loader"
    plain = moto.core.loaders.create_loader()
    for type_name in ("service-2", "paginators-1"):
        assert plain.list_available_services(type_name) == aws.model_loader().list_available_services(type_name)
