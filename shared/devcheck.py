"""Does the dev account really hold what the inventory describes?

The migration mirrors the dev account; an inventory that names a bucket or table dev does
not have would create production resources nobody can trace back to a dev twin. So before a
layer registers anything, every resource it mirrors is looked up in the dev account with
boto3 (read-only describe calls). boto3 rather than a Pulumi invoke: a failed invoke fails
the whole program even when caught, so it could report only the first miss; here every
resource is looked up and all the missing ones are reported together in one error.

Failing to *look* (no credentials, endpoint unreachable, access denied, wrong account) is a
different error from a resource being missing, and says how to fix the access instead.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Literal, TypeVar, get_args

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    TokenRetrievalError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from shared import aws
from shared.errors import ConfigError
from shared.inventory import Inventory
from shared.settings import Settings

if TYPE_CHECKING:  # the stubs are a development dependency (requirements-dev.txt)
    from mypy_boto3_apigateway import APIGatewayClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sts import STSClient

Kind = Literal["bucket", "table", "function", "api"]
ALL_KINDS: tuple[Kind, ...] = get_args(Kind)
T = TypeVar("T")

# Short timeouts and few retries: an unreachable dev endpoint should fail a deploy in
# seconds with a clear message, not after botocore's default minutes of back-off.
_CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=15, retries={"max_attempts": 3, "mode": "standard"})

# Error codes that mean "the resource is not there" for the describe calls used below.
_NOT_FOUND = frozenset({"404", "NoSuchBucket", "NotFound", "ResourceNotFoundException", "NotFoundException"})
# Error codes that mean the credentials were read but refused.
_REJECTED = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "RequestExpired",
    }
)
_DENIED = frozenset({"403", "AccessDenied", "AccessDeniedException", "Forbidden", "UnauthorizedOperation"})

FIX_ACCESS = (
    "set devProfile in config/production.yaml (or `<project>:devProfile` in the stack's Pulumi.prod.yaml) "
    "to an AWS profile with read access to the dev account, or export that account's credentials"
)


@dataclass(frozen=True)
class DevResourceCheck:
    """The result of looking up one inventory resource in the dev account."""

    kind: Kind
    """What was looked up."""
    name: str
    """Its dev name."""
    path: str
    """Where the inventory names it (`dynamodbTables[1]`), so a miss can be fixed at the source."""
    found: bool
    """Whether the dev account holds it."""
    detail: str
    """What the lookup saw (status, region, or why it counts as missing)."""


class DevResourcesMissing(ConfigError):
    """Resources the inventory names that the dev account does not hold (all of them, in one error)."""


class DevAccountUnreachable(ConfigError):
    """The dev account could not be asked at all: no credentials, no endpoint, access denied or the wrong account."""


@dataclass(frozen=True)
class _Target:
    """What a lookup is about, for error messages."""

    kind: str
    name: str
    path: str
    action: str


def dev_session(inventory: Inventory, settings: Settings) -> boto3.Session:
    """A boto3 session for the dev account: the inventory's region, and `devProfile` when configured.

    One per process and AWS environment (`aws.process_session`): in an offline plan the seeding of
    the emulated account and each layer that checks it (foundation, data) share one session and
    its clients (`DevClients`).
    """
    try:
        return aws.process_session(profile_name=settings.dev_profile, region_name=inventory.region)
    except ProfileNotFound as exc:
        raise DevAccountUnreachable(
            "devProfile", f"AWS profile {settings.dev_profile!r} is not defined in the AWS config files; {FIX_ACCESS}"
        ) from exc


class DevClients:
    """The clients the dev check uses on one session, each made on first use and then kept.

    A client costs about 9 ms to make, and the offline plan and the tests check the dev account
    from many programs in one process on the same session (`dev_session`). Clients are made
    through `session.client`, so a session whose clients fail (in tests) fails here too.
    """

    def __init__(self, session: boto3.Session) -> None:
        self._session = session

    @functools.cached_property
    def sts(self) -> STSClient:
        return self._session.client("sts", config=_CLIENT_CONFIG)

    @functools.cached_property
    def s3(self) -> S3Client:
        return self._session.client("s3", config=_CLIENT_CONFIG)

    @functools.cached_property
    def dynamodb(self) -> DynamoDBClient:
        return self._session.client("dynamodb", config=_CLIENT_CONFIG)

    @functools.cached_property
    def lam(self) -> LambdaClient:
        return self._session.client("lambda", config=_CLIENT_CONFIG)

    @functools.cached_property
    def apigw(self) -> APIGatewayClient:
        return self._session.client("apigateway", config=_CLIENT_CONFIG)


_CLIENTS: weakref.WeakKeyDictionary[boto3.Session, DevClients] = weakref.WeakKeyDictionary()


def dev_clients(session: boto3.Session) -> DevClients:
    """The session's DevClients, kept as long as the session is."""
    clients = _CLIENTS.get(session)
    if clients is None:
        clients = _CLIENTS[session] = DevClients(session)
    return clients


