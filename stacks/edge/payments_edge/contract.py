"""The production API contract, derived from the dev contract by pure functions.

The edge layer calls these inside `Output.apply` once the compute layer's invoke ARNs are known.
The production contract must be the dev contract with exactly these changes:

- every Lambda integration `uri` and Lambda authorizer `authorizerUri` points at the production
  function that replaces the dev one (looked up by DEV function name);
- `info.title` is the production API name (API Gateway names the REST API after it);
- `servers` is dropped. It holds the dev stage's invoke URL (dev API id, dev region, `/dev` base
  path); API Gateway takes the endpoint from the stage and the custom domain mapping, and with
  `basepath=prepend|split` import modes it would even rewrite the resource paths from it. Nothing
  correct could be written there before the API exists, so it goes;
- an operation that inherits the document-level `security` gets that requirement spelled out
  on itself (CORS preflights aside). API Gateway authorizes per method and has been documented
  not to apply a document-level `security` on import; spelled out, the requirement is enforced
  whatever the importer does, and the contract means what it meant under OpenAPI's rules.

Everything else (paths, methods, parameters, schemas, responses, validators, gateway responses,
security requirements, IAM and API-key schemes, non-Lambda integrations) is carried over as is;
`contract_diff` lets the tests prove it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from shared.openapi import (
    AUTHORIZER,
    INTEGRATION,
    authorizer_targets,
    document_method,
    function_name_from_uri,
    is_cors_preflight,
    iter_operations,
    unsecured_operations,
)

# An integration or authorizer that assumes an IAM role names a role of the dev account; production
# invokes its functions through resource-based Lambda permissions instead. `arn:aws:iam::*:user/*`
# (call with the caller's own credentials) names no role and carries over.
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[^:]*:role/")


class ContractError(ValueError):
    """The dev contract cannot become a production contract; `path` says where, `reason` why."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def production_contract(
    dev_doc: Mapping[str, Any],
    *,
    function_invoke_arns: Mapping[str, str],
    api_name: str,
    region: str,
) -> dict[str, Any]:
    """The production copy of `dev_doc`; `dev_doc` itself is left untouched.

    `function_invoke_arns` maps each DEV function name to the production function's invoke ARN
    (`arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`). The whole
    dev URI is replaced, including any alias qualifier it carried: the production alias may not
    exist, and the compute layer decides which version its invoke ARN targets.

    Raises ContractError when a Lambda integration or authorizer names a dev function with no
    production invoke ARN (every one is listed), when an invoke ARN used is not a Lambda invoke ARN
    in `region`, or when an integration or authorizer assumes an IAM role.
    """
    # A JSON round trip gives a plain, independent, JSON-serialisable copy: what API Gateway gets.
    doc: dict[str, Any] = json.loads(json.dumps(dev_doc))
    missing: list[tuple[str, str]] = []

    for op in iter_operations(dev_doc):
        integration = doc["paths"][op.path][document_method(op.method)].get(INTEGRATION)
        if not isinstance(integration, dict):
            continue
        where = f"{op.pointer}.{INTEGRATION}"
        _refuse_role(integration, "credentials", where)
        uri = integration.get("uri")
        name = function_name_from_uri(uri) if isinstance(uri, str) else None
        if name is None:
            continue
        if name not in function_invoke_arns:
            missing.append((f"{where}.uri", f"{op.key} → {name}"))
            continue
        integration["uri"] = _invoke_arn(function_invoke_arns[name], name, region, f"{where}.uri")

    for scheme_name, name in authorizer_targets(dev_doc).items():
        authorizer = doc["components"]["securitySchemes"][scheme_name][AUTHORIZER]
        where = f"components.securitySchemes.{scheme_name}.{AUTHORIZER}"
        _refuse_role(authorizer, "authorizerCredentials", where)
        if name not in function_invoke_arns:
            missing.append((f"{where}.authorizerUri", f"authorizer {scheme_name} → {name}"))
            continue
        authorizer["authorizerUri"] = _invoke_arn(function_invoke_arns[name], name, region, f"{where}.authorizerUri")

    if missing:
        path = missing[0][0] if len(missing) == 1 else "paths"
        listed = ", ".join(what for _, what in missing)
        known = ", ".join(sorted(function_invoke_arns)) or "none"
        raise ContractError(path, f"no production invoke ARN for the dev function of {listed} (known: {known})")

    _spell_out_inherited_security(dev_doc, doc)
    info = doc.get("info")
    doc["info"] = {**(info if isinstance(info, dict) else {}), "title": api_name}
    doc.pop("servers", None)
    return doc


