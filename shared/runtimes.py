"""The Node.js Lambda runtimes AWS publishes, and whether production may use one on a given day.

One table, read by settings validation (every layer refuses a runtime before registering
anything), by `make preflight` and by the policy pack's creatable-runtime rule.

Dates from AWS's runtime support page, https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
(tables "Supported runtimes" and "Deprecated runtimes": deprecation date, block function create,
block function update), as revised in 2026: AWS moved the block dates of nodejs16.x-nodejs20.x
to 2027-02-01 / 2027-03-03 (cross-checked against cfn-lint's LmbdRuntimeLifecycle.json,
aws-cloudformation/cfn-lint#4532). AWS revises these dates; update the table when it does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

DEFAULT_RUNTIME = "nodejs24.x"
"""The runtime every function gets unless `compute.runtime` says otherwise (standard support to 2028-04-30)."""

WARN_BEFORE_DEPRECATION = dt.timedelta(days=180)
"""How early a deploy starts warning that its runtime is about to be deprecated."""


@dataclass(frozen=True)
class NodeRuntime:
    """One Lambda runtime identifier and the three dates of its end of life."""

    identifier: str
    """What `Runtime` of CreateFunction takes, e.g. `nodejs24.x`."""
    deprecation: dt.date
    """From this day AWS no longer patches the runtime (no security fixes, no support)."""
    block_create: dt.date
    """From this day CreateFunction refuses the runtime."""
    block_update: dt.date
    """From this day UpdateFunctionConfiguration/UpdateFunctionCode refuse it too."""


def current_date() -> dt.date:
    """Today's date in UTC: the day runtimes are judged at (AWS's block dates apply to the day of the deploy).

    Read through this module (`runtimes.current_date()`) by every caller, so the test suite
    pins the day in one place.
    """
    return dt.datetime.now(dt.UTC).date()


def _runtime(identifier: str, *dates: str) -> NodeRuntime:
    deprecation, block_create, block_update = (dt.date.fromisoformat(d) for d in dates)
    return NodeRuntime(identifier, deprecation, block_create, block_update)


NODE_RUNTIMES: Mapping[str, NodeRuntime] = MappingProxyType(
    {
        r.identifier: r
        for r in (
            _runtime("nodejs10.x", "2021-07-30", "2021-07-30", "2022-02-14"),
            _runtime("nodejs12.x", "2023-03-31", "2023-03-31", "2023-04-30"),
            _runtime("nodejs14.x", "2023-12-04", "2024-01-09", "2027-03-03"),
            _runtime("nodejs16.x", "2024-06-12", "2027-02-01", "2027-03-03"),
            _runtime("nodejs18.x", "2025-09-01", "2027-02-01", "2027-03-03"),
            _runtime("nodejs20.x", "2026-04-30", "2027-02-01", "2027-03-03"),
            _runtime("nodejs22.x", "2027-04-30", "2027-06-01", "2027-07-01"),
            _runtime("nodejs24.x", "2028-04-30", "2028-06-01", "2028-07-01"),
        )
    }
)
"""Every Node.js runtime Lambda has offered since nodejs10.x, by identifier."""


def replacement(today: dt.date) -> str:
    """The newest runtime in the table that is not deprecated on `today` (what an error suggests)."""
    usable = [r for r in NODE_RUNTIMES.values() if r.deprecation > today]
    return max(usable, key=lambda r: r.deprecation).identifier if usable else DEFAULT_RUNTIME


def runtime_problem(runtime: str, today: dt.date) -> str | None:
    """Why production must not use `runtime` on `today`, or None when it may.

    Refused: a runtime AWS no longer lets you create (CreateFunction would fail after the
    zip and the log groups exist), and a runtime already deprecated: a payment platform
    does not go live on a runtime that gets no security patches, and whose updates AWS
    blocks a few months later (every redeploy would then fail). An identifier not in the
    table is refused too: Lambda would reject a typo like `nodejs23.x` only mid-deploy.
    """
    known = NODE_RUNTIMES.get(runtime)
    fix = f"set compute.runtime to {replacement(today)}"
    if known is None:
        return f"{runtime!r} is not a Node.js runtime AWS Lambda offers (known: {', '.join(NODE_RUNTIMES)}); {fix}"
    if known.block_create <= today:
        return (
            f"{runtime} cannot be created: AWS Lambda blocks creating functions on it since {known.block_create.isoformat()} "
            f"(deprecated {known.deprecation.isoformat()}, updates blocked from {known.block_update.isoformat()}); {fix}"
        )
    if known.deprecation <= today:
        return (
            f"{runtime} was deprecated by AWS Lambda on {known.deprecation.isoformat()} (no security patches); AWS blocks "
            f"creating functions on it from {known.block_create.isoformat()} and updating them from "
            f"{known.block_update.isoformat()}; {fix}"
        )
    return None


def runtime_warning(runtime: str, today: dt.date) -> str | None:
    """A warning when `runtime` is deprecated less than WARN_BEFORE_DEPRECATION after `today`, else None."""
    known = NODE_RUNTIMES.get(runtime)
    if known is None or runtime_problem(runtime, today) is not None:
        return None
    if known.deprecation - today >= WARN_BEFORE_DEPRECATION:
        return None
    days = (known.deprecation - today).days
    return (
        f"compute.runtime {runtime} is deprecated by AWS Lambda on {known.deprecation.isoformat()} ({days} days from now); "
        f"AWS blocks creating functions on it from {known.block_create.isoformat()}. Move to {replacement(known.deprecation)} "
        "(compute.runtime in config/production.yaml) before then"
    )
