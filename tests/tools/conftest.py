"""Shared fixtures for the tooling tests: the example settings and inventory, an emulated dev account, the offline plan."""

import functools
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws

from payments_tools.devaccount import seed_dev_account
from payments_tools.harness import REPO_ROOT
from shared.inventory import load_inventory
from shared.settings import load_settings

if TYPE_CHECKING:
    from payments_tools.plan import LayerPlan


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


@pytest.fixture(scope="session")
def offline_plan() -> "list[LayerPlan]":
    """The repository's offline plan (all five layers against the seeded dev account), planned once per test process.

    A whole plan is the most expensive thing a tooling test does, and the report and the export
    both judge the same one. Tests only read it; one that wants to change it copies it first
    (`dataclasses.asdict` does). The layers are built by other teams, so a plan that fails skips
    the tests that need it, naming why, instead of failing them.
    """
    from payments_tools.plan import emulated_dev_account, plan_layers  # the Pulumi machinery: only for the tests that plan

    try:
        with emulated_dev_account(REPO_ROOT):
            return plan_layers(REPO_ROOT)
    except Exception as exc:
        pytest.skip(f"the layers do not plan yet: {exc}")


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
