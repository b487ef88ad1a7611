"""`make preflight` against an emulated production account: each problem alone, all together, a clean pass.

STS, Route 53 and ACM are moto's. moto does not implement Lambda's GetAccountSettings, so the
Lambda client is botocore's Stubber, which checks every request and response against the real
API model: the shapes the check reads are AWS's, not ours.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterator
from typing import Any

import boto3
import moto.settings
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from payments_tools import preflight as pf
from payments_tools.harness import REPO_ROOT
from shared.settings import Settings, load_settings

PROD = "111122223333"
TODAY = dt.date(2026, 11, 30)
DOMAIN = "api.payments.acme-pay.eu"
ENV_OK = pf.Environment(variables={"PULUMI_CONFIG_PASSPHRASE": "x"}, which=lambda name: f"/usr/bin/{name}")


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto as the production account 111122223333, certificates issued at once."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("MOTO_ACCOUNT_ID", PROD)
    monkeypatch.setattr(moto.settings, "ACM_VALIDATION_WAIT", -1)
    with mock_aws():
        yield


@pytest.fixture(scope="module", autouse=True)
def certificate_key_parsed_once() -> Iterator[None]:
    """moto parses and checks the private key of every certificate it issues again, a fifth of this
    module's CPU time. Its certificates share one key here (tests/tools/conftest.py), and
    preflight reads a certificate's names, status and region, never its key: parse it once."""
    from cryptography.hazmat.primitives import serialization

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(serialization, "load_pem_private_key", functools.cache(serialization.load_pem_private_key))
        yield


@functools.cache
def shipped() -> Settings:
    """The shipped settings, judged on TODAY; loaded once, since every test starts from them (frozen: changes make copies)."""
    return load_settings(REPO_ROOT, today=TODAY, check_runtime=False)


@functools.cache
def moto_client(service: str, region: str = "eu-west-1") -> Any:
    """One client per service and region for the whole module: the tests make a hundred otherwise,
    each costing more than its requests. moto reads the account (MOTO_ACCOUNT_ID) per request and
    resets its state per test, and the credentials are the same fake ones in every test."""
    return boto3.client(service, region_name=region)


def make_zone(name: str = "payments.acme-pay.eu", private: bool = False) -> str:
    route53 = moto_client("route53")
    vpc = {"VPC": {"VPCRegion": "eu-west-1", "VPCId": "vpc-1"}, "HostedZoneConfig": {"PrivateZone": True}}
    extra: dict[str, Any] = vpc if private else {}
    zone = route53.create_hosted_zone(Name=name, CallerReference=name + str(private), **extra)["HostedZone"]
    return str(zone["Id"]).split("/")[-1]


def make_certificate(domain: str, *alternatives: str, region: str = "eu-west-1") -> str:
    acm = moto_client("acm", region)
    kwargs: dict[str, Any] = {"SubjectAlternativeNames": [domain, *alternatives]} if alternatives else {}
    return str(acm.request_certificate(DomainName=domain, ValidationMethod="DNS", **kwargs)["CertificateArn"])


def lambda_client(concurrency: int = 1000, unreserved: int = 1000, held: int | None = None, functions: int = 5) -> Any:
    """A stubbed Lambda client answering GetAccountSettings, then GetFunctionConcurrency per function."""
    client = boto3.client("lambda", region_name="eu-west-1")
    stub = Stubber(client)
    limits = {"ConcurrentExecutions": concurrency, "UnreservedConcurrentExecutions": unreserved}
    stub.add_response("get_account_settings", {"AccountLimit": limits})
    for _ in range(functions):
        if held is None:
            stub.add_client_error("get_function_concurrency", "ResourceNotFoundException", http_status_code=404)
        else:
            stub.add_response("get_function_concurrency", {"ReservedConcurrentExecutions": held})
    stub.activate()
    return client


def clients(lam: Any) -> pf.ClientFactory:
    return lambda service: lam if service == "lambda" else moto_client(service)


