"""Pure rules turning the dev inventory and production settings into function settings.

No Pulumi resources here: every rule is a plain function the tests call directly, so a
policy ("memory never below the dev function's", "at least 100 unreserved concurrency",
"no dev name in production configuration") is proven without a deploy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared import naming
from shared.errors import ConfigError, raise_if_any
from shared.inventory import Function, Inventory
from shared.outputs import Data
from shared.settings import ComputeSettings, Settings

MIN_UNRESERVED_CONCURRENCY = 100
"""AWS keeps at least this much of the account's concurrency unreserved for every other function."""

DATA_KEY_VARIABLE = "DATA_KEY_ARN"
"""The variable naming the data CMK: a handler writing to S3 must name it (SSEKMSKeyId), since
`aws:kms` without a key id makes S3 use the AWS managed aws/s3 key instead of the bucket default."""

RESERVED_VARIABLES = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
"""Variables the Lambda runtime sets itself; CreateFunction rejects them."""


@dataclass(frozen=True)
class FunctionSpec:
    """Everything about one production function that does not depend on another stack's outputs."""

    dev_name: str
    """The dev function this one mirrors; outputs are keyed by it."""
    name: str
    """Production function name (the rename rule)."""
    runtime: str
    """Lambda runtime identifier from `compute.runtime`."""
    handler: str
    """The dev handler, unchanged (same code, same entry point)."""
    memory_size: int
    """max(compute.minMemoryMb, dev memory)."""
    timeout: int
    """The dev timeout in seconds."""
    reserved_concurrency: int
    """From compute.reservedConcurrency[dev name], else compute.defaultReservedConcurrency."""
    log_group_name: str
    """`/aws/lambda/<name>`: the group Lambda writes to, created by this layer first."""
    code_path: Path
    """The function's source folder."""
    dev_environment: Mapping[str, str]
    """The dev environment variables, before rewriting."""


def production_memory(dev_memory: int, minimum: int) -> int:
    """Never below the production floor, never below what the function needed in dev."""
    return max(minimum, dev_memory)


def reserved_concurrency(dev_name: str, compute: ComputeSettings) -> int:
    """The configured reservation for a function, or the default."""
    return compute.reserved_concurrency.get(dev_name, compute.default_reserved_concurrency)


def check_concurrency(reservations: Mapping[str, int], account_limit: int) -> None:
    """Refuse reservations that would leave fewer than 100 unreserved of the account limit.

    AWS refuses such a PutFunctionConcurrency half-way through a deploy; failing here names
    every function and number at once instead.
    """
    total = sum(reservations.values())
    unreserved = account_limit - total
    if unreserved < MIN_UNRESERVED_CONCURRENCY:
        listed = ", ".join(f"{name}={value}" for name, value in sorted(reservations.items()))
        raise ConfigError(
            "compute.reservedConcurrency",
            f"reserving {total} of the account limit {account_limit} (compute.accountConcurrencyLimit) leaves {unreserved} unreserved; "
            f"AWS requires at least {MIN_UNRESERVED_CONCURRENCY}. Reservations: {listed}. Lower compute.reservedConcurrency / "
            "compute.defaultReservedConcurrency or raise the account quota and compute.accountConcurrencyLimit",
        )


def function_specs(inventory: Inventory, settings: Settings) -> tuple[FunctionSpec, ...]:
    """One spec per dev function; refuses unknown reservation keys and a concurrency total AWS would reject."""
    compute = settings.compute
    known = {f.name for f in inventory.functions}
    raise_if_any(
        [
            (f"compute.reservedConcurrency.{name}", "is not a function in the dev inventory")
            for name in sorted(compute.reserved_concurrency)
            if name not in known
        ]
    )
    check_concurrency({f.name: reserved_concurrency(f.name, compute) for f in inventory.functions}, compute.account_concurrency_limit)
    return tuple(_spec(f, settings) for f in inventory.functions)


