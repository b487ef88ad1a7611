"""The emulated dev account: what it seeds, and moto reading each service model once."""

import moto.core.loaders
import moto.core.utils
from moto import mock_aws

from payments_tools import devaccount
from payments_tools.harness import REPO_ROOT
from shared import aws
from shared.inventory import load_inventory
from shared.settings import load_settings


def test_moto_still_has_the_loader_factory_the_seeding_caches():
    assert callable(getattr(moto.core.utils, "create_loader", None)), (
        "moto.core.utils.create_loader is gone: update payments_tools.devaccount.share_motos_model_loader for this moto version"
    )


def test_after_seeding_moto_reads_models_through_one_loader_and_the_account_holds_the_inventory(monkeypatch):
    # Start from moto's own factory, a new loader per call; restored afterwards.
    monkeypatch.setattr(moto.core.utils, "create_loader", moto.core.loaders.create_loader)
    assert moto.core.utils.create_loader() is not moto.core.utils.create_loader()
    settings = load_settings(REPO_ROOT)
    inventory = load_inventory(settings.inventory_file, settings.repo_root, settings.environment_suffix)
    with mock_aws():
        devaccount.seed_dev_account(inventory)
        devaccount.share_motos_model_loader()  # a second time changes nothing
        assert moto.core.utils.create_loader() is moto.core.utils.create_loader()
        assert isinstance(moto.core.utils.create_loader().file_loader, aws.PlainJSONFileLoader)
        session = aws.session(region_name=inventory.region)
        assert {b["Name"] for b in session.client("s3").list_buckets()["Buckets"]} == {b.name for b in inventory.buckets}
        assert set(session.client("dynamodb").list_tables()["TableNames"]) == {t.name for t in inventory.tables}
        functions = session.client("lambda").list_functions()["Functions"]
        assert {f["FunctionName"] for f in functions} == {f.name for f in inventory.functions}
    # moto's own reading (OrderedDicts, its extras applied) against the same with plain dicts, both fresh.
    plain = moto.core.loaders.create_loader()
    plain.file_loader = aws.PlainJSONFileLoader()
    assert plain.load_service_model("lambda", "service-2") == moto.core.loaders.create_loader().load_service_model("lambda", "service-2")
