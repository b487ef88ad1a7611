"""`make preflight`: the production account and this machine, checked before anything changes.

Every check runs and every problem is reported at once, each naming the setting (or
environment variable) to fix, so the first real deploy is not a sequence of
fix-one-thing-and-rerun failures half-way through creating resources.

Exit status: 0 ready to deploy; 1 problems found; 2 the account cannot be read at all
(no credentials, expired token, no network), which makes every other answer meaningless.
Read-only: sts:GetCallerIdentity, route53:GetHostedZone, acm:DescribeCertificate,
lambda:GetAccountSettings and lambda:GetFunctionConcurrency.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from payments_tools.cli import exit_with
from shared import runtimes
from shared.errors import ConfigError
from shared.inventory import Inventory, load_inventory
from shared.layer import account_guard_problems, stack_file_overrides
from shared.naming import production_name
from shared.runtimes import runtime_problem
from shared.settings import PRODUCTION_REGION, Settings, find_repo_root, load_settings

MIN_UNRESERVED_CONCURRENCY = 100
"""AWS refuses a reservation that leaves fewer unreserved concurrent executions than this in the account."""

EXAMPLE_HOSTED_ZONE_ID = "Z0123456789EXAMPLE"
"""The placeholder zone id config/production.yaml ships with."""

RESERVED_DOMAINS = ("example.com", "example.net", "example.org", "example", "test", "invalid", "localhost")
"""RFC 2606 names: a domain under one of them is a placeholder, never a real API domain."""

ClientFactory = Callable[[str], Any]
"""Service name → boto3 client for the production account in eu-west-1."""

_CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=15, retries={"max_attempts": 3, "mode": "standard"})


class AccountUnreadable(Exception):
    """The production account could not be asked who it is: nothing else can be judged."""


@dataclass(frozen=True)
class Environment:
    """What the machine offers besides AWS: the environment variables and the programs on PATH."""

    variables: Mapping[str, str]
    which: Callable[[str], str | None]


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


# --- the individual checks: each returns (setting, problem) pairs ---------------------------


def account_problems(account: str, settings: Settings, inventory: Inventory) -> list[tuple[str, str]]:
    """The credentials must be a listed production account, and never the dev inventory's account."""
    if guard := account_guard_problems(settings, inventory):
        return guard
    if account == inventory.account_id:
        return [
            (
                "allowedAccountIds",
                f"the credentials belong to the dev account {account} (the inventory's accountId); "
                "use the production account's credentials (AWS_PROFILE)",
            )
        ]
    if not settings.allowed_account_ids:
        return [
            (
                "allowedAccountIds",
                f'is empty; set it to ["{account}"] once you have confirmed {account} is the production '
                "account, so a wrong profile can never deploy",
            )
        ]
    if account not in settings.allowed_account_ids:
        return [
            (
                "allowedAccountIds",
                f"the credentials belong to account {account}, which is not listed "
                f"({', '.join(settings.allowed_account_ids)}); use the production account's credentials or fix the list",
            )
        ]
    return []


def is_placeholder_domain(domain: str) -> bool:
    """Whether `domain` is under a name reserved for examples (RFC 2606)."""
    return any(domain == reserved or domain.endswith("." + reserved) for reserved in RESERVED_DOMAINS)


def placeholder_problems(settings: Settings) -> list[tuple[str, str]]:
    """The example values `make plan` runs with but a deploy must not."""
    problems = []
    if is_placeholder_domain(settings.api.domain_name):
        problems.append(("api.domainName", f"{settings.api.domain_name} is the example placeholder; set your API's domain"))
    zone = settings.api.hosted_zone_id
    if zone is not None and (zone == EXAMPLE_HOSTED_ZONE_ID or "EXAMPLE" in zone):
        problems.append(("api.hostedZoneId", f"{zone} is the example placeholder; set your Route 53 zone id or null with certificateArn"))
    return problems


def zone_covers(zone_name: str, domain: str) -> bool:
    """Whether a hosted zone named `zone_name` (trailing dot or not) can hold records for `domain`."""
    zone = zone_name.rstrip(".").lower()
    return domain.lower() == zone or domain.lower().endswith("." + zone)


def certificate_covers(names: list[str], domain: str) -> bool:
    """Whether a certificate for `names` is valid for `domain`; a wildcard covers exactly one label."""
    domain = domain.lower()
    for name in (n.lower() for n in names):
        if name == domain:
            return True
        if name.startswith("*.") and "." in domain and domain.split(".", 1)[1] == name[2:]:
            return True
    return False


