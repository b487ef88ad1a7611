"""`make local-api`: the production API contract served on 127.0.0.1, end to end.

What it serves is the document the edge layer would deploy (`payments_edge.contract.production_contract`
over the dev contract, with the production function names), and it runs it the way API Gateway
runs a REST API with Lambda proxy integrations:

- routes from the contract's paths and methods; anything else is API Gateway's
  `MISSING_AUTHENTICATION_TOKEN` (403);
- the REQUEST authorizer: a missing identity source is 401 without calling it; its answer is cached
  per identity-source value for `authorizerResultTtlInSeconds`; the policy is evaluated against
  the request's method ARN (explicit deny and no matching allow are 403, a thrown `Unauthorized`
  is 401, any other failure 500); its context reaches the handler as `requestContext.authorizer`;
- request validation as the operation's validator declares: required parameters present and not
  blank (API Gateway checks no type or pattern), and the body against its model (JSON Schema
  draft 4) when the request's content type has one;
- gateway responses rendered from the contract's templates;
- each operation dispatched to the real handler (a long-lived Node worker per function,
  `stacks/compute/handlers/local-worker.mjs`) with an API Gateway proxy event; the worker runs the
  esbuild bundle the compute layer deploys (`packaging.cached_bundle`), not the source modules;
- DynamoDB and S3 are moto (`ThreadedMotoServer` on loopback) holding the production-named tables
  and buckets.

It is bounded: it binds to loopback only, refuses bodies over API Gateway's 10 MB payload limit,
gives each integration the contract's timeout, and stops after `--max-seconds` when given.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import fnmatch
import ipaddress
import itertools
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, TypeGuard
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
from jsonschema import Draft4Validator
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from payments_compute.packaging import cached_bundle, node_target
from payments_compute.rules import function_environment, function_specs, resource_name_map
from payments_edge.contract import production_contract
from payments_edge.names import stage_name
from payments_tools import node_runtime
from payments_tools.cli import exit_with
from payments_tools.merchants import Merchants
from shared.build import artifacts_dir
from shared.errors import ConfigError
from shared.inventory import Inventory, load_inventory
from shared.naming import production_name
from shared.openapi import AUTHORIZER, INTEGRATION, function_name_from_uri, iter_operations, security_schemes
from shared.settings import PRODUCTION_REGION, Settings, load_settings

WORKER = Path("stacks") / "compute" / "handlers" / "local-worker.mjs"
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
"""API Gateway REST API payload quota."""
LOCAL_ACCOUNT = "123456789012"
"""moto's account: the method ARNs name it, as they would name the production account."""
LOCAL_API_ID = "localapi01"
STOP_POLL_SECONDS = 0.05
"""How often the HTTP servers look for a stop request, so `stop()` returns within this long
(socketserver's default, 0.5 s, made every stop wait up to a second for the two servers)."""
DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000
TEST_MERCHANT_NAME = "local test merchant"
EXPLICIT_DENY = "User is not authorized to access this resource with an explicit deny"