def _spell_out_inherited_security(dev_doc: Mapping[str, Any], doc: dict[str, Any]) -> None:
    """Copy the document-level `security` onto every operation that inherits it.

    API Gateway applies authorization per method and has been documented not to apply a
    document-level `security` on import, which would serve an inheriting operation open. Spelled
    out per operation, the requirement is enforced either way and the contract means exactly what
    it meant under OpenAPI's own inheritance rule. A CORS preflight is left alone: browsers send it
    without credentials.
    """
    top_level = dev_doc.get("security")
    if not isinstance(top_level, list):
        return
    for op in iter_operations(dev_doc):
        if "security" not in op.spec and not is_cors_preflight(op):
            doc["paths"][op.path][document_method(op.method)]["security"] = json.loads(json.dumps(top_level))


def _invoke_arn(invoke_arn: str, dev_name: str, region: str, where: str) -> str:
    """`invoke_arn`, after checking it is a Lambda invoke ARN whose API Gateway and function live in `region`."""
    in_region = invoke_arn.startswith(f"arn:aws:apigateway:{region}:lambda:path/") and f":lambda:{region}:" in invoke_arn
    if function_name_from_uri(invoke_arn) is None or not in_region:
        raise ContractError(where, f"invoke ARN {invoke_arn!r} given for {dev_name} is not a Lambda invoke ARN in {region}")
    return invoke_arn


def _refuse_role(extension: Mapping[str, Any], field: str, where: str) -> None:
    value = extension.get(field)
    if isinstance(value, str) and _ROLE_ARN.match(value):
        raise ContractError(
            f"{where}.{field}",
            f"assumes the dev IAM role {value!r}; production invokes functions through Lambda "
            "resource permissions, so remove it from the dev contract",
        )


def contract_diff(dev_doc: Any, prod_doc: Any) -> list[str]:
    """JSON pointers (RFC 6901) of every place the two documents differ, in document order.

    A key present on one side only is reported at that key; differing lists are compared item by
    item, so a changed parameter is pinpointed rather than the whole list reported.
    """
    differences: list[str] = []
    _diff(dev_doc, prod_doc, "", differences)
    return differences


def _diff(left: Any, right: Any, pointer: str, out: list[str]) -> None:
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        for key in [*left, *(k for k in right if k not in left)]:
            child = f"{pointer}/{_escape(str(key))}"
            if key in left and key in right:
                _diff(left[key], right[key], child, out)
            else:
                out.append(child)
    elif isinstance(left, list) and isinstance(right, list):
        for index in range(max(len(left), len(right))):
            if index < len(left) and index < len(right):
                _diff(left[index], right[index], f"{pointer}/{index}", out)
            else:
                out.append(f"{pointer}/{index}")
    elif type(left) is not type(right) or left != right:
        # `type` too: JSON tells 1 from 1.0 and from true, Python's == does not.
        out.append(pointer)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def require_secured(doc: Mapping[str, Any], public: Collection[str]) -> None:
    """Refuse a contract with any operation open to anonymous callers that is not marked public.

    Every open operation is listed at once; see `shared.openapi.unsecured_operations` for what
    counts as open (and why CORS preflights are exempt).
    """
    open_keys = unsecured_operations(doc, public)
    if open_keys:
        raise ContractError(
            "paths",
            f"operations without a security requirement: {', '.join(open_keys)}; "
            "mark them public in apiGateway.publicOperations or secure them",
        )


def document_hash(doc: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of `doc`: the deployment's redeploy trigger.

    Canonical (sorted keys, compact separators) so that only a change of content, never of key
    order or formatting, redeploys the stage.
    """
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