def _who(session: boto3.Session) -> str:
    return f"profile {session.profile_name!r}" if session.profile_name != "default" else "the default credential chain"


def _unreachable(exc: Exception, target: _Target, inventory: Inventory, session: boto3.Session) -> DevAccountUnreachable:
    """Turn a boto3 failure into an error that says which access problem it is and how to fix it."""
    where = f"dev account {inventory.account_id} ({inventory.region})"
    if isinstance(exc, NoCredentialsError | PartialCredentialsError | TokenRetrievalError):
        return DevAccountUnreachable("devProfile", f"no usable AWS credentials for the {where} via {_who(session)} ({exc}); {FIX_ACCESS}")
    if isinstance(exc, BotoConnectionError):
        return DevAccountUnreachable(
            "region",
            f"cannot reach the {where} endpoint for {target.action} ({exc}); check network or proxy access to AWS "
            "and that the inventory's `region` is the dev region",
        )
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
        message = exc.response.get("Error", {}).get("Message") or code
        if code in _REJECTED:
            return DevAccountUnreachable(
                "devProfile", f"the {where} rejected the credentials of {_who(session)} ({code}: {message}); refresh them or {FIX_ACCESS}"
            )
        if code in _DENIED:
            return DevAccountUnreachable(
                target.path,
                f"access denied calling {target.action} for dev {target.kind} {target.name!r} in the {where} "
                f"with {_who(session)} ({code}: {message}); grant {target.action} to those credentials or {FIX_ACCESS}",
            )
        return DevAccountUnreachable(
            target.path, f"{target.action} for dev {target.kind} {target.name!r} failed in the {where}: {code}: {message}"
        )
    return DevAccountUnreachable(target.path, f"{target.action} for dev {target.kind} {target.name!r} failed: {exc}")


def _lookup(call: Callable[[], T], target: _Target, inventory: Inventory, session: boto3.Session) -> T | None:
    """Run one describe call: its response, None when the resource does not exist, or DevAccountUnreachable."""
    try:
        return call()
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code")) in _NOT_FOUND:
            return None
        raise _unreachable(exc, target, inventory, session) from exc
    except (NoCredentialsError, PartialCredentialsError, TokenRetrievalError, BotoConnectionError) as exc:
        raise _unreachable(exc, target, inventory, session) from exc


def _require_account(inventory: Inventory, session: boto3.Session) -> None:
    """Fail unless the credentials belong to the inventory's account: otherwise every lookup would 'miss'."""
    target = _Target("account", inventory.account_id, "accountId", "sts:GetCallerIdentity")
    sts = dev_clients(session).sts
    identity = _lookup(sts.get_caller_identity, target, inventory, session)
    account = identity.get("Account") if identity is not None else None
    if account != inventory.account_id:
        raise DevAccountUnreachable(
            "accountId",
            f"the credentials of {_who(session)} belong to account {account}, but the inventory describes dev account "
            f"{inventory.account_id}; {FIX_ACCESS}",
        )


def _check_buckets(inventory: Inventory, session: boto3.Session) -> Iterable[DevResourceCheck]:
    s3 = dev_clients(session).s3
    for i, bucket in enumerate(inventory.buckets):
        target = _Target("bucket", bucket.name, f"s3Buckets[{i}]", "s3:HeadBucket (s3:ListBucket)")
        head = _lookup(partial(s3.head_bucket, Bucket=bucket.name), target, inventory, session)
        if head is None:
            yield DevResourceCheck("bucket", bucket.name, target.path, False, "HeadBucket: no such bucket")
        else:
            region = head.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("x-amz-bucket-region", "unknown region")
            yield DevResourceCheck("bucket", bucket.name, target.path, True, f"exists in {region}")


