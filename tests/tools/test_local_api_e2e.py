"""End to end over HTTP: the production contract served by `make local-api`, through the authorizer
and the real Node handlers, against moto. Every response is checked against the contract: its
status must be declared for the operation and its body must match that status's schema."""

import json
import shutil
import urllib.error
import urllib.request

import pytest
from jsonschema import Draft4Validator

from payments_compute.packaging import build_artifact, node_target
from payments_compute.rules import function_specs
from payments_tools.harness import REPO_ROOT
from payments_tools.local_api import LocalApi, LocalApiError, policy_effect, routes_of
from payments_tools.merchants import Merchants
from shared.build import artifacts_dir
from shared.openapi import iter_operations
from shared.settings import load_settings

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (REPO_ROOT / "node_modules").is_dir(), reason="needs Node.js and `make setup`"
)

AUTHORIZER = "payments-authorizer-production-eu1"
HANDLERS = (
    "payments-process-payment-production-eu1",
    "payments-get-payment-production-eu1",
    "payments-refund-payment-production-eu1",
    "payments-generate-receipt-production-eu1",
)


class Clock:
    """The authorizer cache's clock, moved forward by the tests instead of waiting out the TTL."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture(scope="module")
def clock():
    return Clock()


@pytest.fixture(scope="module")
def api(clock):
    with LocalApi(load_settings(REPO_ROOT), clock=clock) as running:
        yield running


@pytest.fixture(scope="module")
def merchant(api):
    item, issued = api.merchants().add("e2e merchant")
    return {"id": item["merchantId"], "key": issued.key}


@pytest.fixture(scope="module")
def other_merchant(api):
    item, issued = api.merchants().add("e2e other merchant")
    return {"id": item["merchantId"], "key": issued.key}


def call(api, method, path, *, key=None, body=None, raw=None, headers=None, operation=None):
    """One HTTP request; returns (status, headers, parsed body) after checking it against the contract."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    if key is not None:
        sent["Authorization"] = f"Bearer {key}"
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(api.url + path, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, got, text = response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        status, got, text = exc.code, dict(exc.headers), exc.read().decode()
    parsed = json.loads(text)
    if operation is not None:
        check_against_contract(api.contract, operation, status, parsed)
    return status, got, parsed


def check_against_contract(contract, operation, status, body):
    method, path = operation.split(" ", 1)
    spec = contract["paths"][path][method.lower()]
    assert str(status) in spec["responses"], f"{operation} answered {status}, which the contract does not declare: {body}"
    schema = spec["responses"][str(status)]["content"]["application/json"]["schema"]
    errors = [e.message for e in Draft4Validator({**schema, "components": contract["components"]}).iter_errors(body)]
    assert not errors, f"{operation} {status} body does not match the contract: {errors}: {body}"


def handler_calls(api):
    counts = api.invocations()
    return {name: counts[name] for name in HANDLERS}


def create_payment(api, merchant, key_suffix, amount=5000, **extra):
    return call(
        api,
        "POST",
        "/payments",
        key=merchant["key"],
        body={"amount": amount, "currency": "EUR", **extra},
        headers={"Idempotency-Key": f"e2e-{key_suffix}"},
        operation="POST /payments",
    )


# --- routes and the authorizer -------------------------------------------------------------------------


def test_every_handler_runs_the_very_bundle_the_compute_layer_zips_and_deploys(api):
    target = node_target(api.settings.compute.runtime)  # the target stacks/compute/__main__.py packages for
    specs = function_specs(api.inventory, api.settings)
    deployed = {spec.name: build_artifact(spec.code_path, artifacts_dir(REPO_ROOT), target).bundle for spec in specs}
    assert {name: worker.bundle for name, worker in api.workers.items()} == deployed


def test_serves_the_production_contract_not_the_dev_one(api):
    assert api.contract["info"]["title"] == "payments-api-production-eu1"
    assert "servers" not in api.contract
    uris = json.dumps(api.contract)
    assert "-dev/" not in uris and "payments-process-payment-production-eu1" in uris
    assert {r.function for r in routes_of(api.contract)} == set(HANDLERS)


def test_local_api_listens_on_loopback_only():
    with pytest.raises(LocalApiError, match="loopback only"):
        LocalApi(load_settings(REPO_ROOT), host="0.0.0.0")


def test_a_call_without_a_key_never_reaches_the_authorizer_or_a_handler(api):
    before = api.invocations()
    status, _, body = call(api, "GET", "/payments/pay_000000000", operation="GET /payments/{paymentId}")
    assert status == 401 and body["error"]["code"] == "unauthorized"
    status, _, _ = call(
        api,
        "POST",
        "/payments",
        body={"amount": 1, "currency": "EUR"},
        headers={"Idempotency-Key": "e2e-nokey-1"},
        operation="POST /payments",
    )
    assert status == 401
    assert api.invocations() == before


def test_a_wrong_key_is_403_and_never_reaches_a_handler_and_its_deny_is_cached(api):
    before_handlers, before_auth = handler_calls(api), api.invocations()[AUTHORIZER]
    wrong = "pk_live_" + "x" * 43
    for _ in range(2):
        status, _, body = call(api, "GET", "/payments/pay_000000000/receipt", key=wrong, operation="GET /payments/{paymentId}/receipt")
        assert status == 403 and body["error"]["code"] == "forbidden"
    assert handler_calls(api) == before_handlers
    assert api.invocations()[AUTHORIZER] == before_auth + 1, "the second call must be answered from the authorizer cache"


def test_a_malformed_authorization_header_is_401_from_the_authorizer(api):
    before = handler_calls(api)
    status, _, _ = call(
        api, "GET", "/payments/pay_000000000", headers={"Authorization": "Basic abc"}, operation="GET /payments/{paymentId}"
    )
    assert status == 401
    assert handler_calls(api) == before


def test_unknown_path_or_method_is_missing_authentication_token(api, merchant):
    for method, path in (("GET", "/nowhere"), ("DELETE", "/payments"), ("GET", "/payments")):
        status, _, body = call(api, method, path, key=merchant["key"])
        assert (status, body) == (403, {"message": "Missing Authentication Token"})


def test_one_allow_covers_every_method_of_the_api_as_api_gateway_caches_it(api):
    _, fresh = api.merchants().add("e2e cache")
    before = api.invocations()[AUTHORIZER]
    assert call(api, "GET", "/payments/pay_000000001", key=fresh.key, operation="GET /payments/{paymentId}")[0] == 404
    assert call(api, "GET", "/payments/pay_000000001/receipt", key=fresh.key, operation="GET /payments/{paymentId}/receipt")[0] == 404
    assert create_payment(api, {"key": fresh.key}, "cache-1")[0] == 201
    assert api.invocations()[AUTHORIZER] == before + 1


def test_policy_evaluation_explicit_deny_wins_and_wildcards_match():
    arn = "arn:aws:execute-api:eu-west-1:1:api/production/GET/payments/pay_1"
    allow = {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:eu-west-1:1:api/production/*/*"}
    deny = {**allow, "Effect": "Deny", "Resource": [arn]}
    assert policy_effect({"Statement": [allow]}, arn) == "Allow"
    assert policy_effect({"Statement": [allow, deny]}, arn) == "Deny"
    assert policy_effect({"Statement": [{**allow, "Resource": "arn:aws:execute-api:eu-west-1:1:other/*"}]}, arn) is None


# --- request validation --------------------------------------------------------------------------------


def test_a_missing_required_header_is_refused_before_the_handler(api, merchant):
    before = handler_calls(api)
    status, _, body = call(
        api, "POST", "/payments", key=merchant["key"], body={"amount": 100, "currency": "EUR"}, operation="POST /payments"
    )
    assert status == 400 and body["error"]["code"] == "invalid_request_parameters"
    assert "Idempotency-Key" in body["error"]["message"]
    status, _, body = call(
        api,
        "POST",
        "/payments/pay_000000001/refunds",
        key=merchant["key"],
        body={"amount": 1},
        operation="POST /payments/{paymentId}/refunds",
    )
    assert status == 400 and body["error"]["code"] == "invalid_request_parameters"
    assert handler_calls(api) == before


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 10.5, "currency": "EUR"},
        {"amount": 0, "currency": "EUR"},
        {"amount": 100, "currency": "eur"},
        {"amount": 100},
        {"amount": 100, "currency": "EUR", "cardNumber": "4111"},
    ],
)
def test_a_body_outside_the_model_is_refused_before_the_handler(api, merchant, body):
    before = handler_calls(api)
    status, _, answer = call(
        api, "POST", "/payments", key=merchant["key"], body=body, headers={"Idempotency-Key": "e2e-badbody"}, operation="POST /payments"
    )
    assert status == 400 and answer["error"]["code"] == "invalid_request_body"
    assert handler_calls(api) == before


def test_a_body_that_is_not_json_is_refused_before_the_handler(api, merchant):
    before = handler_calls(api)
    status, _, answer = call(
        api,
        "POST",
        "/payments",
        key=merchant["key"],
        raw=b"{not json",
        headers={"Idempotency-Key": "e2e-notjson"},
        operation="POST /payments",
    )
    assert status == 400 and answer["error"]["code"] == "invalid_request_body"
    assert handler_calls(api) == before


def test_params_only_validator_leaves_the_path_pattern_to_the_handler(api, merchant):
    """API Gateway checks parameters for presence only, never their pattern: the handler answers."""
    before = handler_calls(api)["payments-get-payment-production-eu1"]
    status, _, _ = call(api, "GET", "/payments/not-a-payment-id", key=merchant["key"], operation="GET /payments/{paymentId}")
    assert status in (400, 404)
    assert handler_calls(api)["payments-get-payment-production-eu1"] == before + 1


# --- every operation, happy and unhappy ----------------------------------------------------------------


def test_create_read_refund_and_receipt(api, merchant):
    status, headers, payment = create_payment(api, merchant, "flow-1", amount=5000, description="e2e")
    assert status == 201 and payment["merchantId"] == merchant["id"] and payment["status"] == "succeeded"
    status, headers, again = create_payment(api, merchant, "flow-1", amount=5000, description="e2e")
    assert status == 201 and again["paymentId"] == payment["paymentId"]
    assert headers.get("Idempotent-Replayed") == "true"

    pid = payment["paymentId"]
    status, _, read = call(api, "GET", f"/payments/{pid}", key=merchant["key"], operation="GET /payments/{paymentId}")
    assert status == 200 and read == payment

    status, _, refund = call(
        api,
        "POST",
        f"/payments/{pid}/refunds",
        key=merchant["key"],
        body={"amount": 2000, "reason": "e2e"},
        headers={"Idempotency-Key": "e2e-flow-1-refund"},
        operation="POST /payments/{paymentId}/refunds",
    )
    assert status == 201 and refund["amount"] == 2000
    assert refund["payment"]["refundedAmount"] == 2000 and refund["payment"]["status"] == "partially_refunded"

    status, _, too_much = call(
        api,
        "POST",
        f"/payments/{pid}/refunds",
        key=merchant["key"],
        body={"amount": 3001},
        headers={"Idempotency-Key": "e2e-flow-1-refund-2"},
        operation="POST /payments/{paymentId}/refunds",
    )
    assert status == 422, too_much

    status, _, receipt = call(api, "GET", f"/payments/{pid}/receipt", key=merchant["key"], operation="GET /payments/{paymentId}/receipt")
    assert status == 200 and receipt["paymentId"] == pid
    with urllib.request.urlopen(receipt["url"], timeout=30) as downloaded:
        assert pid in downloaded.read().decode()


def test_an_idempotency_key_reused_with_another_body_is_409(api, merchant):
    assert create_payment(api, merchant, "conflict-1", amount=100)[0] == 201
    status, _, body = create_payment(api, merchant, "conflict-1", amount=200)
    assert status == 409, body


def test_unknown_payments_are_404_on_every_payment_operation(api, merchant):
    missing = "/payments/pay_doesnotexist0"
    assert call(api, "GET", missing, key=merchant["key"], operation="GET /payments/{paymentId}")[0] == 404
    assert call(api, "GET", f"{missing}/receipt", key=merchant["key"], operation="GET /payments/{paymentId}/receipt")[0] == 404
    status, _, _ = call(
        api,
        "POST",
        f"{missing}/refunds",
        key=merchant["key"],
        body={"amount": 1},
        headers={"Idempotency-Key": "e2e-missing-refund"},
        operation="POST /payments/{paymentId}/refunds",
    )
    assert status == 404


def test_a_merchant_cannot_see_another_merchants_payment(api, merchant, other_merchant):
    _, _, payment = create_payment(api, merchant, "private-1")
    pid = payment["paymentId"]
    assert call(api, "GET", f"/payments/{pid}", key=other_merchant["key"], operation="GET /payments/{paymentId}")[0] == 404
    assert call(api, "GET", f"/payments/{pid}/receipt", key=other_merchant["key"], operation="GET /payments/{paymentId}/receipt")[0] == 404
    status, _, _ = call(
        api,
        "POST",
        f"/payments/{pid}/refunds",
        key=other_merchant["key"],
        body={"amount": 1},
        headers={"Idempotency-Key": "e2e-private-refund"},
        operation="POST /payments/{paymentId}/refunds",
    )
    assert status == 404


# --- onboarding seen through the API -----------------------------------------------------------------


def test_suspension_takes_effect_when_the_cached_allow_expires(api, clock):
    merchants = api.merchants()
    item, issued = merchants.add("e2e suspended later")
    path = "/payments/pay_000000002"
    assert call(api, "GET", path, key=issued.key, operation="GET /payments/{paymentId}")[0] == 404  # allowed: no such payment
    merchants.suspend(item["merchantId"])
    assert call(api, "GET", path, key=issued.key, operation="GET /payments/{paymentId}")[0] == 404, "cached Allow within the TTL"
    clock.now += 301  # past authorizerResultTtlInSeconds (300)
    assert call(api, "GET", path, key=issued.key, operation="GET /payments/{paymentId}")[0] == 403


def test_a_rotated_key_works_during_its_grace_period_and_is_refused_after(api, clock):
    import datetime as dt

    merchants = api.merchants()
    item, first = merchants.add("e2e rotating")
    second, _ = merchants.rotate_key(item["merchantId"], grace_hours=1)
    path = "/payments/pay_000000003"
    assert call(api, "GET", path, key=second.key)[0] == 404
    assert call(api, "GET", path, key=first.key)[0] == 404, "the old key works during the grace period"

    # Rotate again as if two hours ago: the key retired then has a grace period that is already over.
    past = Merchants(merchants.client, merchants.table, clock=lambda: dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    third, expired_at = past.rotate_key(item["merchantId"], grace_hours=1)
    assert expired_at < dt.datetime.now(dt.UTC).isoformat()
    assert call(api, "GET", path, key=third.key)[0] == 404
    assert call(api, "GET", path, key=second.key)[0] == 404, "API Gateway's cached Allow outlives the expiry by up to the TTL"
    clock.now += 301
    assert call(api, "GET", path, key=second.key)[0] == 403, "a key past its grace period is refused"
    assert call(api, "GET", path, key=first.key)[0] == 404, "the first key's own grace period is not over"


def test_every_operation_of_the_contract_answers_a_success_and_a_failure_that_match_it(api, merchant):
    """Each operation called to succeed and to fail, both answers checked against the contract. Self-contained,
    so it holds in any order and on any xdist worker; an operation added to the contract fails it until added here."""
    _, _, payment = create_payment(api, merchant, "every-operation-1", amount=300)
    paid, missing = f"/payments/{payment['paymentId']}", "/payments/pay_doesnotexist1"
    key = merchant["key"]

    def refund(path, suffix):
        operation = "POST /payments/{paymentId}/refunds"
        headers = {"Idempotency-Key": f"e2e-every-operation-{suffix}"}
        return call(api, "POST", f"{path}/refunds", key=key, body={"amount": 100}, headers=headers, operation=operation)

    calls = {
        "POST /payments": (
            lambda: create_payment(api, merchant, "every-operation-2", amount=100),
            lambda: create_payment(api, merchant, "every-operation-3", amount=0),
        ),
        "GET /payments/{paymentId}": (
            lambda: call(api, "GET", paid, key=key, operation="GET /payments/{paymentId}"),
            lambda: call(api, "GET", missing, key=key, operation="GET /payments/{paymentId}"),
        ),
        "POST /payments/{paymentId}/refunds": (lambda: refund(paid, "ok"), lambda: refund(missing, "missing")),
        "GET /payments/{paymentId}/receipt": (
            lambda: call(api, "GET", f"{paid}/receipt", key=key, operation="GET /payments/{paymentId}/receipt"),
            lambda: call(api, "GET", f"{missing}/receipt", key=key, operation="GET /payments/{paymentId}/receipt"),
        ),
    }
    assert set(calls) == {op.key for op in iter_operations(api.contract)}
    for operation, (succeed, fail) in calls.items():
        assert succeed()[0] < 300, operation
        assert fail()[0] >= 400, operation