def hosted_zone_problems(settings: Settings, clients: ClientFactory) -> list[tuple[str, str]]:
    """The zone must exist in this account, be public and be the domain's zone (or a parent of it)."""
    zone_id, domain = settings.api.hosted_zone_id, settings.api.domain_name
    if zone_id is None:
        return (
            []
            if settings.api.certificate_arn
            else [
                (
                    "api.hostedZoneId",
                    "neither api.hostedZoneId nor api.certificateArn is set; the edge layer needs one to certify the domain",
                )
            ]
        )
    try:
        zone = clients("route53").get_hosted_zone(Id=zone_id)["HostedZone"]
    except ClientError as exc:
        if _error_code(exc) in {"NoSuchHostedZone", "InvalidInput"}:
            return [("api.hostedZoneId", f"no hosted zone {zone_id} in this account")]
        return [("api.hostedZoneId", f"route53:GetHostedZone {zone_id} failed: {_error_code(exc)}; grant it to the deploying credentials")]
    problems = []
    if zone.get("Config", {}).get("PrivateZone"):
        problems.append(("api.hostedZoneId", f"zone {zone_id} ({zone['Name']}) is private; certificate validation needs the public zone"))
    if not zone_covers(zone["Name"], domain):
        problems.append(("api.hostedZoneId", f"zone {zone_id} is {zone['Name']}, which does not hold api.domainName {domain}"))
    return problems


def certificate_problems(settings: Settings, account: str, clients: ClientFactory) -> list[tuple[str, str]]:
    """An existing certificate must be ISSUED, in eu-west-1, in this account, and valid for the domain."""
    arn, domain = settings.api.certificate_arn, settings.api.domain_name
    if arn is None:
        return []
    parts = arn.split(":")
    region, owner = (parts[3], parts[4]) if len(parts) > 5 else ("", "")
    problems = []
    if region != PRODUCTION_REGION:
        problems.append(
            ("api.certificateArn", f"is in {region or 'no region'}; a regional API domain needs a certificate in {PRODUCTION_REGION}")
        )
    if owner and owner != account:
        problems.append(("api.certificateArn", f"belongs to account {owner}, not the deploying account {account}"))
    if problems:
        return problems
    try:
        cert = clients("acm").describe_certificate(CertificateArn=arn)["Certificate"]
    except ClientError as exc:
        if _error_code(exc) in {"ResourceNotFoundException", "ValidationException", "InvalidArnException"}:
            return [("api.certificateArn", f"no certificate {arn} in {PRODUCTION_REGION}")]
        return [("api.certificateArn", f"acm:DescribeCertificate failed: {_error_code(exc)}; grant it to the deploying credentials")]
    if cert.get("Status") != "ISSUED":
        problems.append(("api.certificateArn", f"status is {cert.get('Status')}, not ISSUED; finish its validation or request another"))
    names = [cert.get("DomainName", ""), *cert.get("SubjectAlternativeNames", [])]
    if not certificate_covers(names, domain):
        problems.append(("api.certificateArn", f"covers {', '.join(sorted(set(names)))}, not api.domainName {domain}"))
    return problems


def alarm_problems(settings: Settings) -> list[tuple[str, str]]:
    """Alarms nobody receives are not monitoring."""
    if settings.alarms.emails:
        return []
    return [("alarms.emails", "is empty: the alarm topic would have no subscriber; add the on-call addresses")]


def concurrency_problems(settings: Settings, inventory: Inventory, clients: ClientFactory) -> list[tuple[str, str]]:
    """The account's Lambda quota must hold every configured reservation plus the 100 AWS keeps unreserved.

    Reservations our own functions already hold (a redeploy) count as available: they are
    replaced, not added.
    """
    lam = clients("lambda")
    try:
        limits = lam.get_account_settings()["AccountLimit"]
    except ClientError as exc:
        return [("compute.reservedConcurrency", f"lambda:GetAccountSettings failed: {_error_code(exc)}; grant it to the deploying role")]
    quota, unreserved = limits["ConcurrentExecutions"], limits["UnreservedConcurrentExecutions"]
    compute = settings.compute
    wanted = {f.name: compute.reserved_concurrency.get(f.name, compute.default_reserved_concurrency) for f in inventory.functions}
    held = 0
    for dev_name in wanted:
        try:
            held += lam.get_function_concurrency(FunctionName=production_name(dev_name, settings.environment_suffix)).get(
                "ReservedConcurrentExecutions", 0
            )
        except ClientError as exc:
            if _error_code(exc) != "ResourceNotFoundException":
                failed = f"lambda:GetFunctionConcurrency failed: {_error_code(exc)}; grant it to the deploying role"
                return [("compute.reservedConcurrency", failed)]
    problems = []
    total, available = sum(wanted.values()), unreserved + held
    if total + MIN_UNRESERVED_CONCURRENCY > available:
        problems.append(
            (
                "compute.reservedConcurrency",
                f"the account's Lambda concurrency quota is {quota} ({unreserved} unreserved); reserving {total} for these functions "
                f"would leave {available - total}, and AWS requires {MIN_UNRESERVED_CONCURRENCY} unreserved. Lower "
                "compute.reservedConcurrency / compute.defaultReservedConcurrency, or raise the quota (Service Quotas: "
                "Lambda 'Concurrent executions')",
            )
        )
    if compute.account_concurrency_limit > quota:
        configured = compute.account_concurrency_limit
        problems.append(("compute.accountConcurrencyLimit", f"is {configured} but the account's quota is {quota}; set it to {quota}"))
    return problems


