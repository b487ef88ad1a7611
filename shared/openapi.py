"""Read-only helpers over an API Gateway OpenAPI 3.0 export.

The dev API contract is the source of truth for the production API: the inventory validation uses
these helpers to find which dev Lambda function serves each operation and each authorizer, to
refuse documents API Gateway could not import, and to find operations a caller could reach without
authenticating. They never modify a document; `payments_edge.contract` builds the production copy.

Paths in problems and error messages are written JSON-path-ish (`paths./payments.post`), the same
dotted style the inventory's `ConfigError` uses, so they read the same in one report.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from openapi_spec_validator import OpenAPIV30SpecValidator

ANY_METHOD: Final = "x-amazon-apigateway-any-method"
"""API Gateway's extension for the `ANY` method; API Gateway shows it (and we key it) as `ANY`."""

INTEGRATION: Final = "x-amazon-apigateway-integration"
AUTHORIZER: Final = "x-amazon-apigateway-authorizer"

HTTP_METHODS: frozenset[str] = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace", ANY_METHOD})
"""Path-item keys that are operations (OpenAPI 3.0 fixed fields plus API Gateway's ANY)."""

# arn:aws:apigateway:<region>:lambda:path/<api-version>/functions/<function-arn>/invocations, where
# the function ARN may carry a qualifier (`:live`, `:$LATEST`, `:${stageVariables.alias}`). The name
# is taken as written, even a `${stageVariables.x}` template, so such an integration is reported as
# naming an unknown function instead of being mistaken for a non-Lambda one and carried over as is.
_LAMBDA_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/\d{4}-\d{2}-\d{2}/functions/"
    r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:[^:/]+:function:(?P<name>[^:/]+)(?::[^/]+)?"
    r"/invocations$"
)

# API Gateway REST APIs import OpenAPI 2.0 and 3.0 only; the dev export is 3.0 and stays 3.0.
_OPENAPI_30 = re.compile(r"^3\.0\.\d+$")

# jsonschema messages quote the offending instance, which can be a whole path item.
_MAX_REASON = 300


@dataclass(frozen=True)
class Operation:
    """One operation of a contract, as `iter_operations` finds it."""

    path: str
    """The path template as written in the document, e.g. `/payments/{paymentId}`."""
    method: str
    """Upper-case HTTP method; `ANY` for `x-amazon-apigateway-any-method`."""
    spec: Mapping[str, Any]
    """The operation object itself (the document's own object, not a copy)."""

    @property
    def key(self) -> str:
        """`"POST /payments"`: how operations are named in configuration and messages."""
        return f"{self.method} {self.path}"

    @property
    def pointer(self) -> str:
        """`paths./payments.post`: where the operation lives, for error messages."""
        return f"paths.{self.path}.{document_method(self.method)}"


def document_method(method: str) -> str:
    """The path-item key an upper-case method is written under (`ANY` → the API Gateway extension)."""
    return ANY_METHOD if method == "ANY" else method.lower()


def iter_operations(doc: Mapping[str, Any]) -> Iterator[Operation]:
    """Yield every operation in document order; malformed path items are skipped.

    Skipping rather than raising keeps this usable on documents `openapi_problems` has not vetted
    yet: the problems come from there, in one list.
    """
    paths = doc.get("paths")
    if not isinstance(paths, Mapping):
        return
    for path, item in paths.items():
        if not isinstance(item, Mapping):
            continue
        for method, spec in item.items():
            if method in HTTP_METHODS and isinstance(spec, Mapping):
                yield Operation(path=path, method="ANY" if method == ANY_METHOD else method.upper(), spec=spec)


def function_name_from_uri(uri: str) -> str | None:
    """The Lambda function name an API Gateway Lambda URI invokes, or None if it is not one.

    Accepts integration `uri`s and authorizer `authorizerUri`s of the form
    `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function-arn>/invocations`,
    with or without a qualifier on the function ARN. HTTP URLs, AWS service integrations
    (`arn:aws:apigateway:<region>:dynamodb:action/...`) and anything else give None.
    """
    match = _LAMBDA_URI.match(uri)
    return match.group("name") if match else None


def _lambda_name(value: object) -> str | None:
    """`function_name_from_uri` for a value read from an untyped document."""
    return function_name_from_uri(value) if isinstance(value, str) else None


def integration_targets(doc: Mapping[str, Any]) -> dict[str, str]:
    """Operation key → dev function name, for every operation integrated with a Lambda function."""
    targets: dict[str, str] = {}
    for op in iter_operations(doc):
        integration = op.spec.get(INTEGRATION)
        if isinstance(integration, Mapping):
            name = _lambda_name(integration.get("uri"))
            if name is not None:
                targets[op.key] = name
    return targets


def security_schemes(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """`components.securitySchemes`, or an empty mapping when the document declares none."""
    components = doc.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, Mapping) else None
    return schemes if isinstance(schemes, Mapping) else {}


def authorizer_targets(doc: Mapping[str, Any]) -> dict[str, str]:
    """Security scheme name → dev function name, for every Lambda (TOKEN or REQUEST) authorizer.

    Cognito authorizers, IAM (`awsSigv4`) and plain API-key schemes invoke no function and are
    left out.
    """
    targets: dict[str, str] = {}
    for scheme_name, scheme in security_schemes(doc).items():
        authorizer = scheme.get(AUTHORIZER) if isinstance(scheme, Mapping) else None
        if isinstance(authorizer, Mapping):
            name = _lambda_name(authorizer.get("authorizerUri"))
            if name is not None:
                targets[scheme_name] = name
    return targets