# API Gateway's built-in gateway responses, used when the contract defines neither the type nor its DEFAULT_4XX/5XX.
GATEWAY_DEFAULTS: dict[str, tuple[int, str | None]] = {
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "UNAUTHORIZED": (401, "Unauthorized"),
    "ACCESS_DENIED": (403, "User is not authorized to access this resource"),
    "AUTHORIZER_FAILURE": (500, None),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, None),
    "BAD_REQUEST_PARAMETERS": (400, "Missing required request parameters"),
    "BAD_REQUEST_BODY": (400, "Invalid request body"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long"),
    "INTEGRATION_FAILURE": (502, "Internal server error"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out"),
}


def node_binary(repo_root: Path) -> str:
    """The Node.js of the configured Lambda runtime that `make setup` installed (.node/), else `node` on PATH.

    The handlers need Node.js 22+ (they read numbers from the request text), so the machine's own
    Node.js is only a fallback.
    """
    try:
        pinned = node_runtime.node_binary(repo_root, node_runtime.node_version_for(node_runtime.configured_runtime(repo_root)))
    except ConfigError:
        return "node"
    return str(pinned) if pinned.exists() else "node"


class LocalApiError(Exception):
    """The local API cannot start; the message says what is missing."""


# --- the contract as routes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One operation of the contract."""

    path: str
    method: str
    pattern: re.Pattern[str]
    spec: Mapping[str, Any]
    function: str | None
    """Name of the Lambda function serving it, as the contract's URI says (None: not a Lambda proxy integration)."""
    timeout_ms: int

    @property
    def literal_length(self) -> int:
        """API Gateway prefers the most specific path: more literal characters first."""
        return len(re.sub(r"\{[^}]+\}", "", self.path))


def _path_pattern(template: str) -> re.Pattern[str]:
    """`/payments/{paymentId}` → a regex whose groups are the path parameters, in order; `{proxy+}` is greedy."""
    regex = ""
    for literal, name in re.findall(r"([^{]*)(?:\{([^}]+)\})?", template):
        regex += re.escape(literal)
        if name:
            regex += "(.+)" if name.endswith("+") else "([^/]+)"
    return re.compile(f"^{regex}$")


def _path_parameter_names(template: str) -> list[str]:
    return [name.rstrip("+") for name in re.findall(r"\{([^}]+)\}", template)]


def routes_of(contract: Mapping[str, Any]) -> list[Route]:
    routes = []
    for op in iter_operations(contract):
        integration = op.spec.get(INTEGRATION) or {}
        uri = integration.get("uri")
        function = function_name_from_uri(uri) if isinstance(uri, str) and integration.get("type") == "aws_proxy" else None
        timeout = int(integration.get("timeoutInMillis", DEFAULT_INTEGRATION_TIMEOUT_MS))
        routes.append(Route(op.path, op.method, _path_pattern(op.path), op.spec, function, timeout))
    return sorted(routes, key=lambda r: -r.literal_length)


def _parameters(contract: Mapping[str, Any], route: Route) -> list[Mapping[str, Any]]:
    path_item = contract["paths"][route.path]
    merged = {(p["in"], p["name"].lower() if p["in"] == "header" else p["name"]): p for p in path_item.get("parameters", [])}
    merged |= {(p["in"], p["name"].lower() if p["in"] == "header" else p["name"]): p for p in route.spec.get("parameters", [])}
    return list(merged.values())


# --- the environment: names, moto, workers -----------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """Production names of everything the local API needs, by dev name."""

    tables: Mapping[str, str]
    buckets: Mapping[str, str]
    functions: Mapping[str, str]
    api: str
    stage: str

    @classmethod
    def of(cls, inventory: Inventory, suffix: str) -> Names:
        return cls(
            tables={t.name: production_name(t.name, suffix) for t in inventory.tables},
            buckets={b.name: production_name(b.name, suffix) for b in inventory.buckets},
            functions={f.name: production_name(f.name, suffix) for f in inventory.functions},
            api=production_name(inventory.api.name, suffix),
            stage=stage_name(inventory.api.stage_name),
        )

    def merchants_table(self) -> str:
        return next(prod for dev, prod in self.tables.items() if dev.startswith("payments-merchants"))


def local_contract(inventory: Inventory, names: Names) -> dict[str, Any]:
    """The production contract, with invoke ARNs of the production functions (as the edge layer builds it)."""
    arns = {
        dev: f"arn:aws:apigateway:{PRODUCTION_REGION}:lambda:path/2015-03-31/functions/"
        f"arn:aws:lambda:{PRODUCTION_REGION}:{LOCAL_ACCOUNT}:function:{prod}/invocations"
        for dev, prod in names.functions.items()
    }
    contract: dict[str, Any] = production_contract(
        inventory.api.document, function_invoke_arns=arns, api_name=names.api, region=PRODUCTION_REGION
    )
    return contract


class _SerialisedApp(DomainDispatcherApplication):
    """moto serves requests on threads without locking its backends; real DynamoDB applies each
    conditional write atomically. One lock per request restores that guarantee."""

    _lock = threading.Lock()

    def __call__(self, environ: Any, start_response: Any) -> Any:
        with self._lock:
            return list(super().__call__(environ, start_response))


class LocalMoto(ThreadedMotoServer):
    """ThreadedMotoServer on 127.0.0.1, a free port, requests serialised."""

    def __init__(self, port: int = 0) -> None:
        super().__init__(ip_address="127.0.0.1", port=port, verbose=False)
        self.error: str | None = None
        """Why the server could not start, set by its thread."""

    def _server_entry(self) -> None:
        from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        try:
            self._server = make_server(
                self._ip_address, self._port, _SerialisedApp(create_backend_app), True, request_handler=MotoRequestHandler
            )
        except (OSError, SystemExit):  # werkzeug exits on a taken port: report it instead of hanging start()
            self.error = f"moto cannot listen on 127.0.0.1:{self._port} (port in use?)"
            self._server_ready_event.set()
            return
        self._server_ready_event.set()
        self._server.serve_forever(poll_interval=STOP_POLL_SECONDS)

    def start(self) -> None:
        self.error = None
        super().start()
        if self.error is not None:
            self._thread = None
            raise LocalApiError(self.error)

    def reset(self) -> None:
        """Empty every moto backend. moto keeps them per process, so another server (or test) before
        this one would otherwise leave its tables behind."""
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST"), timeout=10).close()

    @property
    def endpoint(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"


def create_resources(endpoint: str, inventory: Inventory, names: Names) -> str:
    """The production-named tables (dev key schemas, GSIs, LSIs, streams, TTL), the buckets encrypted
    with a data CMK, in moto; returns that key's ARN (the foundation layer's `dataKeyArn`)."""
    session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=PRODUCTION_REGION)
    ddb, s3 = session.client("dynamodb", endpoint_url=endpoint), session.client("s3", endpoint_url=endpoint)
    data_key_arn: str = session.client("kms", endpoint_url=endpoint).create_key(Description="local data key")["KeyMetadata"]["Arn"]
    raw_tables = {t["TableName"]: t for t in json.loads(inventory.source.read_text(encoding="utf-8"))["dynamodbTables"]}
    for dev, prod in names.tables.items():
        spec = raw_tables[dev]
        args: dict[str, Any] = {
            "TableName": prod,
            "AttributeDefinitions": spec["AttributeDefinitions"],
            "KeySchema": spec["KeySchema"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if spec.get(key):
                args[key] = [{k: i[k] for k in ("IndexName", "KeySchema", "Projection")} for i in spec[key]]
        if spec.get("StreamSpecification"):
            args["StreamSpecification"] = spec["StreamSpecification"]
        ddb.create_table(**args)
        ttl = spec.get("TimeToLive") or {}
        if ttl.get("Enabled"):
            ddb.update_time_to_live(TableName=prod, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True})
    in_region: Any = {"LocationConstraint": PRODUCTION_REGION}  # the stubs want a region literal; ours is a constant
    for prod in names.buckets.values():
        s3.create_bucket(Bucket=prod, CreateBucketConfiguration=in_region)
        s3.put_bucket_encryption(
            Bucket=prod,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": data_key_arn},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
    return data_key_arn


def _reaped(process: subprocess.Popen[str]) -> int:
    """The exit code of a worker that is ending (it closed its output, or we closed its input), once it has.

    Waited for up to 5 s, then killed. A process that closed its pipes may not have been reaped
    yet; the next call would then see it as alive and write to it again instead of starting a
    new execution environment.
    """
    try:
        return process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def _close_pipes(process: subprocess.Popen[str]) -> None:
    """Close our ends of a finished worker's pipes.

    `make local-api` runs for hours and replaces every worker that times out or dies; each
    replaced process would otherwise keep two file descriptors open until the collector happened
    to find it.
    """
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):  # a dead reader: what we had buffered for it is moot
                pipe.close()


class Worker:
    """One Node process holding one handler module: a Lambda execution environment, one invocation at a time.

    The process starts with the first call, as Lambda starts an execution environment on the first
    invocation (a cold start): a function nobody calls costs no Node process. A worker that timed
    out or died is replaced by a fresh one on the next call, as Lambda starts a new execution
    environment; the invocation count covers every process it ran.
    """

    def __init__(self, repo_root: Path, bundle: Path, handler: str, env: Mapping[str, str], log: IO[str] | None) -> None:
        self.handler = handler
        self.repo_root = repo_root
        self.bundle = bundle
        self.env = dict(env)
        self.log = log
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._earlier_invocations = 0
        self._last_count = 0
        """The current process's count at its last answer (carried over when it is replaced)."""
        self.process: subprocess.Popen[str] | None = None
        """The current execution environment; None until the first call."""

    def _spawn(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [node_binary(self.repo_root), str(self.repo_root / WORKER), self.handler, str(self.bundle)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log if self.log is not None else subprocess.DEVNULL,
            env=self.env,
            text=True,
            bufsize=1,
            cwd=self.repo_root,
        )

    def _call(self, message: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        with self._lock:
            if self.process is not None and self.process.poll() is not None:
                self._earlier_invocations += self._last_count
                self._last_count = 0  # the next process starts its own count
                _close_pipes(self.process)
                self.process = None
            if self.process is None:
                self.process = self._spawn()
            process = self.process
            assert process.stdin is not None and process.stdout is not None
            stdout = process.stdout
            message = {**message, "id": next(self._ids)}
            try:
                process.stdin.write(json.dumps(message) + "\n")
                process.stdin.flush()
            except BrokenPipeError as exc:
                raise RuntimeError(f"{self.handler} worker exited (code {_reaped(process)})") from exc
            answer: dict[str, Any] = {}
            reader = threading.Thread(target=lambda: answer.update(json.loads(stdout.readline() or "{}")), daemon=True)
            reader.start()
            reader.join(timeout_s)
            if reader.is_alive():
                process.kill()  # a timed-out Lambda environment is not reused
                process.wait()
                reader.join(5)  # it reads end-of-file now; only then are the pipes ours to close
                if not reader.is_alive():
                    _close_pipes(process)
                raise TimeoutError(f"{self.handler} did not answer within {timeout_s:g} s")
            if answer.get("id") != message["id"]:
                raise RuntimeError(f"{self.handler} worker exited (code {_reaped(process)})")
            if "invocations" in answer:
                self._last_count = int(answer["invocations"])
            return answer

    def invoke(self, event: Mapping[str, Any], timeout_ms: int) -> dict[str, Any]:
        """{"result": ...} or {"error": {"errorType", "errorMessage"}}; raises TimeoutError past `timeout_ms`."""
        return self._call({"event": event, "timeoutMs": timeout_ms}, timeout_ms / 1000)

    def invocations(self) -> int:
        """How many times the handler function itself was called (counted inside the Node processes)."""
        if self.process is None:
            return self._earlier_invocations  # never called: no process to ask, and none to start for asking
        return self._earlier_invocations + int(self._call({"stats": True}, 10)["invocations"])

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            assert process.stdin is not None
            with contextlib.suppress(OSError):
                process.stdin.close()  # end of input: the worker exits
            _reaped(process)
        _close_pipes(process)


# --- the gateway ---------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, list[str]]
    """Header name as sent → values."""
    body: bytes
    source_ip: str = "127.0.0.1"

    def first_query(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def header(self, name: str) -> str | None:
        values = next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)
        return values[0] if values else None


class Gateway:
    """The REST API's request pipeline over a contract; `workers` maps the production function names it invokes to handlers."""

    def __init__(
        self, contract: Mapping[str, Any], workers: Mapping[str, Worker], stage: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.contract = contract
        self.routes = routes_of(contract)
        self.workers = workers
        self.stage = stage
        self.clock = clock
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[float, dict[str, Any]]] = {}
        self._cache_lock = threading.Lock()

    # gateway responses
    def gateway_response(self, kind: str, request_id: str, message: str | None = None) -> Response:
        responses = self.contract.get("x-amazon-apigateway-gateway-responses") or {}
        status, default_message = GATEWAY_DEFAULTS[kind]
        message = message if message is not None else default_message
        family = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
        spec = responses.get(kind) or responses.get(family) or {}
        status = int(spec.get("statusCode", status))
        template = (spec.get("responseTemplates") or {}).get("application/json") or '{"message":$context.error.messageString}'
        body = (
            template.replace("$context.error.messageString", json.dumps(message))
            .replace("$context.error.message", message or "")
            .replace("$context.requestId", request_id)
        )
        headers = {"Content-Type": "application/json", "x-amzn-RequestId": request_id, "x-amzn-ErrorType": kind}
        for name, value in (spec.get("responseParameters") or {}).items():
            if name.startswith("gatewayresponse.header."):
                headers[name.removeprefix("gatewayresponse.header.")] = str(value).strip("'")
        return Response(status, headers, body.encode())

    def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return self.gateway_response("REQUEST_TOO_LARGE", request_id)
        route, path_params = self._match(request)
        if route is None:
            return self.gateway_response("MISSING_AUTHENTICATION_TOKEN", request_id)
        method_arn = f"arn:aws:execute-api:{PRODUCTION_REGION}:{LOCAL_ACCOUNT}:{LOCAL_API_ID}/{self.stage}/{request.method}{request.path}"
        authorizer_context: dict[str, Any] = {}
        for requirement in route.spec.get("security") or []:
            for scheme_name in requirement:
                denied = self._authorize(scheme_name, route, request, path_params, method_arn, request_id, authorizer_context)
                if denied is not None:
                    return denied
        invalid = self._validate(route, request, request_id)
        if invalid is not None:
            return invalid
        if route.function is None or route.function not in self.workers:
            return self.gateway_response("INTEGRATION_FAILURE", request_id)
        event = self._proxy_event(route, request, path_params, request_id, authorizer_context)
        try:
            answer = self.workers[route.function].invoke(event, route.timeout_ms)
        except TimeoutError:
            return self.gateway_response("INTEGRATION_TIMEOUT", request_id)
        except RuntimeError:
            return self.gateway_response("INTEGRATION_FAILURE", request_id)
        return self._proxy_response(answer, request_id)

    def _match(self, request: Request) -> tuple[Route | None, dict[str, str]]:
        for route in self.routes:
            found = route.pattern.match(request.path)
            if found and route.method in (request.method, "ANY"):
                return route, {k: unquote(v) for k, v in zip(_path_parameter_names(route.path), found.groups(), strict=True)}
        return None, {}

    # the authorizer
    def _authorize(
        self,
        scheme_name: str,
        route: Route,
        request: Request,
        path_params: Mapping[str, str],
        method_arn: str,
        request_id: str,
        context_out: dict[str, Any],
    ) -> Response | None:
        scheme = security_schemes(self.contract).get(scheme_name) or {}
        authorizer = scheme.get(AUTHORIZER)
        if not isinstance(authorizer, Mapping) or str(authorizer.get("type", "")).lower() != "request":
            return self.gateway_response("AUTHORIZER_CONFIGURATION_ERROR", request_id)
        ttl = int(authorizer.get("authorizerResultTtlInSeconds", 300))
        sources = str(authorizer.get("identitySource", "")).split(",")
        identity = [self._identity_value(source.strip(), request, path_params) for source in sources]
        if ttl > 0 and any(not value for value in identity):
            return self.gateway_response("UNAUTHORIZED", request_id)
        cache_key = (scheme_name, tuple(value or "" for value in identity))
        policy = self._cached(cache_key) if ttl > 0 else None
        if policy is None:
            function = function_name_from_uri(str(authorizer.get("authorizerUri", "")))
            worker = self.workers.get(function or "")
            if worker is None:
                return self.gateway_response("AUTHORIZER_CONFIGURATION_ERROR", request_id)
            event = {
                "type": "REQUEST",
                "methodArn": method_arn,
                "resource": route.path,
                "path": request.path,
                "httpMethod": request.method,
                **self._request_parts(request, path_params),
                "requestContext": self._request_context(route, request, request_id, None),
            }
            try:
                answer = worker.invoke(event, 30_000)
            except (TimeoutError, RuntimeError):
                return self.gateway_response("AUTHORIZER_FAILURE", request_id)
            if "error" in answer:
                if answer["error"].get("errorMessage") == "Unauthorized":
                    return self.gateway_response("UNAUTHORIZED", request_id)
                return self.gateway_response("AUTHORIZER_FAILURE", request_id)
            policy = answer.get("result")
            if not _valid_authorizer_output(policy):
                return self.gateway_response("AUTHORIZER_CONFIGURATION_ERROR", request_id)
            if ttl > 0:
                with self._cache_lock:
                    self._cache[cache_key] = (self.clock() + ttl, policy)
        effect = policy_effect(policy["policyDocument"], method_arn)
        if effect == "Deny":
            return self.gateway_response("ACCESS_DENIED", request_id, EXPLICIT_DENY)
        if effect != "Allow":
            return self.gateway_response("ACCESS_DENIED", request_id)
        context_out.update({k: _context_value(v) for k, v in (policy.get("context") or {}).items()})
        context_out["principalId"] = str(policy["principalId"])
        return None

    def _cached(self, key: tuple[str, tuple[str, ...]]) -> dict[str, Any] | None:
        with self._cache_lock:
            entry = self._cache.get(key)
            if entry is None or entry[0] <= self.clock():
                self._cache.pop(key, None)
                return None
            return entry[1]

    @staticmethod
    def _identity_value(source: str, request: Request, path_params: Mapping[str, str]) -> str | None:
        prefixes = {"method.request.header.": "header", "method.request.querystring.": "query", "method.request.path.": "path"}
        for prefix, where in prefixes.items():
            if source.startswith(prefix):
                name = source.removeprefix(prefix)
                if where == "header":
                    return request.header(name)
                if where == "query":
                    return request.first_query(name)
                return path_params.get(name)
        return None

    # validation
    def _validate(self, route: Route, request: Request, request_id: str) -> Response | None:
        validators = self.contract.get("x-amazon-apigateway-request-validators") or {}
        name = route.spec.get("x-amazon-apigateway-request-validator") or self.contract.get("x-amazon-apigateway-request-validator")
        validator = validators.get(name) if name else None
        if not isinstance(validator, Mapping):
            return None
        if validator.get("validateRequestParameters"):
            missing = [
                p["name"]
                for p in _parameters(self.contract, route)
                if p.get("required") and p["in"] in ("header", "query") and not self._parameter(p, request)
            ]
            if missing:
                message = f"Missing required request parameters: [{', '.join(missing)}]"
                return self.gateway_response("BAD_REQUEST_PARAMETERS", request_id, message)
        if validator.get("validateRequestBody"):
            content = (route.spec.get("requestBody") or {}).get("content") or {}
            content_type = (request.header("Content-Type") or "application/json").split(";")[0].strip().lower()
            media = content.get(content_type) or content.get("$default")
            if isinstance(media, Mapping) and "schema" in media:
                try:
                    body = json.loads(request.body.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    return self.gateway_response("BAD_REQUEST_BODY", request_id)
                schema = {**media["schema"], "components": self.contract.get("components", {})}
                if next(Draft4Validator(schema).iter_errors(body), None) is not None:
                    return self.gateway_response("BAD_REQUEST_BODY", request_id)
        return None

    @staticmethod
    def _parameter(parameter: Mapping[str, Any], request: Request) -> str | None:
        value = request.header(parameter["name"]) if parameter["in"] == "header" else request.first_query(parameter["name"])
        return value if value and value.strip() else None

    # the Lambda proxy integration
    def _request_parts(self, request: Request, path_params: Mapping[str, str]) -> dict[str, Any]:
        return {
            "headers": {k: v[-1] for k, v in request.headers.items()},
            "multiValueHeaders": {k: list(v) for k, v in request.headers.items()},
            "queryStringParameters": {k: v[-1] for k, v in request.query.items()} or None,
            "multiValueQueryStringParameters": {k: list(v) for k, v in request.query.items()} or None,
            "pathParameters": dict(path_params) or None,
            "stageVariables": None,
        }

    def _request_context(self, route: Route, request: Request, request_id: str, authorizer: Mapping[str, Any] | None) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC)
        context: dict[str, Any] = {
            "accountId": LOCAL_ACCOUNT,
            "apiId": LOCAL_API_ID,
            "stage": self.stage,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "httpMethod": request.method,
            "resourcePath": route.path,
            "path": request.path,
            "protocol": "HTTP/1.1",
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "domainName": request.header("Host") or "127.0.0.1",
            "identity": {"sourceIp": request.source_ip, "userAgent": request.header("User-Agent")},
        }
        if authorizer is not None:
            context["authorizer"] = dict(authorizer)
        return context

    def _proxy_event(
        self, route: Route, request: Request, path_params: Mapping[str, str], request_id: str, authorizer: Mapping[str, Any]
    ) -> dict[str, Any]:
        try:
            body: str | None = request.body.decode("utf-8") if request.body else None
            encoded = False
        except UnicodeDecodeError:
            body, encoded = base64.b64encode(request.body).decode(), True
        return {
            "resource": route.path,
            "path": request.path,
            "httpMethod": request.method,
            **self._request_parts(request, path_params),
            "requestContext": self._request_context(route, request, request_id, authorizer if authorizer else None),
            "body": body,
            "isBase64Encoded": encoded,
        }

    def _proxy_response(self, answer: Mapping[str, Any], request_id: str) -> Response:
        result = answer.get("result")
        if "error" in answer or not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
            return self.gateway_response("INTEGRATION_FAILURE", request_id)
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers[str(name)] = ", ".join(str(v) for v in values)
        headers["x-amzn-RequestId"] = request_id
        raw = result.get("body") or ""
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
        return Response(int(result["statusCode"]), headers, body)


def _valid_authorizer_output(output: object) -> TypeGuard[dict[str, Any]]:
    """A policy document, a principal id, and a context of flat values only: API Gateway answers 500 otherwise."""
    if not isinstance(output, dict) or not isinstance(output.get("policyDocument"), dict) or "principalId" not in output:
        return False
    context = output.get("context") or {}
    return isinstance(context, dict) and all(isinstance(v, str | int | float | bool) for v in context.values())


def _context_value(value: str | float | bool) -> str:
    """The handler sees authorizer context values as strings (`true`, `42`), as API Gateway passes them."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def policy_effect(document: Mapping[str, Any], method_arn: str) -> str | None:
    """ "Deny" if any Deny statement matches `method_arn`, else "Allow" if an Allow does, else None (implicit deny)."""
    effects = set()
    statements = document.get("Statement") or []
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = statement.get("Action") or []
        resources = statement.get("Resource") or []
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        invokes = any(fnmatch.fnmatchcase("execute-api:Invoke", a) for a in actions)
        if invokes and any(fnmatch.fnmatchcase(method_arn, r) for r in resources):
            effects.add(statement.get("Effect"))
    return "Deny" if "Deny" in effects else "Allow" if "Allow" in effects else None


# --- the whole thing -------------------------------------------------------------------------------------


def _require_loopback(host: str) -> str:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise LocalApiError(f"--host {host!r}: the local API listens on loopback only (127.0.0.0/8, ::1)")
    return host


class LocalApi:
    """moto + workers + gateway + HTTP server; `start()` then `url`, `merchants`, `invocations()`, `stop()`."""

    def __init__(
        self,
        settings: Settings,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        handler_log: IO[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        moto_port: int = 0,
    ) -> None:
        self.settings = settings
        self.clock = clock
        """The authorizer cache's clock: tests move it past the TTL instead of waiting."""
        self.host = _require_loopback(host)
        self.port = port
        self.handler_log = handler_log
        self.inventory = load_inventory(settings.inventory_file, settings.repo_root, settings.environment_suffix)
        self.names = Names.of(self.inventory, settings.environment_suffix)
        self.contract = local_contract(self.inventory, self.names)
        self.moto = LocalMoto(moto_port)
        self.workers: dict[str, Worker] = {}
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> LocalApi:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
        if not (self.settings.repo_root / "node_modules").is_dir():
            raise LocalApiError("node_modules is missing: run `make setup` (the handlers need the AWS SDK)")
        self.moto.start()
        try:
            self.moto.reset()
            data_key_arn = create_resources(self.endpoint, self.inventory, self.names)
            name_map = resource_name_map(self.inventory, self.names.tables, self.names.buckets, self.settings.environment_suffix)
            base = {
                "PATH": os.environ.get("PATH", ""),
                "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_REGION": PRODUCTION_REGION,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "NODE_ENV": "production",
            }
            for spec in function_specs(self.inventory, self.settings):
                # The variables the compute layer gives the deployed function, from the same function.
                env = function_environment(spec, self.settings.compute.environment, self.inventory.account_id, (name_map, data_key_arn))
                env |= {**base, "AWS_LAMBDA_FUNCTION_NAME": spec.name}
                # The esbuild bundle the compute layer zips and deploys, never the source modules.
                bundle = cached_bundle(spec.code_path, artifacts_dir(self.settings.repo_root), node_target(spec.runtime))
                self.workers[spec.name] = Worker(self.settings.repo_root, bundle, spec.handler, env, self.handler_log)
            self.gateway = Gateway(self.contract, self.workers, self.names.stage, self.clock)
            self.server = ThreadingHTTPServer((self.host, self.port), _handler_class(self.gateway))
            self.server.daemon_threads = True
            threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": STOP_POLL_SECONDS}, daemon=True).start()
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def endpoint(self) -> str:
        """moto's URL (DynamoDB and S3)."""
        return self.moto.endpoint

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def merchants(self) -> Merchants:
        client = boto3.client(
            "dynamodb", endpoint_url=self.endpoint, region_name=PRODUCTION_REGION, aws_access_key_id="local", aws_secret_access_key="local"
        )
        return Merchants(client, self.names.merchants_table())

    def invocations(self) -> dict[str, int]:
        """Production function name → how many times its handler ran."""
        return {name: worker.invocations() for name, worker in self.workers.items()}

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        for worker in self.workers.values():
            worker.stop()
        if self.moto._thread is not None and self.moto._server is not None:
            self.moto.reset()
            self.moto.stop()

    def __enter__(self) -> LocalApi:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def _handler_class(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_PAYLOAD_BYTES:
                response = gateway.gateway_response("REQUEST_TOO_LARGE", str(uuid.uuid4()))
                self.close_connection = True
            else:
                headers: dict[str, list[str]] = {}
                for name, value in self.headers.items():
                    headers.setdefault(name, []).append(value)
                body = self.rfile.read(length) if length else b""
                query = parse_qs(split.query, keep_blank_values=True)
                request = Request(self.command, split.path, query, headers, body, self.client_address[0])
                response = gateway.handle(request)
            self.send_response(response.status)
            for name, value in response.headers.items():
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the handlers' own logs say what each request did."""

    return Handler


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="local-api", description="Serve the production API contract on loopback against moto.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("LOCAL_API_PORT", "8080")))
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("LOCAL_API_MOTO_PORT", "8089")), help="0: any free port")
    parser.add_argument("--max-seconds", type=float, default=None, help="stop by itself after this long")
    parser.add_argument("--quiet", action="store_true", help="do not show the handlers' logs")
    args = parser.parse_args(argv)
    try:
        api = LocalApi(
            load_settings(Path.cwd()),
            host=args.host,
            port=args.port,
            handler_log=None if args.quiet else sys.stderr,
            moto_port=args.moto_port,
        )
        api.start()
    except (LocalApiError, OSError) as exc:
        print(f"local-api: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
    try:
        merchant, issued = api.merchants().add(TEST_MERCHANT_NAME)
        print(f"local API (production contract {api.names.api}, stage {api.names.stage}) at {api.url}")
        print(f"  DynamoDB/S3 (moto) at {api.endpoint}; merchants table {api.names.merchants_table()}")
        print(f"  test merchant {merchant['merchantId']}: API key {issued.key}")
        print(f"  try:  curl -s -H 'Authorization: Bearer {issued.key}' {api.url}/payments/pay_00000000  (404: no such payment)")
        print(f"  onboard: make merchant-add NAME=Acme MERCHANT_ARGS='--endpoint-url {api.endpoint} --table {api.names.merchants_table()}'")
        limited = args.max_seconds is not None
        print("Ctrl-C stops it." + (f" Stops by itself after {args.max_seconds:g} s." if limited else ""), flush=True)
        deadline = time.monotonic() + args.max_seconds if limited else None
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        api.stop()
    return 0


if __name__ == "__main__":
    exit_with(main())
