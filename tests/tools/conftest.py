"""Shared fixtures for the tooling tests: the example settings and inventory, and an emulated dev account."""

import functools
import json
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws

from payments_tools.devaccount import seed_dev_account
from payments_tools.harness import REPO_ROOT
from shared.inventory import load_inventory
from shared.settings import load_settings


@pytest.fixture(scope="session")
def settings():
    """The shipped settings, loaded once per test process: frozen, so no test can change them for another."""
    return load_settings(REPO_ROOT)


@pytest.fixture(scope="session")
def inventory(settings):
    """The example inventory, loaded and validated once per test process: frozen, like the settings."""
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


_new_rsa_key = rsa.generate_private_key


@functools.cache
def _rsa_key(public_exponent: int, key_size: int) -> rsa.RSAPrivateKey:
    return _new_rsa_key(public_exponent=public_exponent, key_size=key_size)


def _shared_rsa_key(public_exponent: int, key_size: int, backend: object = None) -> rsa.RSAPrivateKey:
    return _rsa_key(public_exponent, key_size)


@pytest.fixture(scope="module", autouse=True)
def one_rsa_key_per_size() -> Iterator[None]:
    """moto makes a fresh RSA key for every KMS key it creates (symmetric ones too) and every ACM
    certificate it issues, 0.05-0.1 CPU-s each. No tooling test reads key material, so here every
    key of a size is one key, made once per test process. Module-scoped, so it ends with the
    module and never reaches the other test folders."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rsa, "generate_private_key", _shared_rsa_key)
        yield
