"""Production settings, loaded once and validated in one place.

`config/production.yaml` holds the environment's shared settings; a layer's
`Pulumi.prod.yaml` may override any top-level key. The result is a tree of frozen
dataclasses so no layer can mutate what another layer relies on.

Each default is written once: on its dataclass field, beside the reason for it. The JSON
schema says what a value may be (no defaults); the settings file holds only what this
environment decides; `section` fills field `min_memory_mb` from key `minMemoryMb` generically.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml

from shared import runtimes
from shared.errors import ConfigError, raise_if_any
from shared.runtimes import DEFAULT_RUNTIME, runtime_problem, runtime_warning
from shared.schema import schema_problems

PRODUCTION_REGION = "eu-west-1"
SETTINGS_FILE = Path("config") / "production.yaml"
LAYERS: tuple[str, ...] = ("foundation", "data", "compute", "edge", "observability")
T = TypeVar("T")


_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely, with libyaml's C parser when PyYAML was built with it.

    Every layer and tool reads the settings and stack files, often several times a run; the pure
    Python parser took about a tenth of a second each time. Both parsers accept the same
    documents and raise `yaml.YAMLError` on a bad one.
    """
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # a safe loader


def stack_file_config(path: Path) -> dict[str, Any]:
    """The `config:` mapping of a Pulumi stack file (`Pulumi.<stack>.yaml`); empty when the file or the section is absent."""
    if not path.is_file():
        return {}
    config: dict[str, Any] = (read_yaml(path) or {}).get("config") or {}
    return config


def find_repo_root(start: Path) -> Path:
    """Walk up from `start` to the folder holding config/production.yaml.

    Pulumi runs each program from its own stack folder and tests run from anywhere, so
    the root is found from the caller's location rather than assumed from the cwd.
    """
    for folder in (start.resolve(), *start.resolve().parents):
        if (folder / SETTINGS_FILE).is_file():
            return folder
    raise ConfigError(str(SETTINGS_FILE), f"not found in {start} or any parent folder")


def project_name(layer: str) -> str:
    """The Pulumi project of a layer (`payments-foundation`, ...).

    Here rather than beside the stack references, so the deploy targets' confirmation prompt
    can name projects without importing Pulumi (a third of a second per prompt).
    """
    if layer not in LAYERS:
        raise ConfigError("stackReferences", f"unknown layer {layer!r}; layers are {', '.join(LAYERS)}")
    return f"payments-{layer}"


def require_region(region: str) -> str:
    """Refuse any region but eu-west-1: production data must stay in the EU region it was approved for."""
    if region != PRODUCTION_REGION:
        raise ConfigError("region", f"production deploys only to {PRODUCTION_REGION}; refusing {region!r}")
    return region


@dataclass(frozen=True)
class KmsSettings:
    deletion_window_days: int = 30
    """Days a scheduled key deletion waits; 30 gives the longest window to notice a mistake."""


@dataclass(frozen=True)
class StorageSettings:
    glacier_transition_days: int = 90
    """Current object versions move to GLACIER after this many days (the spec's 90)."""
    noncurrent_transition_days: int = 30
    """Noncurrent versions move to GLACIER after this many days."""
    noncurrent_expiration_days: int = 365
    """Noncurrent versions are deleted after this many days."""
    abort_incomplete_multipart_days: int = 7
    """Incomplete multipart uploads are aborted after this many days, so they stop costing money."""
    force_destroy: bool = True
    """Let `pulumi destroy` empty buckets and the backup vault (the spec wants everything destroyable; see stacks/data/README.md)."""


@dataclass(frozen=True)
class BackupSettings:
    schedule: str = "cron(0 3 * * ? *)"
    """When the daily backup runs (03:00 UTC)."""
    retention_days: int = 35
    """How long each recovery point is kept."""


@dataclass(frozen=True)
class ComputeSettings:
    runtime: str = DEFAULT_RUNTIME
    """Lambda runtime for every function; one AWS still lets you create (see shared/runtimes.py)."""
    min_memory_mb: int = 512
    """Production memory is max(this, dev memory)."""
    account_concurrency_limit: int = 1000
    """The account's Lambda concurrency quota in eu-west-1; at least 100 must stay unreserved."""
    default_reserved_concurrency: int = 50
    """Reserved concurrency for a function not listed in `reserved_concurrency`."""
    reserved_concurrency: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    """Reserved concurrency by dev function name."""
    environment: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({"LOG_LEVEL": "info"}))
    """Production variables added to (and overriding) every function's dev variables."""


