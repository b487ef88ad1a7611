"""An emulated dev account (moto) seeded from the inventory, for the offline plan and the tests.

The offline plan must pass the data layer's dev-existence check without a real dev
account; seeding moto with exactly what the inventory describes gives it one.
"""

from __future__ import annotations

import functools
import io
import json
import zipfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import boto3
import moto.core.base_backend
import moto.core.routing
import moto.core.utils

from shared import aws
from shared.devcheck import dev_clients
from shared.inventory import Inventory, Table

if TYPE_CHECKING:  # the stubs are a development dependency (requirements-dev.txt)
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_lambda.literals import RuntimeType
    from mypy_boto3_s3.literals import BucketLocationConstraintType

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.js", "exports.handler = async () => ({ statusCode: 200 });\n")
    return buffer.getvalue()


def create_table_request(table: Table) -> dict[str, Any]:
    """A CreateTable request reproducing a dev table's schema."""

    def keys(schema: tuple[Any, ...]) -> list[dict[str, str]]:
        return [{"AttributeName": k.attribute_name, "KeyType": k.key_type} for k in schema]

    def indexes(items: tuple[Any, ...]) -> list[dict[str, Any]]:
        out = []
        for ix in items:
            projection: dict[str, Any] = {"ProjectionType": ix.projection_type}
            if ix.non_key_attributes:
                projection["NonKeyAttributes"] = list(ix.non_key_attributes)
            out.append({"IndexName": ix.name, "KeySchema": keys(ix.key_schema), "Projection": projection})
        return out

    request: dict[str, Any] = {
        "TableName": table.name,
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in table.attribute_definitions],
        "KeySchema": keys(table.key_schema),
        "BillingMode": "PAY_PER_REQUEST",
    }
    if table.global_secondary_indexes:
        request["GlobalSecondaryIndexes"] = indexes(table.global_secondary_indexes)
    if table.local_secondary_indexes:
        request["LocalSecondaryIndexes"] = indexes(table.local_secondary_indexes)
    if table.stream_view_type:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": table.stream_view_type}
    return request


def share_motos_model_loader() -> None:
    """Let moto parse each AWS service model once per process, as botocore does.

    moto reads a service's model (with its own extras) the first time the emulated account
    serves that service, and makes a fresh botocore loader for every model it reads, so each
    read lists the ~400 service folders botocore ships again: a tenth of a second or more of
    every emulated account's start. One cached loader returns the same models. moto's list of
    each service's regions comes from a boto3 session of its own; that session reads from the
    process's shared loader too. If a moto upgrade moves either, this does nothing for it (the
    emulation only gets slower), and `tests/tools/test_devaccount.py` fails saying so.
    """
    utils: Any = moto.core.utils  # create_loader is imported there, not exported: typed loosely on purpose
    create = getattr(utils, "create_loader", None)
    if callable(create) and not hasattr(create, "cache_info"):

        @functools.cache
        def shared() -> Any:
            loader = create()
            loader.file_loader = aws.PlainJSONFileLoader()
            # moto's own folder holds extras for botocore's models, never a model, so the services it
            # can load are the ones the shared loader lists: ask it instead of walking ~450 folders again.
            loader.list_available_services = aws.model_loader().list_available_services
            return loader

        utils.create_loader = shared
    backends: Any = getattr(moto.core.base_backend, "AccountSpecificBackend", None)
    get_session = getattr(backends, "get_session", None)
    if callable(get_session) and getattr(get_session, "__func__", None) is not _motos_region_session:
        backends.get_session = classmethod(_motos_region_session)