def _spec(function: Function, settings: Settings) -> FunctionSpec:
    name = naming.production_name(function.name, settings.environment_suffix)
    return FunctionSpec(
        dev_name=function.name,
        name=name,
        runtime=settings.compute.runtime,
        handler=function.handler,
        memory_size=production_memory(function.memory_size, settings.compute.min_memory_mb),
        timeout=function.timeout,
        reserved_concurrency=reserved_concurrency(function.name, settings.compute),
        log_group_name=f"/aws/lambda/{name}",
        code_path=function.code_path,
        dev_environment=function.environment,
    )


def resource_name_map(inventory: Inventory, table_names: Mapping[str, str], bucket_names: Mapping[str, str], suffix: str) -> dict[str, str]:
    """{dev name: production name} for every table, bucket and function the inventory names.

    Tables and buckets come from the data layer's outputs (what was really created);
    functions from the rename rule (this layer creates them). A dev resource missing from
    the data outputs is an error: its name would otherwise survive into production.
    """
    problems = [
        (f"data:{key}", f"has no entry for {name!r}; redeploy the data layer (make up-data)")
        for key, names, wanted in ((Data.TABLE_NAMES, table_names, inventory.tables), (Data.BUCKET_NAMES, bucket_names, inventory.buckets))
        for name in (item.name for item in wanted)
        if name not in names
    ]
    raise_if_any(problems, header="the data layer's outputs do not cover the dev inventory:")
    mapping = {t.name: table_names[t.name] for t in inventory.tables}
    mapping |= {b.name: bucket_names[b.name] for b in inventory.buckets}
    mapping |= {f.name: naming.production_name(f.name, suffix) for f in inventory.functions}
    return mapping


def rewrite_names(value: str, name_map: Mapping[str, str]) -> str:
    """Replace every occurrence of a dev name in `value` by its production name, in one pass.

    Longest names first, so `payments-receipts-archive-dev` is never half-rewritten through
    a shorter name it contains; one pass, so a production name is never rewritten again.
    """
    if not name_map:
        return value
    pattern = re.compile("|".join(re.escape(name) for name in sorted(name_map, key=lambda n: (-len(n), n))))
    return pattern.sub(lambda m: name_map[m.group(0)], value)


def production_environment(
    dev_vars: Mapping[str, str],
    name_map: Mapping[str, str],
    extra: Mapping[str, str],
    *,
    dev_account_id: str | None = None,
    owner: str = "",
) -> dict[str, str]:
    """The production variables: dev ones plus `extra` (which wins), every dev resource name rewritten.

    Refuses variables the Lambda runtime reserves and values still holding the dev account
    id (a dev ARN cannot be rewritten by name alone and would point production at dev).
    """
    merged = {**dev_vars, **extra}
    at = f"{owner}.Environment.Variables" if owner else "Environment.Variables"
    problems = [(f"{at}.{key}", "is reserved by the Lambda runtime") for key in sorted(merged) if key in RESERVED_VARIABLES]
    rewritten = {key: rewrite_names(value, name_map) for key, value in sorted(merged.items())}
    if dev_account_id:
        problems += [
            (f"{at}.{key}", f"holds the dev account id {dev_account_id}; reference the resource by name so it can be rewritten")
            for key, value in rewritten.items()
            if dev_account_id in value
        ]
    raise_if_any(problems, header="invalid production environment:")
    return rewritten


def with_data_key(environment: Mapping[str, str], data_key_arn: str) -> dict[str, str]:
    """`environment` plus DATA_KEY_ARN; refuses a configured value that would point elsewhere."""
    configured = environment.get(DATA_KEY_VARIABLE)
    if configured is not None and configured != data_key_arn:
        raise ConfigError(
            f"Environment.Variables.{DATA_KEY_VARIABLE}", "is set by the compute layer from the foundation's data key; remove it"
        )
    return {**environment, DATA_KEY_VARIABLE: data_key_arn}


def function_environment(
    spec: FunctionSpec, extra: Mapping[str, str], dev_account_id: str | None, resolved: Sequence[Any]
) -> dict[str, str]:
    """A function's production variables from the resolved (name map, data key ARN): dev names rewritten, DATA_KEY_ARN added."""
    name_map, data_key_arn = resolved
    environment = production_environment(spec.dev_environment, name_map, extra, dev_account_id=dev_account_id, owner=spec.dev_name)
    return with_data_key(environment, data_key_arn)
