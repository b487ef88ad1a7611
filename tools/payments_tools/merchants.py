"""`make merchant-add|merchant-list|merchant-rotate-key|merchant-suspend|merchant-reactivate`: merchant onboarding.

Production starts with an empty merchants table (dev merchants are test data and are not copied).
This tool issues API keys the way the authorizer (stacks/compute/handlers/payments/authorizer.mjs
and lib/api-keys.mjs) checks them:

- a key is 32 bytes from `secrets` (the OS's cryptographic RNG), shown once and never stored; the
  table keeps its SHA-256 hex digest in `apiKeyHash` (the `byApiKeyHash` index the authorizer
  queries) and its first characters in `apiKeyPrefix`, to name the key in a support conversation;
- rotation gives the merchant a new key and keeps the old one working for a grace period: the old
  hash moves to a retired-key record (`<merchantId>#retired#<hash prefix>`, `keyOf`, `keyExpiresAt`)
  that the authorizer honours until `keyExpiresAt` and refuses after;
- suspension sets `status=suspended` and reactivation `status=active`; API Gateway caches the
  authorizer's answer per key for the contract's `authorizerResultTtlInSeconds`, so either takes
  effect within that TTL.

Every write is conditional: `add` never overwrites a record, `rotate-key`, `suspend` and `reactivate` only touch
a merchant that still exists (a deleted merchant is never recreated) and whose key is the one read.
The table name comes from `--table`, from `build/plan.json` (`--plan`), or from the data layer's
deployed outputs (`pulumi stack output`); `--endpoint-url` points at moto or `make local-api`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import ipaddress
import json
import secrets
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from payments_tools.cli import exit_with
from shared.errors import ConfigError
from shared.inventory import load_inventory
from shared.openapi import AUTHORIZER, security_schemes
from shared.outputs import Data
from shared.settings import PRODUCTION_REGION, load_settings

KEY_PREFIX = "pk_live_"
"""Every key starts with this, so a leaked key is recognisable (and secret scanners can match it)."""
KEY_BYTES = 32
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 6
"""`apiKeyPrefix`: enough to tell a merchant's keys apart in a support call, far too little to guess the rest."""
DEFAULT_GRACE_HOURS = 24
MAX_GRACE_HOURS = 24 * 30
MERCHANTS_TABLE_STEM = "payments-merchants"
RETIRED = "#retired#"

Runner = Callable[[list[str], Path], str]


class MerchantError(Exception):
    """An action that could not be done; the message says which merchant and why."""


@dataclass(frozen=True)
class IssuedKey:
    """A key as the merchant receives it (`key`, once) and as the table knows it (hash, prefix)."""

    key: str
    hash: str
    prefix: str


def key_hash(key: str) -> str:
    """SHA-256 hex of the UTF-8 key: exactly what the authorizer computes from `Bearer <key>`."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> IssuedKey:
    key = KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)
    return IssuedKey(key=key, hash=key_hash(key), prefix=key[:SHOWN_PREFIX_LENGTH])


def new_merchant_id() -> str:
    """`m_` + 16 random hex: unguessable, and valid as the handlers' merchant id and S3 key segment."""
    return "m_" + secrets.token_hex(8)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


