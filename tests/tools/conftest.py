"""Shared fixtures for the tooling tests: the example settings and inventory, and an emulated dev account."""

import json

import pytest
from moto import mock_aws

from payments_tools.devaccount import seed_dev_account
from payments_tools.harness import REPO_ROOT
from shared.inventory import load_inventory
from shared.settings import load_settings


@pytest.fixture
def settings():
    return load_settings(REPO_ROOT)


@pytest.fixture
def inventory(settings):
    return load_inventory(settings.inventory_file, settings.repo_root, settings.environment_suffix)


@pytest.fixture
def raw_inventory(settings):
    """The example inventory as raw JSON (what export reads and writes)."""
    return json.loads(settings.inventory_file.read_text(encoding="utf-8"))


@pytest.fixture
def aws(monkeypatch):
    """moto's AWS with throwaway credentials, so nothing can reach a real account."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


@pytest.fixture
def dev_account(aws, inventory):
    """The emulated dev account holding exactly what the example inventory describes."""
    seed_dev_account(inventory)
    return inventory