def skip_motos_url_builders() -> None:
    """Stop werkzeug compiling URL builders for moto's REST routes, which moto only ever matches.

    moto routes a REST request (Lambda, API Gateway) through a werkzeug URL map holding one rule
    per operation, built on the first request to that service. For every rule werkzeug also
    generates and compiles two URL builders (Python source through `ast`): about 0.1 s for
    Lambda's and API Gateway's 200 rules, a tenth of the plan's own work, spent on code moto
    never calls (it matches requests, it never builds URLs). Only moto's own rule class is
    changed; a builder call would raise instead of building. If a moto or werkzeug upgrade moves
    either name, this does nothing (the emulation only gets slower), and
    `tests/tools/test_devaccount.py` fails saying so.
    """
    rule: Any = getattr(moto.core.routing, "SmithyRule", None)  # moto's werkzeug Rule subclass: typed loosely on purpose
    if rule is not None and callable(getattr(rule, "_compile_builder", None)):
        rule._compile_builder = _no_url_builder


def _no_url_builder(_rule: object, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
    """What werkzeug's `Rule.compile` binds as a moto rule's URL builders: one that refuses to build."""
    return _refuse_to_build


def _refuse_to_build(_rule: object, *_args: object, **_kwargs: object) -> tuple[str, str]:
    raise NotImplementedError("moto's emulated REST routes only match requests; building a URL from one is not supported")


def _motos_region_session(_cls: type) -> boto3.Session:
    """The session moto asks which regions each emulated service has (moto's `get_session`): one per process."""
    return _region_session()


@functools.cache
def _region_session() -> boto3.Session:
    """A session reading from the shared loader, for moto's lists of regions.

    moto makes a plain boto3 session of its own for that, whose loader parses the endpoint list and
    every emulated service's full model a second time (about 0.1 s of the plan). Like moto's own,
    it reads no profile until asked, so an AWS_PROFILE naming an absent profile does not break it.
    """
    return boto3.Session(botocore_session=aws.core_session())


@functools.lru_cache(maxsize=16)  # as many as aws.process_session keeps
def _iam_client(session: boto3.Session) -> IAMClient:
    """The IAM client that creates the dev functions' role, one per session (the dev check needs no IAM)."""
    return session.client("iam")


def seed_dev_account(inventory: Inventory, *, skip: frozenset[str] = frozenset()) -> None:
    """Create every dev resource the inventory names (except those in `skip`) in the emulated account.

    Must run inside `moto.mock_aws()`. `skip` lets tests remove resources to exercise the
    existence check.
    """
    share_motos_model_loader()
    skip_motos_url_builders()
    region = inventory.region
    # The session and clients the dev check makes on this emulated account (shared.devcheck.dev_session
    # without devProfile): made here, they are reused when the plan's first layer checks the account.
    session = aws.process_session(region_name=region)
    clients = dev_clients(session)
    s3 = clients.s3
    for bucket in inventory.buckets:
        if bucket.name not in skip:
            if region == "us-east-1":
                s3.create_bucket(Bucket=bucket.name)
            else:
                location = cast("BucketLocationConstraintType", region)
                s3.create_bucket(Bucket=bucket.name, CreateBucketConfiguration={"LocationConstraint": location})
    dynamodb = clients.dynamodb
    for table in inventory.tables:
        if table.name not in skip:
            dynamodb.create_table(**create_table_request(table))
            if table.ttl_attribute:
                dynamodb.update_time_to_live(
                    TableName=table.name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute}
                )
    iam = _iam_client(session)
    role_arn = iam.create_role(RoleName="payments-lambda-dev", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    lam = clients.lam
    code = _placeholder_zip()
    for function in inventory.functions:
        if function.name not in skip:
            lam.create_function(
                FunctionName=function.name,
                Runtime=cast("RuntimeType", function.runtime),
                Role=role_arn,
                Handler=function.handler,
                Code={"ZipFile": code},
                MemorySize=function.memory_size,
                Timeout=function.timeout,
                Environment={"Variables": dict(function.environment)},
            )
    if inventory.api.name not in skip:
        apigw = clients.apigw
        api_id = apigw.create_rest_api(name=inventory.api.name)["id"]
        root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
        apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
        apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
        deployment = apigw.create_deployment(restApiId=api_id)["id"]
        apigw.create_stage(restApiId=api_id, stageName=inventory.api.stage_name, deploymentId=deployment)
