"""`make smoke`: after a deploy, exercise the live API end to end through its custom domain.

A dedicated synthetic merchant is onboarded with the merchant tool, used, and suspended at the end
whatever happened (its key then stops working within the authorizer cache TTL). The steps:

1. tls        — for an https URL: the handshake negotiates TLS 1.2 or newer, and a client capped
                at TLS 1.1 is refused (the domain's security policy);
2. unauthenticated — a call without a key is refused with 401 before reaching a handler;
3. create     — POST /payments twice with one Idempotency-Key: both 201, one payment;
4. read       — GET /payments/{id} returns it;
5. refund     — POST /payments/{id}/refunds refunds part of it;
6. receipt    — GET /payments/{id}/receipt, then the pre-signed URL itself is downloaded.

Every request and result is printed; the first failure stops the run, names its step, and exits 1.
"""

from __future__ import annotations

import argparse
import json
import secrets
import socket
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from payments_tools.cli import exit_with
from payments_tools.merchants import SHOWN_PREFIX_LENGTH, MerchantError, Merchants, dynamodb_client, table_from_plan, table_from_stack
from shared.errors import ConfigError
from shared.outputs import Edge
from shared.settings import PRODUCTION_REGION, load_settings

TIMEOUT_S = 30
SMOKE_AMOUNT = 1234
SMOKE_CURRENCY = "EUR"


class StepFailed(Exception):
    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason


@dataclass(frozen=True)
class HttpResult:
    status: int
    headers: Mapping[str, str]
    body: Any
    """Parsed JSON, or the raw text when the body is not JSON."""