def layer_settings(**changes: Any) -> pf.LayerSettings:
    """The shipped settings with the placeholders replaced by a real-looking set-up, then `changes` applied."""
    base = shipped()
    zone, cert = changes.pop("zone", None), changes.pop("cert", None)
    api = dataclasses.replace(base.api, domain_name=DOMAIN, hosted_zone_id=zone, certificate_arn=cert)
    alarms = dataclasses.replace(base.alarms, emails=changes.pop("emails", ("oncall@acme-pay.eu",)))
    compute = dataclasses.replace(base.compute, **changes.pop("compute", {}))
    allowed = changes.pop("allowed", (PROD,))
    settings = dataclasses.replace(base, api=api, alarms=alarms, compute=compute, allowed_account_ids=allowed)
    assert not changes, changes
    return pf.LayerSettings(settings, settings, settings, settings)


def run(settings: pf.LayerSettings, inventory: Any, lam: Any | None = None, env: pf.Environment = ENV_OK) -> list[tuple[str, str]]:
    return pf.preflight(settings, inventory, clients(lam or lambda_client()), env, TODAY)


# --- a clean pass ---------------------------------------------------------------------------------


def test_a_ready_account_passes_with_a_hosted_zone(account: None, inventory: Any) -> None:
    assert run(layer_settings(zone=make_zone()), inventory) == []


def test_a_ready_account_passes_with_a_wildcard_certificate(account: None, inventory: Any) -> None:
    assert run(layer_settings(cert=make_certificate("*.payments.acme-pay.eu")), inventory) == []


# --- each problem on its own ----------------------------------------------------------------------


def settings_of(problems: list[tuple[str, str]]) -> list[str]:
    return [setting for setting, _ in problems]