def tooling_problems(env: Environment) -> list[tuple[str, str]]:
    """The Pulumi CLI, and a way to encrypt stack secrets (passphrase or secrets provider)."""
    problems = []
    if env.which("pulumi") is None:
        problems.append(("PATH", "the Pulumi CLI is not installed (https://www.pulumi.com/docs/install/)"))
    variables = env.variables
    passphrase_file = variables.get("PULUMI_CONFIG_PASSPHRASE_FILE", "")
    if passphrase_file and not Path(passphrase_file).is_file():
        problems.append(("PULUMI_CONFIG_PASSPHRASE_FILE", f"{passphrase_file} does not exist"))
    elif "PULUMI_CONFIG_PASSPHRASE" not in variables and not passphrase_file and not variables.get("PULUMI_SECRETS_PROVIDER"):
        problems.append(
            (
                "PULUMI_CONFIG_PASSPHRASE",
                "no secrets provider: set PULUMI_SECRETS_PROVIDER (e.g. awskms://alias/...), or PULUMI_CONFIG_PASSPHRASE / _FILE",
            )
        )
    return problems


# --- putting it together ---------------------------------------------------------------------


@dataclass(frozen=True)
class LayerSettings:
    """The settings each check needs, as the layer that uses them deploys with them (stack file overrides applied)."""

    foundation: Settings
    compute: Settings
    edge: Settings
    observability: Settings


def load_layer_settings(repo_root: Path, stack: str, today: dt.date) -> LayerSettings:
    """Each layer's effective settings; the runtime is left to `preflight` so it is reported with the rest."""

    def load(layer: str) -> Settings:
        stack_dir = repo_root / "stacks" / layer
        return load_settings(stack_dir, stack_file_overrides(stack_dir, stack), today=today, check_runtime=False)

    return LayerSettings(load("foundation"), load("compute"), load("edge"), load("observability"))


def preflight(
    layers: LayerSettings, inventory: Inventory, clients: ClientFactory, env: Environment, today: dt.date
) -> list[tuple[str, str]]:
    """Every problem standing between this account and a first deploy; raises AccountUnreadable when it cannot be asked."""
    problems = tooling_problems(env)
    try:
        account = str(clients("sts").get_caller_identity()["Account"])
    except (ClientError, BotoCoreError) as exc:
        raise AccountUnreadable(f"cannot read the production account with these credentials (sts:GetCallerIdentity): {exc}") from exc
    for settings in (layers.foundation, layers.compute, layers.edge, layers.observability):
        problems += [p for p in account_problems(account, settings, inventory) if p not in problems]
    problems += placeholder_problems(layers.edge)
    placeholder_settings = {setting for setting, _ in problems}
    if "api.hostedZoneId" not in placeholder_settings:
        problems += hosted_zone_problems(layers.edge, clients)
    problems += certificate_problems(layers.edge, account, clients)
    problems += alarm_problems(layers.observability)
    problems += concurrency_problems(layers.compute, inventory, clients)
    if refused := runtime_problem(layers.compute.compute.runtime, today):
        problems.append(("compute.runtime", refused))
    return problems


def production_clients(profile: str | None = None) -> ClientFactory:
    """Clients on the default credential chain (the production credentials), in eu-west-1."""
    session = boto3.Session(profile_name=profile, region_name=PRODUCTION_REGION)
    # The service is chosen at run time; the boto3 stubs type clients per literal service name.
    make_client: Callable[..., Any] = session.client
    return lambda service: make_client(service, config=_CLIENT_CONFIG)


def main(argv: list[str] | None = None, *, clients: ClientFactory | None = None, env: Environment | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check the production account and this machine before a deploy.")
    parser.add_argument("--stack", default="prod", help="the stack whose Pulumi.<stack>.yaml overrides apply")
    args = parser.parse_args(argv)
    repo_root = find_repo_root(Path.cwd())
    today = runtimes.current_date()
    env = env or Environment(variables=dict(os.environ), which=shutil.which)
    try:
        layers = load_layer_settings(repo_root, args.stack, today)
        inventory = load_inventory(layers.foundation.inventory_file, repo_root, layers.foundation.environment_suffix)
    except ConfigError as exc:
        problems = exc.problems + tooling_problems(env)
        return report(problems, header="the settings are invalid; fix them first")
    try:
        problems = preflight(layers, inventory, clients or production_clients(), env, today)
    except AccountUnreadable as exc:
        print(f"preflight: {exc}\n  set AWS_PROFILE (or the AWS_* variables) to the production account's credentials", file=sys.stderr)
        for setting, problem in tooling_problems(env):
            print(f"  - {setting}: {problem}", file=sys.stderr)
        return 2
    for warning in dict.fromkeys(layers.compute.warnings):
        print(f"preflight: warning: {warning}", file=sys.stderr)
    return report(problems, header="")


def report(problems: list[tuple[str, str]], *, header: str) -> int:
    """Print every problem (setting first) and return the exit status."""
    if not problems:
        print("preflight: ready to deploy (account, placeholders, DNS/certificate, alarms, concurrency, runtime, CLI, secrets)")
        return 0
    print(f"preflight: {len(problems)} problem(s){'; ' + header if header else ''}:", file=sys.stderr)
    for setting, problem in problems:
        print(f"  - {setting}: {problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    exit_with(main())