def openapi_problems(doc: object) -> list[tuple[str, str]]:
    """(path, reason) pairs saying why `doc` is not an OpenAPI 3.0 document API Gateway can import.

    Empty when the document is fine. The version and `paths` checks come first and are phrased for
    a person who exported the wrong format; openapi-spec-validator's findings follow, so one run
    reports everything at once. The validator is only run on a 3.0 document, since its findings
    against another version would be noise.
    """
    if not isinstance(doc, Mapping):
        return [("(document)", f"must be a JSON object, got {type(doc).__name__}")]
    problems: list[tuple[str, str]] = []
    version = doc.get("openapi")
    if version is None:
        if "swagger" in doc:
            problems.append(("openapi", f"missing: this is a Swagger {doc['swagger']} document; export the API as OpenAPI 3.0 (oas30)"))
        else:
            problems.append(("openapi", "missing: expected an OpenAPI 3.0 version such as '3.0.1'"))
    elif not isinstance(version, str) or not _OPENAPI_30.match(version):
        problems.append(("openapi", f"{version!r} is not supported: API Gateway REST APIs import OpenAPI 3.0.x"))
    if "paths" not in doc:
        problems.append(("paths", "missing"))
    elif not isinstance(doc["paths"], Mapping):
        problems.append(("paths", "must be an object mapping path templates to path items"))
    if problems and problems[0][0] == "openapi":
        return problems
    reported = {location for location, _ in problems}
    for location, reason, crashed in _validator_problems(doc):
        # A crash after other findings is their consequence (the validator met a shape the
        # schema check had already rejected); on its own it is the finding.
        if crashed and problems:
            continue
        if location not in reported and (location, reason) not in problems:
            problems.append((location, reason))
    return problems


def _validator_problems(doc: Mapping[str, Any]) -> tuple[tuple[str, str, bool], ...]:
    """openapi-spec-validator's findings as (path, reason, crashed) triples.

    Every layer and tool validates the same contract; the findings depend only on the document,
    so they are computed once per distinct document in a process (the validator takes ~0.2 s).
    """
    return _validator_findings(json.dumps(doc, sort_keys=True, default=str))


@functools.lru_cache(maxsize=16)
def _validator_findings(canonical: str) -> tuple[tuple[str, str, bool], ...]:
    return tuple(_iter_validator_problems(json.loads(canonical)))


def _iter_validator_problems(doc: Mapping[str, Any]) -> Iterator[tuple[str, str, bool]]:
    """The validator's findings, one at a time.

    The validator's keyword checks can raise on shapes the schema check already rejected (or on a
    dangling `$ref`); that comes last, flagged `crashed`, instead of escaping as a traceback.
    """
    try:
        for error in OpenAPIV30SpecValidator(dict(doc)).iter_errors():
            location: list[str | int] = list(error.absolute_path)
            reason = error.message
            required = error.validator_value
            if error.validator == "required" and isinstance(error.instance, Mapping) and isinstance(required, list):
                missing = [name for name in required if name not in error.instance]
                if missing:
                    location.append(missing[0])
                    reason = "missing"
            yield _dotted(location), _clip(reason), False
    except Exception as exc:  # any validator crash is a finding about this document
        yield "(document)", _clip(f"could not be validated: {type(exc).__name__}: {exc}"), True


def _dotted(location: Sequence[str | int]) -> str:
    """`['paths', '/x', 'get', 'parameters', 0]` → `paths./x.get.parameters[0]`."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(document)"


def _clip(reason: str) -> str:
    return reason if len(reason) <= _MAX_REASON else reason[: _MAX_REASON - 1] + "…"


def unsecured_operations(doc: Mapping[str, Any], public: Collection[str]) -> list[str]:
    """Keys of operations a caller can reach without authenticating, minus those in `public`.

    An operation's effective requirement is its own `security`, or the document's top-level
    `security` when it has none. It counts as secured only when that is a non-empty list whose
    every alternative is a non-empty requirement naming only schemes declared in
    `components.securitySchemes`: `[]` or an alternative `{}` lets anonymous callers in, and a
    requirement naming an undeclared scheme enforces nothing API Gateway could build. Anything we
    cannot prove enforced counts as open, so a doubtful operation is refused rather than exposed.

    A CORS preflight (`OPTIONS` answered by a `mock` integration) is exempt: browsers send it
    without credentials, and it reaches no backend. An `OPTIONS` served by a function is not exempt.
    """
    declared = set(security_schemes(doc))
    top_level = doc.get("security")
    open_keys: list[str] = []
    for op in iter_operations(doc):
        if op.key in public or is_cors_preflight(op):
            continue
        requirements = op.spec.get("security", top_level)
        if not _enforces(requirements, declared):
            open_keys.append(op.key)
    return open_keys


def is_cors_preflight(op: Operation) -> bool:
    """An OPTIONS operation answered by a `mock` integration: browsers send it without credentials."""
    integration = op.spec.get(INTEGRATION)
    return op.method == "OPTIONS" and isinstance(integration, Mapping) and str(integration.get("type", "")).lower() == "mock"


def _enforces(requirements: object, declared: Collection[str]) -> bool:
    if not isinstance(requirements, list) or not requirements:
        return False
    return all(
        isinstance(requirement, Mapping) and requirement and all(name in declared for name in requirement) for requirement in requirements
    )