def test_the_dev_account_is_refused(account: None, inventory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", inventory.account_id)
    problems = run(layer_settings(zone=make_zone(), allowed=()), inventory)
    assert settings_of(problems) == ["allowedAccountIds"]
    assert f"dev account {inventory.account_id}" in problems[0][1]


def test_an_account_not_listed_is_refused(account: None, inventory: Any) -> None:
    problems = run(layer_settings(zone=make_zone(), allowed=("444455556666",)), inventory)
    assert problems == [
        (
            "allowedAccountIds",
            f"the credentials belong to account {PROD}, which is not listed (444455556666); "
            "use the production account's credentials or fix the list",
        )
    ]


def test_an_allow_list_naming_the_dev_account_is_refused(account: None, inventory: Any) -> None:
    problems = run(layer_settings(zone=make_zone(), allowed=(PROD, inventory.account_id)), inventory)
    assert settings_of(problems) == ["allowedAccountIds"] and f"names the dev account {inventory.account_id}" in problems[0][1]


def test_an_empty_allow_list_asks_for_the_account(account: None, inventory: Any) -> None:
    problems = run(layer_settings(zone=make_zone(), allowed=()), inventory)
    assert settings_of(problems) == ["allowedAccountIds"] and f'["{PROD}"]' in problems[0][1]


def test_the_shipped_placeholders_are_refused(account: None, inventory: Any) -> None:
    settings = dataclasses.replace(shipped(), allowed_account_ids=(PROD,), alarms=dataclasses.replace(shipped().alarms, emails=("a@b.eu",)))
    problems = run(pf.LayerSettings(settings, settings, settings, settings), inventory)
    assert settings_of(problems) == ["api.domainName", "api.hostedZoneId"]
    assert "api.payments.example.com is the example placeholder" in problems[0][1]
    assert "Z0123456789EXAMPLE is the example placeholder" in problems[1][1]


def test_a_missing_hosted_zone_is_named(account: None, inventory: Any) -> None:
    expected = [("api.hostedZoneId", "no hosted zone Z09999999NOSUCH in this account")]
    assert run(layer_settings(zone="Z09999999NOSUCH"), inventory) == expected


def test_a_zone_that_does_not_hold_the_domain_is_refused(account: None, inventory: Any) -> None:
    problems = run(layer_settings(zone=make_zone("other-company.eu")), inventory)
    assert settings_of(problems) == ["api.hostedZoneId"] and f"does not hold api.domainName {DOMAIN}" in problems[0][1]


def test_a_private_zone_is_refused(account: None, inventory: Any) -> None:
    problems = run(layer_settings(zone=make_zone(private=True)), inventory)
    assert settings_of(problems) == ["api.hostedZoneId"] and "is private" in problems[0][1]


def test_neither_zone_nor_certificate_is_refused(account: None, inventory: Any) -> None:
    assert settings_of(run(layer_settings(), inventory)) == ["api.hostedZoneId"]


def test_a_certificate_not_yet_issued_is_refused(account: None, inventory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto.settings, "ACM_VALIDATION_WAIT", 3600)
    problems = run(layer_settings(cert=make_certificate(DOMAIN)), inventory)
    assert problems == [("api.certificateArn", "status is PENDING_VALIDATION, not ISSUED; finish its validation or request another")]


def test_a_certificate_outside_eu_west_1_is_refused(account: None, inventory: Any) -> None:
    problems = run(layer_settings(cert=make_certificate(DOMAIN, region="us-east-1")), inventory)
    assert settings_of(problems) == ["api.certificateArn"] and "is in us-east-1" in problems[0][1]


def test_a_certificate_arn_that_does_not_exist_is_named(account: None, inventory: Any) -> None:
    arn = f"arn:aws:acm:eu-west-1:{PROD}:certificate/00000000-0000-4000-8000-000000000000"
    assert run(layer_settings(cert=arn), inventory) == [("api.certificateArn", f"no certificate {arn} in eu-west-1")]


@pytest.mark.parametrize("names", [("payments.acme-pay.eu",), ("*.acme-pay.eu",), ("*.api.payments.acme-pay.eu",)])
def test_a_certificate_that_does_not_cover_the_domain_is_refused(account: None, inventory: Any, names: tuple[str, ...]) -> None:
    # A wildcard covers exactly one label: *.acme-pay.eu does not cover api.payments.acme-pay.eu.
    problems = run(layer_settings(cert=make_certificate(*names)), inventory)
    assert settings_of(problems) == ["api.certificateArn"] and f"not api.domainName {DOMAIN}" in problems[0][1]


def test_a_certificate_naming_the_domain_among_its_alternatives_passes(account: None, inventory: Any) -> None:
    assert run(layer_settings(cert=make_certificate("www.acme-pay.eu", DOMAIN)), inventory) == []


def test_no_alarm_subscriber_is_refused(account: None, inventory: Any) -> None:
    problems = run(layer_settings(zone=make_zone(), emails=()), inventory)
    assert settings_of(problems) == ["alarms.emails"]


def test_a_small_concurrency_quota_is_refused(account: None, inventory: Any) -> None:
    # The example reserves 100 + 100 + 3 x 50 = 350; a new account's quota of 400 leaves 50 < 100.
    problems = run(layer_settings(zone=make_zone()), inventory, lambda_client(concurrency=400, unreserved=400))
    assert settings_of(problems) == ["compute.reservedConcurrency", "compute.accountConcurrencyLimit"]
    assert "quota is 400 (400 unreserved); reserving 350" in problems[0][1] and "would leave 50" in problems[0][1]
    assert "is 1000 but the account's quota is 400; set it to 400" in problems[1][1]


def test_reservations_our_functions_already_hold_count_as_available(account: None, inventory: Any) -> None:
    # A redeploy: the account has 1000, our five functions hold 70 each, so 650 are unreserved; 350 + 100 fit.
    assert run(layer_settings(zone=make_zone()), inventory, lambda_client(unreserved=650, held=70)) == []


def test_reservations_of_other_functions_are_not_available(account: None, inventory: Any) -> None:
    problems = run(layer_settings(zone=make_zone()), inventory, lambda_client(unreserved=420))
    assert settings_of(problems) == ["compute.reservedConcurrency"]


def test_a_runtime_aws_no_longer_creates_is_refused(account: None, inventory: Any) -> None:
    problems = run(layer_settings(zone=make_zone(), compute={"runtime": "nodejs18.x"}), inventory)
    assert settings_of(problems) == ["compute.runtime"] and "2025-09-01" in problems[0][1]


def test_a_missing_pulumi_cli_is_refused(account: None, inventory: Any) -> None:
    env = pf.Environment(variables={"PULUMI_CONFIG_PASSPHRASE": ""}, which=lambda name: None)
    assert settings_of(run(layer_settings(zone=make_zone()), inventory, env=env)) == ["PATH"]


@pytest.mark.parametrize(
    "variables",
    [
        {"PULUMI_CONFIG_PASSPHRASE": ""},  # an empty passphrase, set on purpose, is a passphrase
        {"PULUMI_SECRETS_PROVIDER": "awskms://alias/pulumi-secrets?region=eu-west-1"},
    ],
)
def test_a_passphrase_or_a_secrets_provider_is_enough(account: None, inventory: Any, variables: dict[str, str]) -> None:
    env = pf.Environment(variables=variables, which=lambda name: "/usr/bin/pulumi")
    assert run(layer_settings(zone=make_zone()), inventory, env=env) == []


def test_no_secrets_provider_is_refused(account: None, inventory: Any, tmp_path: Any) -> None:
    env = pf.Environment(variables={"PULUMI_SECRETS_PROVIDER": ""}, which=lambda name: "/usr/bin/pulumi")
    assert settings_of(run(layer_settings(zone=make_zone()), inventory, env=env)) == ["PULUMI_CONFIG_PASSPHRASE"]
    missing = pf.Environment(variables={"PULUMI_CONFIG_PASSPHRASE_FILE": str(tmp_path / "nope")}, which=lambda name: "/usr/bin/pulumi")
    assert settings_of(run(layer_settings(zone=make_zone()), inventory, env=missing)) == ["PULUMI_CONFIG_PASSPHRASE_FILE"]


# --- everything at once, and the exit codes ---------------------------------------------------------


def test_every_problem_is_reported_at_once(account: None, inventory: Any) -> None:
    settings = layer_settings(
        cert=make_certificate("other.acme-pay.eu", region="eu-west-1"),
        emails=(),
        allowed=("444455556666",),
        compute={"runtime": "nodejs20.x"},
    )
    settings = dataclasses.replace(
        settings, edge=dataclasses.replace(settings.edge, api=dataclasses.replace(settings.edge.api, domain_name="api.example.com"))
    )
    env = pf.Environment(variables={}, which=lambda name: None)
    problems = run(settings, inventory, lambda_client(concurrency=300, unreserved=300), env)
    assert settings_of(problems) == [
        "PATH",
        "PULUMI_CONFIG_PASSPHRASE",
        "allowedAccountIds",
        "api.domainName",
        "api.certificateArn",
        "alarms.emails",
        "compute.reservedConcurrency",
        "compute.accountConcurrencyLimit",
        "compute.runtime",
    ]


def test_main_exits_1_listing_every_problem_of_the_shipped_example(account: None, capsys: pytest.CaptureFixture[str]) -> None:
    status = pf.main([], clients=clients(lambda_client()), env=pf.Environment(variables={}, which=lambda name: None))
    err = capsys.readouterr().err
    assert status == 1
    for setting in ("PATH", "PULUMI_CONFIG_PASSPHRASE", "allowedAccountIds", "api.domainName", "api.hostedZoneId", "alarms.emails"):
        assert f"  - {setting}: " in err, setting


def test_main_exits_2_when_the_account_cannot_be_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: Any) -> None:
    for var in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert pf.main([], env=pf.Environment(variables={}, which=lambda name: None)) == 2
    err = capsys.readouterr().err
    assert "cannot read the production account" in err
    assert "  - PATH: " in err and "  - PULUMI_CONFIG_PASSPHRASE: " in err  # what can be judged without the account is still said


def test_main_reports_invalid_settings_with_the_tooling_problems(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setattr(pf, "load_layer_settings", lambda *a: (_ for _ in ()).throw(pf.ConfigError("region", "refusing 'us-east-1'")))
    assert pf.main([], env=pf.Environment(variables={}, which=lambda name: None)) == 1
    err = capsys.readouterr().err
    assert "  - region: refusing 'us-east-1'" in err and "  - PATH: " in err


def test_main_passes_a_ready_account_and_repeats_the_runtime_warning(
    account: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ready = layer_settings(zone=make_zone(), compute={"runtime": "nodejs22.x"})
    ready = dataclasses.replace(ready, compute=dataclasses.replace(ready.compute, warnings=("nodejs22.x is deprecated soon",)))
    monkeypatch.setattr(pf, "load_layer_settings", lambda *a: ready)
    assert pf.main([], clients=clients(lambda_client()), env=ENV_OK) == 0
    out = capsys.readouterr()
    assert "ready to deploy" in out.out and "warning: nodejs22.x is deprecated soon" in out.err
