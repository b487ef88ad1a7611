"""The local API's gateway pipeline with scripted functions: how API Gateway answers each authorizer
and integration outcome, without Node. (The real handlers run in test_local_api_e2e.py.)"""

import copy
import json
import os
import shutil
import subprocess
import sys

import pytest

from payments_compute.packaging import cached_bundle
from payments_tools.harness import REPO_ROOT
from payments_tools.local_api import Gateway, Names, Request, Worker, local_contract
from shared.build import artifacts_dir
from shared.inventory import load_inventory
from shared.settings import load_settings

AUTHORIZER = "payments-authorizer-production-eu1"
GET_PAYMENT = "payments-get-payment-production-eu1"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:*"}]}


class Scripted:
    """A function whose answers the test decides; records the events it was given."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.events = []

    def invoke(self, event, timeout_ms):
        self.events.append(event)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture(scope="module")
def contract():
    settings = load_settings(REPO_ROOT)
    inventory = load_inventory(settings.inventory_file, settings.repo_root, settings.environment_suffix)
    return local_contract(inventory, Names.of(inventory, settings.environment_suffix))


def allow(context=None):
    return {"result": {"principalId": "m_1", "policyDocument": ALLOW_ALL, "context": context or {"merchantId": "m_1"}}}


def ok():
    return {"result": {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps({"ok": True})}}


def get(gateway, key="pk_live_0123456789abcdef"):
    headers = {"Authorization": [f"Bearer {key}"]} if key else {}
    response = gateway.handle(Request("GET", "/payments/pay_00000001", {}, headers, b""))
    return response.status, json.loads(response.body)


def test_the_handler_gets_the_authorizer_context_as_strings_with_the_principal(contract):
    handler = Scripted(ok())
    authorizer = Scripted(allow({"merchantId": "m_1", "tier": 2, "trusted": True}))
    gateway = Gateway(contract, {AUTHORIZER: authorizer, GET_PAYMENT: handler}, "production")
    assert get(gateway) == (200, {"ok": True})
    event = handler.events[0]
    assert event["requestContext"]["authorizer"] == {"merchantId": "m_1", "tier": "2", "trusted": "true", "principalId": "m_1"}
    assert event["pathParameters"] == {"paymentId": "pay_00000001"} and event["resource"] == "/payments/{paymentId}"
    assert event["requestContext"]["stage"] == "production"


@pytest.mark.parametrize(
    ("authorizer_answer", "status", "kind"),
    [
        ({"error": {"errorType": "Error", "errorMessage": "Unauthorized"}}, 401, "UNAUTHORIZED"),
        ({"error": {"errorType": "Error", "errorMessage": "Authorizer error"}}, 500, "AUTHORIZER_FAILURE"),
        (TimeoutError("slow"), 500, "AUTHORIZER_FAILURE"),
        (allow({"merchant": {"id": "m_1"}}), 500, "AUTHORIZER_CONFIGURATION_ERROR"),
        ({"result": {"policyDocument": ALLOW_ALL}}, 500, "AUTHORIZER_CONFIGURATION_ERROR"),
    ],
)
def test_authorizer_outcomes_are_answered_as_api_gateway_does_and_never_reach_the_handler(contract, authorizer_answer, status, kind):
    handler = Scripted(ok())
    gateway = Gateway(contract, {AUTHORIZER: Scripted(authorizer_answer), GET_PAYMENT: handler}, "production")
    response = gateway.handle(Request("GET", "/payments/pay_00000001", {}, {"Authorization": ["Bearer pk_live_0123456789abcdef"]}, b""))
    assert (response.status, response.headers["x-amzn-ErrorType"]) == (status, kind)
    assert handler.events == []


@pytest.mark.parametrize(
    ("handler_answer", "status"),
    [
        (TimeoutError("29 s"), 504),
        (RuntimeError("worker exited"), 502),
        ({"error": {"errorType": "TypeError", "errorMessage": "boom"}}, 502),
        ({"result": {"body": "no status code"}}, 502),
    ],
)
def test_integration_failures_are_api_gateways_5xx(contract, handler_answer, status):
    gateway = Gateway(contract, {AUTHORIZER: Scripted(allow()), GET_PAYMENT: Scripted(handler_answer)}, "production")
    assert get(gateway)[0] == status


def test_the_cache_expires_after_the_contracts_ttl(contract):
    now = [0.0]
    authorizer = Scripted(allow())
    gateway = Gateway(contract, {AUTHORIZER: authorizer, GET_PAYMENT: Scripted(ok())}, "production", clock=lambda: now[0])
    get(gateway)
    now[0] = 299.0
    get(gateway)
    assert len(authorizer.events) == 1
    now[0] = 300.0
    get(gateway)
    assert len(authorizer.events) == 2
    get(gateway, key="pk_live_another_key_0000")
    assert len(authorizer.events) == 3, "the cache is per identity-source value"


def test_without_caching_a_missing_identity_source_is_left_to_the_authorizer(contract):
    uncached = copy.deepcopy(contract)
    uncached["components"]["securitySchemes"]["merchantApiKey"]["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"] = 0
    authorizer = Scripted({"error": {"errorType": "Error", "errorMessage": "Unauthorized"}})
    gateway = Gateway(uncached, {AUTHORIZER: authorizer, GET_PAYMENT: Scripted(ok())}, "production")
    assert get(gateway, key=None)[0] == 401
    assert len(authorizer.events) == 1


@pytest.mark.skipif(shutil.which("node") is None or not (REPO_ROOT / "node_modules").is_dir(), reason="needs Node.js and `make setup`")
def test_a_worker_that_timed_out_is_replaced_and_its_count_kept():
    env = {
        "PATH": os.environ["PATH"],
        "MERCHANTS_TABLE": "t",
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    bundle = cached_bundle(REPO_ROOT / "stacks" / "compute" / "handlers" / "payments", artifacts_dir(REPO_ROOT), "node24")
    worker = Worker(REPO_ROOT, bundle, "authorizer.handler", env, None)
    try:
        with pytest.raises(TimeoutError):
            worker.invoke({"methodArn": "x"}, timeout_ms=1)  # the module is still loading
        first = worker.process
        method_arn = "arn:aws:execute-api:eu-west-1:123456789012:abc123def4/b/GET/x"
        answer = worker.invoke({"methodArn": method_arn, "headers": {}}, timeout_ms=20_000)
        assert answer["error"]["errorMessage"] == "Unauthorized"
        assert worker.process is not first and first.poll() is not None
        assert worker.invocations() >= 1
    finally:
        worker.stop()


def test_routes_match_the_contracts_path_templates_most_specific_first(contract):
    from payments_tools.local_api import routes_of

    found = {}
    for route in routes_of(contract):
        for path in ("/payments", "/payments/pay_1", "/payments/pay_1/refunds", "/payments/pay_1/receipt", "/payments/a/b/c"):
            match = route.pattern.match(path)
            if match and path not in found:
                found[path] = (route.method, route.path, match.groups())
    assert found == {
        "/payments": ("POST", "/payments", ()),
        "/payments/pay_1": ("GET", "/payments/{paymentId}", ("pay_1",)),
        "/payments/pay_1/refunds": ("POST", "/payments/{paymentId}/refunds", ("pay_1",)),
        "/payments/pay_1/receipt": ("GET", "/payments/{paymentId}/receipt", ("pay_1",)),
    }


def test_greedy_and_dashed_path_parameters():
    from payments_tools.local_api import _path_parameter_names, _path_pattern

    pattern = _path_pattern("/files/{file-id}/{proxy+}")
    assert pattern.match("/files/f1/a/b/c").groups() == ("f1", "a/b/c")
    assert _path_parameter_names("/files/{file-id}/{proxy+}") == ["file-id", "proxy"]
    assert pattern.match("/files/f1") is None


FAKE_WORKER = """
import json, sys
count = 0
for line in sys.stdin:
    message = json.loads(line)
    if message.get("event") == "die":
        sys.exit(1)
    if "event" in message:
        count += 1
    print(json.dumps({"id": message["id"], "invocations": count, "result": None}), flush=True)