class Smoke:
    """The smoke run against `base_url`, printing to `out`."""

    def __init__(self, base_url: str, out: IO[str], opener: Callable[..., Any] = urllib.request.urlopen, cafile: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.cafile = cafile
        """CA bundle for the TLS step (tests trust their own loopback certificate); None: the system's."""
        self.out = out
        self.opener = opener
        self.step = "setup"

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def request(
        self, method: str, path: str, *, key: str | None = None, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> HttpResult:
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        sent = {"Content-Type": "application/json", **(headers or {})}
        if key is not None:
            sent["Authorization"] = f"Bearer {key}"
        data = json.dumps(body).encode() if body is not None else None
        shown = {k: ("Bearer " + key[:SHOWN_PREFIX_LENGTH] + "…" if k == "Authorization" and key else v) for k, v in sent.items()}
        printed = json.dumps(shown, ensure_ascii=False) + (f" {json.dumps(body, ensure_ascii=False)}" if body is not None else "")
        self.say(f"  → {method} {url.split('?')[0]} {printed}")
        request = urllib.request.Request(url, data=data, method=method, headers=sent)
        try:
            with self.opener(request, timeout=TIMEOUT_S) as response:
                status, raw, got = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            status, raw, got = exc.code, exc.read(), dict(exc.headers)
        except (urllib.error.URLError, OSError) as exc:
            raise StepFailed(self.step, f"{method} {url.split('?')[0]} failed: {exc}") from exc
        text = raw.decode("utf-8", "replace")
        try:
            parsed: Any = json.loads(text) if text else None
        except json.JSONDecodeError:
            parsed = text
        self.say(f"  ← {status} {text[:500]}")
        return HttpResult(status, got, parsed)

    def expect(self, condition: bool, reason: str) -> None:
        if not condition:
            raise StepFailed(self.step, reason)

    def run(self, key: str) -> None:
        self.begin("tls")
        self.check_tls()
        self.begin("unauthenticated")
        refused = self.request("GET", "/payments/pay_smoke00000000")
        self.expect(refused.status == 401, f"a call without a key must be refused with 401, got {refused.status}")

        self.begin("create")
        idempotency = f"smoke-{secrets.token_hex(12)}"
        payment = {"amount": SMOKE_AMOUNT, "currency": SMOKE_CURRENCY, "description": "smoke test"}
        first = self.request("POST", "/payments", key=key, body=payment, headers={"Idempotency-Key": idempotency})
        self.expect(first.status == 201, f"expected 201, got {first.status}")
        second = self.request("POST", "/payments", key=key, body=payment, headers={"Idempotency-Key": idempotency})
        self.expect(second.status == 201, f"retry: expected 201, got {second.status}")
        payment_id = first.body.get("paymentId") if isinstance(first.body, dict) else None
        self.expect(isinstance(payment_id, str), "the response carries no paymentId")
        self.expect(
            isinstance(second.body, dict) and second.body.get("paymentId") == payment_id,
            "the retry with the same Idempotency-Key created a second payment",
        )

        self.begin("read")
        read = self.request("GET", f"/payments/{payment_id}", key=key)
        self.expect(read.status == 200, f"expected 200, got {read.status}")
        self.expect(isinstance(read.body, dict) and read.body.get("amount") == SMOKE_AMOUNT, "the payment read back differs")

        self.begin("refund")
        part = SMOKE_AMOUNT // 2
        refund = self.request(
            "POST",
            f"/payments/{payment_id}/refunds",
            key=key,
            body={"amount": part, "reason": "smoke test"},
            headers={"Idempotency-Key": f"{idempotency}-refund"},
        )
        self.expect(refund.status == 201, f"expected 201, got {refund.status}")
        refunded = refund.body.get("payment", {}).get("refundedAmount") if isinstance(refund.body, dict) else None
        self.expect(refunded == part, f"expected refundedAmount {part}, got {refunded}")

        self.begin("receipt")
        receipt = self.request("GET", f"/payments/{payment_id}/receipt", key=key)
        self.expect(receipt.status == 200, f"expected 200, got {receipt.status}")
        url = receipt.body.get("url") if isinstance(receipt.body, dict) else None
        self.expect(isinstance(url, str), "the response carries no receipt url")
        download = urllib.request.Request(str(url), method="GET")
        self.say(f"  → GET {str(url).split('?')[0]} (pre-signed)")
        try:
            with self.opener(download, timeout=TIMEOUT_S) as response:
                status, size = response.status, len(response.read())
        except (urllib.error.URLError, OSError) as exc:
            raise StepFailed(self.step, f"downloading the receipt failed: {exc}") from exc
        self.say(f"  ← {status} ({size} bytes)")
        self.expect(status == 200 and size > 0, f"the receipt download gave {status} with {size} bytes")

    def begin(self, step: str) -> None:
        self.step = step
        self.say(f"[{step}]")

    def check_tls(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme != "https":
            self.say(f"  skipped: {parts.scheme} URL (local API); TLS is checked on https URLs")
            return
        host, port = parts.hostname or "", parts.port or 443
        modern = ssl.create_default_context(cafile=self.cafile)
        modern.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            with socket.create_connection((host, port), TIMEOUT_S) as raw, modern.wrap_socket(raw, server_hostname=host) as tls:
                version = tls.version()
        except (OSError, ssl.SSLError) as exc:
            raise StepFailed("tls", f"TLS handshake with {host}:{port} failed: {exc}") from exc
        self.say(f"  negotiated {version}")
        self.expect(version in ("TLSv1.2", "TLSv1.3"), f"negotiated {version}, below TLS 1.2")
        legacy = ssl.create_default_context(cafile=self.cafile)
        try:
            legacy.minimum_version = ssl.TLSVersion.TLSv1
            legacy.maximum_version = ssl.TLSVersion.TLSv1_1
            legacy.set_ciphers("DEFAULT:@SECLEVEL=0")
        except (ValueError, ssl.SSLError):
            self.say("  this client cannot offer TLS ≤ 1.1; only the negotiated version is checked")
            return
        try:
            with socket.create_connection((host, port), TIMEOUT_S) as raw, legacy.wrap_socket(raw, server_hostname=host) as tls:
                accepted = tls.version()
        except (OSError, ssl.SSLError):
            self.say("  a TLS 1.1 client is refused")
            return
        raise StepFailed("tls", f"{host} accepted a {accepted} handshake")


def run_smoke(base_url: str, merchants: Merchants, out: IO[str], opener: Callable[..., Any] = urllib.request.urlopen) -> int:
    """Onboard a synthetic merchant, run the steps, suspend it; 0 when every step passed."""
    smoke = Smoke(base_url, out, opener)
    smoke.begin("onboard")
    try:
        merchant, issued = merchants.add(f"smoke test {secrets.token_hex(4)}")
    except MerchantError as exc:
        smoke.say(f"smoke: FAILED at step 'onboard': {exc}")
        return 1
    smoke.say(f"  created synthetic merchant {merchant['merchantId']} (key {issued.prefix}…) in {merchants.table}")
    failed: StepFailed | None = None
    try:
        smoke.run(issued.key)
    except StepFailed as exc:
        failed = exc
    finally:
        smoke.begin("suspend")
        try:
            merchants.suspend(merchant["merchantId"])
            smoke.say(f"  suspended synthetic merchant {merchant['merchantId']}")
        except MerchantError as exc:
            failed = failed or StepFailed("suspend", str(exc))
    if failed is not None:
        smoke.say(f"smoke: FAILED at step '{failed.step}': {failed.reason}")
        return 1
    smoke.say("smoke: all steps passed")
    return 0


def main(argv: list[str] | None = None) -> int:
    from payments_tools.report import run_command

    parser = argparse.ArgumentParser(prog="smoke", description="Smoke-test the deployed API with a synthetic merchant.")
    parser.add_argument("--url", help=f"API base URL (default: the edge layer's {Edge.CUSTOM_DOMAIN_URL} output)")
    parser.add_argument("--table", help="merchants table (default: from --plan or the data layer's outputs)")
    parser.add_argument("--plan", type=Path, nargs="?", const=Path("build/plan.json"))
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--endpoint-url", help="DynamoDB endpoint (moto, `make local-api`); default: AWS")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(Path.cwd())
        url = args.url or _custom_domain_url(settings.repo_root, args.stack, run_command)
        if args.table:
            table = args.table
        elif args.plan:
            table = table_from_plan(args.plan if args.plan.is_absolute() else settings.repo_root / args.plan)
        else:
            table = table_from_stack(settings.repo_root, args.stack, run_command)
    except ConfigError as exc:
        print(f"smoke: FAILED at step 'setup': {exc}", file=sys.stderr)
        return 2
    client = dynamodb_client(PRODUCTION_REGION, args.endpoint_url)
    print(f"smoke test of {url} (merchants table {table})")
    return run_smoke(url, Merchants(client, table), sys.stdout)


def _custom_domain_url(repo_root: Path, stack: str, run: Callable[[list[str], Path], str]) -> str:
    try:
        command = ["pulumi", "stack", "output", Edge.CUSTOM_DOMAIN_URL, "--json", "-s", stack]
        value = json.loads(run(command, repo_root / "stacks" / Edge.LAYER))
    except (RuntimeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"stacks/edge ({stack})", f"cannot read output {Edge.CUSTOM_DOMAIN_URL}: {exc}") from exc
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise ConfigError(f"stacks/edge ({stack})", f"output {Edge.CUSTOM_DOMAIN_URL} is not a URL: {value!r}")
    return value


if __name__ == "__main__":
    exit_with(main())