@dataclass(frozen=True)
class ApiSettings:
    throttle_rate_limit: float = 1000
    """Steady-state requests per second for every method."""
    throttle_burst_limit: int = 2000
    """Burst bucket size; at least 1000."""
    domain_name: str = "api.payments.example.com"
    """The custom domain callers use."""
    certificate_arn: str | None = None
    """An existing ACM certificate in eu-west-1; None requests one validated in `hosted_zone_id`."""
    hosted_zone_id: str | None = None
    """Route 53 zone for certificate validation and the alias record."""
    waf_rate_limit: int = 2000
    """Requests per client IP per 5 minutes before WAF blocks it."""
    manage_account_logging_role: bool = True
    """Whether this stack owns the region's API Gateway CloudWatch role setting (one per account and region)."""


@dataclass(frozen=True)
class AlarmSettings:
    emails: tuple[str, ...] = ()
    """Addresses subscribed to the alarm topic; each must confirm the mail AWS sends."""
    lambda_error_rate_percent: float = 1.0
    """Alarm when 100 × Errors / Invocations exceeds this."""
    api_4xx_rate: float = 0.05
    """Alarm when the API's 4XXError average (a 0–1 fraction) exceeds this."""
    api_5xx_rate: float = 0.01
    """Alarm when the API's 5XXError average exceeds this."""
    api_latency_p99_ms: float = 2500
    """Alarm when the API's p99 latency exceeds this."""
    period_seconds: int = 300
    """Metric period of every alarm."""
    evaluation_periods: int = 1
    """Periods over threshold before an alarm fires."""


EXAMPLE_GITHUB_REPOSITORY = "example-org/payments-platform"
"""The placeholder `github.repository` ships with: fine for `make plan`, refused by `make bootstrap-access`."""


@dataclass(frozen=True)
class GithubSettings:
    repository: str = EXAMPLE_GITHUB_REPOSITORY
    """`<owner>/<repo>` whose workflows may assume the CI roles (a placeholder: set yours before bootstrapping)."""
    deploy_environment: str = "production"
    """GitHub environment the deploy jobs run in; only tokens of jobs in it may assume the deploy role."""
    create_oidc_provider: bool = True
    """IAM allows one GitHub OIDC provider per account: False when another project already created it."""


@dataclass(frozen=True)
class StackReferenceSettings:
    organization: str | None = None
    """Organization of the upstream stacks; None means the one running this deploy."""
    stacks: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Upstream stack name per layer (e.g. `{foundation: prod}`); a layer not listed uses the running stack's name."""


@dataclass(frozen=True)
class Settings:
    """Everything a layer needs to know about the production environment."""

    repo_root: Path
    """The folder holding config/production.yaml (found, not configured)."""
    region: str
    """The only region production may use (eu-west-1); anything else is refused."""
    environment_suffix: str
    """Ends every physical name: 1-8 lowercase letters or digits."""
    migration_date: dt.date
    """The MigrationDate tag; configured, never the clock, so redeploys never churn tags."""
    inventory_file: Path
    """The dev inventory (config/dev-environment.json), relative to the repository root in the file."""
    allowed_account_ids: tuple[str, ...] = ()
    """Production account ids the provider may touch; empty allows any but the dev inventory's account.

    The dev account is always refused; `make preflight` wants the production id set here.
    """
    dev_profile: str | None = None
    """AWS profile with read access to the dev account; None uses the default credential chain."""
    check_dev_resources: bool = True
    """Look up every dev resource before foundation/data create anything; turned off once dev is retired."""
    log_retention_days: int = 30
    """Retention of every log group: Lambda, API access and execution logs, WAF."""
    kms: KmsSettings = KmsSettings()
    storage: StorageSettings = StorageSettings()
    backup: BackupSettings = BackupSettings()
    compute: ComputeSettings = ComputeSettings()
    api: ApiSettings = ApiSettings()
    alarms: AlarmSettings = AlarmSettings()
    github: GithubSettings = GithubSettings()
    stack_references: StackReferenceSettings = StackReferenceSettings()
    warnings: tuple[str, ...] = ()
    """What validation noticed that is not (yet) an error, e.g. a runtime deprecated within 180 days; logged by every layer."""


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _normalise(raw: dict[str, Any]) -> dict[str, Any]:
    # YAML reads an unquoted 2026-12-01 as a date; accept it as the ISO string it is.
    if isinstance(raw.get("migrationDate"), dt.date):
        raw["migrationDate"] = raw["migrationDate"].isoformat()
    return raw