"""


def fake_worker(script: str = FAKE_WORKER) -> subprocess.Popen[str]:
    """A worker speaking the local API's line protocol, in Python: `script` reads stdin, answers on stdout."""
    return subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)


def test_a_worker_replaced_twice_counts_each_environments_invocations_once(monkeypatch):
    """A replacement that dies before answering adds nothing: the count it inherited is not added again."""
    worker = Worker(REPO_ROOT, REPO_ROOT, "fake.handler", dict(os.environ), None)

    monkeypatch.setattr(worker, "_spawn", fake_worker)
    try:
        worker.invoke("ok", timeout_ms=10_000)  # environment A: 1
        with pytest.raises(RuntimeError, match="worker exited"):
            worker.invoke("die", timeout_ms=10_000)  # A dies
        with pytest.raises(RuntimeError, match="worker exited"):
            worker.invoke("die", timeout_ms=10_000)  # B starts and dies before answering: 0
        worker.invoke("ok", timeout_ms=10_000)  # C: 1
        assert worker.invocations() == 2
    finally:
        worker.stop()


def test_replaced_timed_out_and_stopped_workers_leave_no_pipe_open(monkeypatch):
    """`make local-api` runs for hours: every environment it ends gives its file descriptors back at once."""
    worker = Worker(REPO_ROOT, REPO_ROOT, "fake.handler", dict(os.environ), None)
    started = []

    def spawn():
        started.append(fake_worker())
        return started[-1]

    monkeypatch.setattr(worker, "_spawn", spawn)
    try:
        with pytest.raises(RuntimeError, match="worker exited"):
            worker.invoke("die", timeout_ms=10_000)  # A dies
        worker.invoke("ok", timeout_ms=10_000)  # B replaces it
        worker.process.stdin.write('{"event": "die"}\n')  # B dies between calls
        worker.process.stdin.flush()
        worker.process.wait(10)
        worker.invoke("ok", timeout_ms=10_000)  # C replaces it
    finally:
        worker.stop()
    assert len(started) == 3
    assert [(p.stdin.closed, p.stdout.closed) for p in started] == [(True, True)] * 3
    assert all(p.returncode is not None for p in started)


def test_a_timed_out_worker_is_killed_and_its_pipes_closed(monkeypatch):
    worker = Worker(REPO_ROOT, REPO_ROOT, "fake.handler", dict(os.environ), None)
    sleeper = "import sys, time\nfor line in sys.stdin:\n    time.sleep(60)\n"
    process = fake_worker(sleeper)
    monkeypatch.setattr(worker, "_spawn", lambda: process)
    with pytest.raises(TimeoutError):
        worker.invoke("slow", timeout_ms=200)
    assert process.returncode is not None
    assert process.stdin.closed and process.stdout.closed