class Merchants:
    """The merchant actions over one table (a boto3 DynamoDB client; moto in tests)."""

    def __init__(self, client: Any, table: str, clock: Callable[[], dt.datetime] = _now) -> None:
        self.client = client
        self.table = table
        self.clock = clock

    def add(self, name: str) -> tuple[dict[str, Any], IssuedKey]:
        """A new active merchant with a new key; refuses to overwrite any existing record."""
        name = name.strip()
        if not name or len(name) > 128:
            raise MerchantError(f"merchant name must be 1-128 characters, got {len(name)}")
        issued, merchant_id, now = new_key(), new_merchant_id(), _iso(self.clock())
        item = {
            "merchantId": merchant_id,
            "name": name,
            "status": "active",
            "apiKeyHash": issued.hash,
            "apiKeyPrefix": issued.prefix,
            "createdAt": now,
            "updatedAt": now,
        }
        try:
            self.client.put_item(TableName=self.table, Item=_marshal(item), ConditionExpression="attribute_not_exists(merchantId)")
        except ClientError as exc:
            raise self._refused(exc, merchant_id, "already exists; nothing was overwritten") from exc
        return item, issued

    def get(self, merchant_id: str) -> dict[str, Any]:
        found = self.client.get_item(TableName=self.table, Key=_marshal({"merchantId": merchant_id}), ConsistentRead=True)
        if "Item" not in found or RETIRED in merchant_id:
            raise MerchantError(f"merchant {merchant_id} does not exist in {self.table}")
        return _unmarshal(found["Item"])

    def list(self) -> list[dict[str, Any]]:
        """Every merchant, each with `retiredKeys` (its rotated keys and their expiry)."""
        items: list[dict[str, Any]] = []
        for page in self.client.get_paginator("scan").paginate(TableName=self.table, ConsistentRead=True):
            items.extend(_unmarshal(i) for i in page["Items"])
        merchants = {i["merchantId"]: {**i, "retiredKeys": []} for i in items if "keyOf" not in i}
        for retired in (i for i in items if "keyOf" in i):
            owner = merchants.get(retired["keyOf"])
            if owner is not None:
                owner["retiredKeys"].append({"apiKeyPrefix": retired.get("apiKeyPrefix"), "keyExpiresAt": retired.get("keyExpiresAt")})
        return sorted(merchants.values(), key=lambda m: (str(m.get("createdAt")), m["merchantId"]))

    def rotate_key(self, merchant_id: str, grace_hours: float) -> tuple[IssuedKey, str | None]:
        """A new key for the merchant; the old one works for `grace_hours` more (0: stops at once).

        Returns the new key and the old key's expiry (None without a grace period). The merchant
        update is conditioned on the merchant existing with the key hash just read, so a concurrent
        rotation or a deletion makes this fail instead of losing a key; the retired record is
        written in the same transaction, conditioned on not existing.
        """
        if not 0 <= grace_hours <= MAX_GRACE_HOURS:
            raise MerchantError(f"--grace-hours must be between 0 and {MAX_GRACE_HOURS}, got {grace_hours:g}")
        current = self.get(merchant_id)
        issued, now = new_key(), self.clock()
        update = {
            "Update": {
                "TableName": self.table,
                "Key": _marshal({"merchantId": merchant_id}),
                "UpdateExpression": "SET apiKeyHash = :new, apiKeyPrefix = :prefix, updatedAt = :now",
                "ConditionExpression": "attribute_exists(merchantId) AND apiKeyHash = :old",
                "ExpressionAttributeValues": _marshal(
                    {
                        ":new": issued.hash,
                        ":prefix": issued.prefix,
                        ":now": _iso(now),
                        ":old": current["apiKeyHash"],
                    }
                ),
            }
        }
        actions: list[dict[str, Any]] = [update]
        expires: str | None = None
        if grace_hours > 0:
            expires = _iso(now + dt.timedelta(hours=grace_hours))
            retired = {
                "merchantId": f"{merchant_id}{RETIRED}{current['apiKeyHash'][:16]}",
                "keyOf": merchant_id,
                "apiKeyHash": current["apiKeyHash"],
                "apiKeyPrefix": current.get("apiKeyPrefix", ""),
                "status": "retired",
                "keyExpiresAt": expires,
                "createdAt": _iso(now),
            }
            actions.append(
                {"Put": {"TableName": self.table, "Item": _marshal(retired), "ConditionExpression": "attribute_not_exists(merchantId)"}}
            )
        try:
            self.client.transact_write_items(TransactItems=actions)
        except ClientError as exc:
            raise self._refused(exc, merchant_id, "was deleted or rotated concurrently; nothing was changed") from exc
        return issued, expires

    def suspend(self, merchant_id: str) -> dict[str, Any]:
        """Set `status=suspended` on an existing merchant (never creates one)."""
        return self._set_status(merchant_id, "suspended")

    def reactivate(self, merchant_id: str) -> dict[str, Any]:
        """Set `status=active` again on an existing merchant: its current key, and a rotated one still in its grace period, work again."""
        return self._set_status(merchant_id, "active")

    def _set_status(self, merchant_id: str, status: str) -> dict[str, Any]:
        """Set the status the authorizer checks on a merchant record; never on a retired-key record, never creating one."""
        try:
            done = self.client.update_item(
                TableName=self.table,
                Key=_marshal({"merchantId": merchant_id}),
                UpdateExpression="SET #s = :status, updatedAt = :now",
                ConditionExpression="attribute_exists(merchantId) AND attribute_not_exists(keyOf)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=_marshal({":status": status, ":now": _iso(self.clock())}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            raise self._refused(exc, merchant_id, f"does not exist in {self.table}; nothing was written") from exc
        return _unmarshal(done["Attributes"])

    def _refused(self, exc: ClientError, merchant_id: str, why: str) -> MerchantError:
        code = exc.response.get("Error", {}).get("Code", "")
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
        if code == "ConditionalCheckFailedException" or "ConditionalCheckFailed" in reasons:
            return MerchantError(f"merchant {merchant_id} {why}")
        return MerchantError(f"merchant {merchant_id}: {code or 'error'}: {exc}")


def _marshal(values: Mapping[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {k: serializer.serialize(v) for k, v in values.items()}


def _unmarshal(item: Mapping[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: deserializer.deserialize(v) for k, v in item.items()}


# --- where the table is ----------------------------------------------------------------------------


def _merchants_table(table_names: Mapping[str, Any], source: str) -> str:
    names = [str(v) for k, v in table_names.items() if str(k).startswith(MERCHANTS_TABLE_STEM)]
    if len(names) != 1:
        raise ConfigError(Data.TABLE_NAMES, f"{source} names {len(names)} merchants tables ({', '.join(names) or 'none'})")
    return names[0]


def table_from_plan(path: Path) -> str:
    """The merchants table the offline plan's data layer exports (`make plan`)."""
    try:
        plans = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("--plan", f"{path} does not exist; run `make plan` first") from exc
    data = next((p for p in plans if isinstance(p, dict) and p.get("layer") == Data.LAYER and p.get("built")), None)
    if data is None:
        raise ConfigError("--plan", f"{path} has no built data layer")
    return _merchants_table(data.get("outputs", {}).get(Data.TABLE_NAMES) or {}, str(path))


def table_from_stack(repo_root: Path, stack: str, run: Runner) -> str:
    """The merchants table the deployed data layer exports (`pulumi stack output` in stacks/data)."""
    try:
        names = json.loads(run(["pulumi", "stack", "output", Data.TABLE_NAMES, "--json", "-s", stack], repo_root / "stacks" / Data.LAYER))
    except (RuntimeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"stacks/data ({stack})", f"cannot read output {Data.TABLE_NAMES}: {exc}") from exc
    return _merchants_table(names if isinstance(names, dict) else {}, f"stack {stack}")


def authorizer_ttl_seconds(contract: Mapping[str, Any]) -> int:
    """The longest `authorizerResultTtlInSeconds` of the contract's Lambda authorizers (300 is API Gateway's default)."""
    ttls = [
        int(s[AUTHORIZER].get("authorizerResultTtlInSeconds", 300))
        for s in security_schemes(contract).values()
        if isinstance(s, Mapping) and isinstance(s.get(AUTHORIZER), Mapping)
    ]
    return max(ttls, default=0)


def dynamodb_client(region: str, endpoint_url: str | None) -> Any:
    """DynamoDB client for AWS, or for an emulator on loopback with throwaway credentials (never real ones)."""
    host = urlsplit(endpoint_url).hostname if endpoint_url else None
    if host is not None and (host == "localhost" or _is_loopback(host)):
        return boto3.client(
            "dynamodb", region_name=region, endpoint_url=endpoint_url, aws_access_key_id="local", aws_secret_access_key="local"
        )
    return boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- command line ------------------------------------------------------------------------------------


def _print_merchant(m: Mapping[str, Any]) -> None:
    retired = "; ".join(f"{k['apiKeyPrefix']}… until {k['keyExpiresAt']}" for k in m.get("retiredKeys", []))
    print(
        f"{m['merchantId']}  {m.get('status', '?'):9}  key {m.get('apiKeyPrefix', '?')}…  {m.get('name', '')}"
        + (f"  (rotated keys: {retired})" if retired else "")
    )


def main(argv: list[str] | None = None, run: Runner | None = None) -> int:
    from payments_tools.report import run_command

    parser = argparse.ArgumentParser(prog="merchants", description="Onboard merchants and manage their API keys.")
    parser.add_argument("--table", help="merchants table name (default: from --plan or the deployed data layer)")
    parser.add_argument("--plan", type=Path, nargs="?", const=Path("build/plan.json"), help="read the table name from the offline plan")
    parser.add_argument("--stack", default="prod", help="data layer stack to read the table name from")
    parser.add_argument("--endpoint-url", help="DynamoDB endpoint (moto, `make local-api`); default: AWS")
    parser.add_argument("--region", default=PRODUCTION_REGION)
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("add", help="create a merchant and print its API key once").add_argument("--name", required=True)
    sub.add_parser("list", help="list merchants, key prefixes and rotated keys")
    rotate = sub.add_parser("rotate-key", help="issue a new key; the old one works for the grace period")
    rotate.add_argument("--id", required=True)
    rotate.add_argument("--grace-hours", type=float, default=DEFAULT_GRACE_HOURS)
    sub.add_parser("suspend", help="refuse the merchant's keys").add_argument("--id", required=True)
    sub.add_parser("reactivate", help="accept a suspended merchant's keys again").add_argument("--id", required=True)
    args = parser.parse_args(argv)

    try:
        settings = load_settings(Path.cwd())
        if args.table:
            table = args.table
        elif args.plan:
            table = table_from_plan(args.plan if args.plan.is_absolute() else settings.repo_root / args.plan)
        else:
            table = table_from_stack(settings.repo_root, args.stack, run or run_command)
        inventory = load_inventory(settings.inventory_file, settings.repo_root, settings.environment_suffix)
        ttl = authorizer_ttl_seconds(inventory.api.document)
    except ConfigError as exc:
        print(f"merchants: {exc}", file=sys.stderr)
        return 2
    merchants = Merchants(dynamodb_client(args.region, args.endpoint_url), table)
    try:
        if args.action == "add":
            item, issued = merchants.add(args.name)
            print(f"created merchant {item['merchantId']} ({item['name']}) in {table}, status active")
            print(f"API key (shown once, store it now; only its SHA-256 is kept): {issued.key}")
            print(f"key prefix for support: {issued.prefix}")
        elif args.action == "list":
            found = merchants.list()
            print(f"{len(found)} merchant(s) in {table}")
            for m in found:
                _print_merchant(m)
        elif args.action == "rotate-key":
            issued, expires = merchants.rotate_key(args.id, args.grace_hours)
            print(f"rotated the API key of merchant {args.id} in {table}")
            print(f"new API key (shown once, store it now): {issued.key}")
            print(f"new key prefix for support: {issued.prefix}")
            if expires:
                print(
                    f"the previous key keeps working until {expires} (grace {args.grace_hours:g} h), then is refused; "
                    f"answers cached by API Gateway may outlive that by up to {ttl} s"
                )
            else:
                print(f"the previous key is refused now (no grace period); cached answers expire within {ttl} s")
        elif args.action == "suspend":
            suspended = merchants.suspend(args.id)
            print(f"suspended merchant {args.id} ({suspended.get('name', '')}) in {table}")
            print(f"its keys are refused within {ttl} s (the authorizer cache TTL of the API contract)")
        else:
            active = merchants.reactivate(args.id)
            print(f"reactivated merchant {args.id} ({active.get('name', '')}) in {table}")
            print(f"its keys are accepted again within {ttl} s (refusals API Gateway cached expire by then)")
    except (MerchantError, ClientError, BotoCoreError) as exc:
        print(f"merchants: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    exit_with(main())