def camel_case(field_name: str) -> str:
    """The settings-file key of a dataclass field: `min_memory_mb` → `minMemoryMb`, `api_4xx_rate` → `api4xxRate`."""
    head, *rest = field_name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def _convert(value: Any, hint: Any) -> Any:
    # Frozen settings: lists become tuples, objects read-only mappings, nested sections dataclasses.
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return section(hint, value)
    if origin is tuple:
        return tuple(value)
    if origin is Mapping or hint is Mapping:
        return MappingProxyType(dict(value))
    return value


def section(cls: type[T], raw: Mapping[str, Any], **computed: Any) -> T:
    """Build a settings dataclass from its part of the file, generically: key `minMemoryMb` fills field `min_memory_mb`.

    A key that is absent keeps the field's default, so every default is written once, on the
    dataclass; the schema has none and the settings file holds only what differs from it.
    `computed` sets fields the code derives (the repository root, the parsed date) and wins.
    """
    hints = typing.get_type_hints(cls)
    values = {
        f.name: _convert(raw[camel_case(f.name)], hints[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.init and camel_case(f.name) in raw
    }
    return cls(**{**values, **computed})


def defaults(cls: type[Any]) -> dict[str, Any]:
    """`{settings-file key: default}` of a settings dataclass, for checks that need a value before the dataclass exists."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[camel_case(f.name)] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[camel_case(f.name)] = f.default_factory()
    return out


def parse_settings(raw: Mapping[str, Any], repo_root: Path, *, today: dt.date | None = None, check_runtime: bool = True) -> Settings:
    """Validate a settings mapping and build the frozen Settings, reporting every problem at once.

    `today` (default: the clock) is the day the Lambda runtime is judged at: AWS's block
    dates apply to the day of the deploy, not to the configured migration date.
    `check_runtime=False` leaves the runtime to the caller: `make preflight` reports it
    beside every other problem instead of stopping at it.
    """
    today = today or runtimes.current_date()
    data = _normalise(dict(raw))
    problems = schema_problems(data, "production.schema.json")
    if "region" in data and isinstance(data["region"], str) and data["region"] != PRODUCTION_REGION:
        problems.append(("region", f"production deploys only to {PRODUCTION_REGION}; refusing {data['region']!r}"))
    if not any(p == "migrationDate" for p, _ in problems) and "migrationDate" in data:
        try:
            dt.date.fromisoformat(data["migrationDate"])
        except ValueError:
            problems.append(("migrationDate", f"{data['migrationDate']!r} is not a valid ISO date"))
    storage = {**defaults(StorageSettings), **(data["storage"] if isinstance(data.get("storage"), dict) else {})}
    if not any(p.startswith("storage") for p, _ in problems) and storage["noncurrentExpirationDays"] <= storage["noncurrentTransitionDays"]:
        problems.append(("storage.noncurrentExpirationDays", "must be later than storage.noncurrentTransitionDays"))
    runtime = {**defaults(ComputeSettings), **(data["compute"] if isinstance(data.get("compute"), dict) else {})}["runtime"]
    if check_runtime and not any(p == "compute.runtime" for p, _ in problems) and (refused := runtime_problem(runtime, today)):
        problems.append(("compute.runtime", refused))
    raise_if_any(sorted(set(problems)), header="invalid production settings:")

    return section(
        Settings,
        data,
        repo_root=repo_root,
        region=require_region(data["region"]),
        migration_date=dt.date.fromisoformat(data["migrationDate"]),
        inventory_file=(repo_root / data["inventoryFile"]).resolve(),
        warnings=tuple(w for w in (runtime_warning(runtime, today),) if w),
    )


def load_settings(
    start: Path, overrides: Mapping[str, Any] | None = None, *, today: dt.date | None = None, check_runtime: bool = True
) -> Settings:
    """Read config/production.yaml (found from `start` upward), apply a layer's overrides, validate (at `today`)."""
    root = find_repo_root(start)
    path = root / SETTINGS_FILE
    try:
        raw = read_yaml(path) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(str(SETTINGS_FILE), f"is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(str(SETTINGS_FILE), "must be a mapping of setting names to values")
    return parse_settings(_merge(raw, overrides or {}), root, today=today, check_runtime=check_runtime)