def _check_tables(inventory: Inventory, session: boto3.Session) -> Iterable[DevResourceCheck]:
    dynamodb = dev_clients(session).dynamodb
    for i, table in enumerate(inventory.tables):
        target = _Target("table", table.name, f"dynamodbTables[{i}]", "dynamodb:DescribeTable")
        described = _lookup(partial(dynamodb.describe_table, TableName=table.name), target, inventory, session)
        if described is None:
            yield DevResourceCheck("table", table.name, target.path, False, "DescribeTable: no such table")
        else:
            yield DevResourceCheck("table", table.name, target.path, True, f"status {described['Table'].get('TableStatus', 'unknown')}")


def _check_functions(inventory: Inventory, session: boto3.Session) -> Iterable[DevResourceCheck]:
    lam = dev_clients(session).lam
    for i, function in enumerate(inventory.functions):
        target = _Target("function", function.name, f"lambdaFunctions[{i}]", "lambda:GetFunctionConfiguration")
        config = _lookup(partial(lam.get_function_configuration, FunctionName=function.name), target, inventory, session)
        if config is None:
            yield DevResourceCheck("function", function.name, target.path, False, "GetFunctionConfiguration: no such function")
        else:
            yield DevResourceCheck("function", function.name, target.path, True, f"runtime {config.get('Runtime', 'unknown')}")


def _check_api(inventory: Inventory, session: boto3.Session) -> Iterable[DevResourceCheck]:
    """The REST API by name (API Gateway has no lookup by name: page through them all), then its stage."""
    apigw = dev_clients(session).apigw
    api = inventory.api
    target = _Target("api", api.name, "apiGateway", "apigateway:GET /restapis")

    def matching_ids() -> list[str]:
        pages = apigw.get_paginator("get_rest_apis").paginate()
        return [item["id"] for page in pages for item in page.get("items", []) if item.get("name") == api.name]

    ids = _lookup(matching_ids, target, inventory, session) or []
    if not ids:
        yield DevResourceCheck("api", api.name, "apiGateway.name", False, "GetRestApis: no REST API has this name")
        return
    stage_target = _Target("api", api.name, "apiGateway.stageName", "apigateway:GET /restapis/*/stages/*")
    for api_id in ids:
        stage = _lookup(partial(apigw.get_stage, restApiId=api_id, stageName=api.stage_name), stage_target, inventory, session)
        if stage is not None:
            yield DevResourceCheck("api", api.name, "apiGateway", True, f"id {api_id}, stage {api.stage_name!r}")
            return
    yield DevResourceCheck("api", api.name, "apiGateway.stageName", False, f"REST API {', '.join(ids)} has no stage {api.stage_name!r}")


_CHECKERS: dict[Kind, Callable[[Inventory, boto3.Session], Iterable[DevResourceCheck]]] = {
    "bucket": _check_buckets,
    "table": _check_tables,
    "function": _check_functions,
    "api": _check_api,
}


def check_dev_resources(inventory: Inventory, session: boto3.Session, kinds: Iterable[Kind] = ALL_KINDS) -> list[DevResourceCheck]:
    """Look up every inventory resource of `kinds` in the dev account, in inventory order.

    Raises DevAccountUnreachable when the account cannot be asked (the first such failure:
    every later call would fail the same way) or the credentials belong to another account.
    """
    wanted = tuple(dict.fromkeys(kinds))
    unknown = [k for k in wanted if k not in _CHECKERS]
    if unknown:
        raise ValueError(f"unknown resource kinds {unknown}; expected some of {ALL_KINDS}")
    _require_account(inventory, session)
    return [check for kind in wanted for check in _CHECKERS[kind](inventory, session)]


def missing_problems(checks: Iterable[DevResourceCheck], inventory: Inventory) -> list[tuple[str, str]]:
    """One (inventory path, reason) problem per resource the dev account does not hold."""
    where = f"dev account {inventory.account_id} ({inventory.region})"
    return [(c.path, f"dev {c.kind} {c.name!r} does not exist in the {where}: {c.detail}") for c in checks if not c.found]


def require_dev_resources(inventory: Inventory, session: boto3.Session, kinds: Iterable[Kind] = ("bucket", "table")) -> None:
    """Raise DevResourcesMissing naming every missing resource of `kinds`, or return when all exist."""
    problems = missing_problems(check_dev_resources(inventory, session, kinds), inventory)
    if problems:
        raise DevResourcesMissing.from_problems(
            problems,
            header=f"{len(problems)} dev resource(s) named in the inventory {inventory.source} do not exist in the dev account; "
            "fix the inventory or the dev account (nothing was created):",
        )
