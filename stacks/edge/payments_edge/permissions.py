"""Resource-based Lambda permissions that let this API, and only this API, invoke its functions.

One permission per operation, scoped to that operation's method and path: a function serving
`GET /payments/{paymentId}` cannot be reached through another route of the API, let alone through
another API of the account. One permission per authorizer function, scoped to this API's
authorizers. Source ARNs are execute-api ARNs:
`arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path>` for integrations and
`arn:aws:execute-api:<region>:<account>:<apiId>/authorizers/<authorizerId>` for authorizers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from payments_edge.upstream import EdgeUpstream
from shared.naming import logical_name, production_name
from shared.openapi import authorizer_targets, integration_targets

APIGATEWAY_PRINCIPAL = "apigateway.amazonaws.com"
_PATH_PARAMETER = re.compile(r"\{[^}/]+\}")
_NOT_ID = re.compile(r"[^A-Za-z0-9]+")
_STATEMENT_ID_MAX = 100


@dataclass(frozen=True)
class InvokeGrant:
    """One Lambda permission the API needs."""

    logical_name: str
    """Pulumi logical name, unique in the stack: the production function's name and the statement id."""
    dev_function: str
    """The dev function whose production twin the permission is attached to."""
    statement_id: str
    """The statement id in the function's resource policy (unique per function, at most 100 characters)."""
    source_suffix: str
    """What follows the API's execution ARN in the permission's source ARN."""


def integration_source_suffix(operation_key: str) -> str:
    """`/*/GET/payments/*` for `GET /payments/{paymentId}`: any stage, this method, this path.

    Path parameters (greedy `{proxy+}` too) become `*`, which matches whatever API Gateway puts
    there; `ANY` becomes `*`. The stage is `*` so the console's test invocations also work: the
    API has a single stage, and the method and path are where the scoping matters.
    """
    method, path = operation_key.split(" ", 1)
    return f"/*/{'*' if method == 'ANY' else method}/{_PATH_PARAMETER.sub('*', path).lstrip('/')}"


AUTHORIZER_SOURCE_SUFFIX = "/authorizers/*"
"""Any authorizer of this API: authorizer ids are assigned when the contract is imported."""


def _slug(text: str) -> str:
    return _NOT_ID.sub("-", text).strip("-")


def _statement_id(prefix: str, key: str) -> str:
    # A digest keeps ids unique when two paths slug alike (`/a/{b}` and `/a/b`) and fits long paths.
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    room = _STATEMENT_ID_MAX - len(prefix) - len(digest) - 2
    return f"{prefix}-{_slug(key)[:room].rstrip('-')}-{digest}"


def invoke_grants(doc: Mapping[str, Any], suffix: str) -> list[InvokeGrant]:
    """Every permission the contract needs: one per Lambda-integrated operation, one per authorizer function.

    `suffix` is the environment suffix: logical names carry the production function name, never the dev one.
    """

    def grant(function: str, statement_id: str, source_suffix: str) -> InvokeGrant:
        name = logical_name(production_name(function, suffix), statement_id)
        return InvokeGrant(name, function, statement_id, source_suffix)

    grants = [
        grant(function, _statement_id("apigateway", op_key), integration_source_suffix(op_key))
        for op_key, function in integration_targets(doc).items()
    ]
    # Several schemes may share one authorizer function; it needs one permission.
    for function in dict.fromkeys(authorizer_targets(doc).values()):
        grants.append(grant(function, "apigateway-authorizers", AUTHORIZER_SOURCE_SUFFIX))
    return grants


@dataclass(frozen=True)
class InvokePermissionsArgs:
    """Inputs of the API's invoke permissions."""

    dev_document: Mapping[str, Any]
    """The dev contract: which functions serve which operations and authorizers."""
    execution_arn: pulumi.Input[str]
    """The REST API's execution ARN (`arn:aws:execute-api:<region>:<account>:<apiId>`)."""
    upstream: EdgeUpstream
    """Where the production function ARNs come from."""
    suffix: str
    """The environment suffix, for the permissions' logical names."""


class InvokePermissions(pulumi.ComponentResource):
    """The Lambda permissions of `invoke_grants`, attached to the production functions."""

    permissions: list[aws.lambda_.Permission]

    def __init__(self, name: str, args: InvokePermissionsArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("payments:edge:InvokePermissions", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.permissions = [
            aws.lambda_.Permission(
                grant.logical_name,
                action="lambda:InvokeFunction",
                function=args.upstream.function_arn(grant.dev_function),
                principal=APIGATEWAY_PRINCIPAL,
                statement_id=grant.statement_id,
                source_arn=pulumi.Output.concat(args.execution_arn, grant.source_suffix),
                opts=child,
            )
            for grant in invoke_grants(args.dev_document, args.suffix)
        ]
        self.register_outputs({"count": len(self.permissions)})
