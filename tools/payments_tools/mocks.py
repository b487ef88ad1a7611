"""A mock AWS for Pulumi's mock runtime that answers the way real AWS would.

Resources get the computed attributes downstream code depends on (ARNs in the right
format for their service, invoke ARNs, stream ARNs, execution ARNs) so that a policy or an
alarm built from them under mocks is built from realistic values. Stack references answer
from the outputs of layers already planned. An invoke this module does not know fails,
as an unknown invoke would on real AWS, instead of quietly returning nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

REGION = "eu-west-1"
ACCOUNT_ID = "111122223333"
"""The production account the offline plan pretends to deploy into."""


def _fake_id(*parts: str, length: int = 10) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _physical_name(args: pulumi.runtime.MockResourceArgs, *keys: str) -> str:
    for key in keys:
        value = args.inputs.get(key)
        if isinstance(value, str) and value:
            return value
    # Pulumi auto-names with a random suffix; a stable one keeps plans diffable.
    return f"{args.name}-{_fake_id(args.typ, args.name, length=7)}"


def computed_state(typ: str, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
    """The id and the attributes AWS would compute for a resource of type `typ`."""
    acct, region = ACCOUNT_ID, REGION
    state: dict[str, Any] = {}
    rid = _fake_id(typ, args.name)
    if typ == "aws:s3/bucket:Bucket" or typ == "aws:s3/bucketV2:BucketV2":
        name = _physical_name(args, "bucket")
        rid = name
        state = {"bucket": name, "arn": f"arn:aws:s3:::{name}", "bucketRegionalDomainName": f"{name}.s3.{region}.amazonaws.com"}
    elif typ == "aws:kms/key:Key":
        rid = f"{_fake_id(args.name, length=8)}-0000-4000-8000-{_fake_id(typ, args.name, length=12)}"
        state = {"arn": f"arn:aws:kms:{region}:{acct}:key/{rid}", "keyId": rid}
    elif typ == "aws:kms/alias:Alias":
        name = _physical_name(args, "name")
        rid = name
        state = {"arn": f"arn:aws:kms:{region}:{acct}:{name}", "targetKeyArn": args.inputs.get("targetKeyId", "")}
    elif typ == "aws:iam/role:Role":
        name = _physical_name(args, "name")
        rid = name
        state = {
            "name": name,
            "arn": f"arn:aws:iam::{acct}:role{args.inputs.get('path', '/')}{name}",
            "uniqueId": f"AROA{_fake_id(name).upper()}",
        }
    elif typ == "aws:iam/policy:Policy":
        name = _physical_name(args, "name")
        state = {"name": name, "arn": f"arn:aws:iam::{acct}:policy/{name}"}
        rid = state["arn"]
    elif typ == "aws:dynamodb/table:Table":
        name = _physical_name(args, "name")
        rid = name
        state = {"name": name, "arn": f"arn:aws:dynamodb:{region}:{acct}:table/{name}"}
        if args.inputs.get("streamEnabled"):
            state["streamArn"] = f"{state['arn']}/stream/2026-12-01T00:00:00.000"
            state["streamLabel"] = "2026-12-01T00:00:00.000"
    elif typ == "aws:lambda/function:Function":
        name = _physical_name(args, "name")
        rid = name
        arn = f"arn:aws:lambda:{region}:{acct}:function:{name}"
        state = {
            "name": name,
            "arn": arn,
            "qualifiedArn": f"{arn}:1",
            "invokeArn": f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations",
            "version": "1",
        }
    elif typ == "aws:cloudwatch/logGroup:LogGroup":
        name = _physical_name(args, "name")
        rid = name
        state = {"name": name, "arn": f"arn:aws:logs:{region}:{acct}:log-group:{name}"}
    elif typ == "aws:sns/topic:Topic":
        name = _physical_name(args, "name")
        state = {"name": name, "arn": f"arn:aws:sns:{region}:{acct}:{name}"}
        rid = state["arn"]
    elif typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
        name = _physical_name(args, "name")
        rid = name
        state = {"name": name, "arn": f"arn:aws:cloudwatch:{region}:{acct}:alarm:{name}"}
    elif typ == "aws:cloudwatch/dashboard:Dashboard":
        name = _physical_name(args, "dashboardName")
        rid = name
        state = {"dashboardName": name, "dashboardArn": f"arn:aws:cloudwatch::{acct}:dashboard/{name}"}
    elif typ == "aws:apigateway/restApi:RestApi":
        rid = _fake_id(typ, args.name)
        state = {
            "arn": f"arn:aws:apigateway:{region}::/restapis/{rid}",
            "executionArn": f"arn:aws:execute-api:{region}:{acct}:{rid}",
            "rootResourceId": _fake_id("root", args.name),
            "name": args.inputs.get("name", args.name),
        }
    elif typ == "aws:apigateway/stage:Stage":
        api, stage = args.inputs.get("restApi", "api"), args.inputs.get("stageName", "stage")
        rid = f"ags-{api}-{stage}"
        state = {
            "arn": f"arn:aws:apigateway:{region}::/restapis/{api}/stages/{stage}",
            "executionArn": f"arn:aws:execute-api:{region}:{acct}:{api}/{stage}",
            "invokeUrl": f"https://{api}.execute-api.{region}.amazonaws.com/{stage}",
        }
    elif typ == "aws:apigateway/domainName:DomainName":
        name = _physical_name(args, "domainName")
        rid = name
        state = {
            "arn": f"arn:aws:apigateway:{region}::/domainnames/{name}",
            "regionalDomainName": f"d-{_fake_id(name)}.execute-api.{region}.amazonaws.com",
            "regionalZoneId": "ZLY8HYME6SFDD",
        }
    elif typ == "aws:acm/certificate:Certificate":
        domain = args.inputs.get("domainName", "example.com")
        state = {
            "arn": f"arn:aws:acm:{region}:{acct}:certificate/{_fake_id(domain, length=8)}-0000-4000-8000-000000000000",
            "domainValidationOptions": [
                {
                    "domainName": domain,
                    "resourceRecordName": f"_{_fake_id('n', domain)}.{domain}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": f"_{_fake_id('v', domain)}.acm-validations.aws.",
                }
            ],
        }
        rid = state["arn"]
    elif typ == "aws:wafv2/webAcl:WebAcl":
        name = _physical_name(args, "name")
        rid = _fake_id(typ, name, length=8) + "-0000-4000-8000-000000000000"
        state = {"name": name, "arn": f"arn:aws:wafv2:{region}:{acct}:regional/webacl/{name}/{rid}", "capacity": 700}
    elif typ == "aws:backup/vault:Vault":
        name = _physical_name(args, "name")
        rid = name
        state = {"name": name, "arn": f"arn:aws:backup:{region}:{acct}:backup-vault:{name}"}
    elif typ == "aws:backup/plan:Plan":
        rid = _fake_id(typ, args.name, length=8) + "-0000-4000-8000-000000000000"
        state = {"arn": f"arn:aws:backup:{region}:{acct}:backup-plan:{rid}", "version": "1"}
    elif typ == "aws:signer/signingProfile:SigningProfile":
        name = _physical_name(args, "name")
        rid, version = name, _fake_id("version", name)
        arn = f"arn:aws:signer:{region}:{acct}:/signing-profiles/{name}"
        state = {"name": name, "arn": arn, "version": version, "versionArn": f"{arn}/{version}", "status": "Active"}
    elif typ == "aws:signer/signingJob:SigningJob":
        # Signer writes `<prefix><job id>.zip` into the destination bucket.
        rid = f"{_fake_id(typ, args.name, length=8)}-0000-4000-8000-{_fake_id('job', args.name, length=12)}"
        destination = (args.inputs.get("destination") or {}).get("s3") or {}
        key = f"{destination.get('prefix', '')}{rid}.zip"
        state = {"jobId": rid, "status": "Succeeded", "signedObjects": [{"s3s": [{"bucket": destination.get("bucket", ""), "key": key}]}]}
    elif typ == "aws:lambda/codeSigningConfig:CodeSigningConfig":
        rid = f"csc-{_fake_id(typ, args.name, length=17)}"
        state = {"arn": f"arn:aws:lambda:{region}:{acct}:code-signing-config:{rid}", "configId": rid}
    elif typ == "aws:s3/bucketObjectv2:BucketObjectv2":
        state = {"versionId": _fake_id(typ, args.name), "etag": _fake_id("etag", args.name, length=32)}
    else:
        service = typ.split(":")[1].split("/")[0]
        state = {"arn": f"arn:aws:{service}:{region}:{acct}:{args.name}"}
    return rid, state


def integral(value: Any) -> Any:
    """`value` with every whole-number float turned into an int, at any depth.

    Pulumi's RPC layer carries numbers as protobuf doubles, so `memorySize: 512` arrives as 512.0;
    the recorded plan shows what was written.
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral(v) for v in value]
    return value


@dataclass
class PlanMocks(pulumi.runtime.Mocks):
    """Mocks that record every resource and answer stack references from earlier layers' outputs."""

    stack_outputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Outputs of already-planned stacks, keyed by fully-qualified stack name."""
    resources: list[dict[str, Any]] = field(default_factory=list)
    """Every resource registered so far, in registration order: type, name, inputs, state."""
    registrations: list[dict[str, Any]] = field(default_factory=list)
    """Every registration request so far, the root stack's included: URN, type, name, custom, provider and the URNs it depends on.

    Filled by the monitor (`pulumi_internals.RecordingMonitor`), which sees what `new_resource` is not told.
    """
    unanswered_stacks: list[str] = field(default_factory=list)
    """Stack references read that `stack_outputs` has nothing for (an upstream layer not planned)."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            name = args.inputs.get("name", args.name)
            if name not in self.stack_outputs:
                self.unanswered_stacks.append(name)
            return name, {"name": name, "outputs": dict(self.stack_outputs.get(name, {})), "secretOutputNames": []}
        rid, computed = computed_state(args.typ, args)
        state = {**args.inputs, **computed}
        record = {"type": args.typ, "name": args.name, "id": rid, "inputs": integral(dict(args.inputs)), "state": integral(state)}
        if args.provider:  # `<provider urn>::<provider id>`: which provider (region, default tags) the resource uses
            record["provider"] = args.provider
        self.resources.append(record)
        return rid, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/deployer",
                "userId": "AIDAPLAN",
                "id": ACCOUNT_ID,
            }, []
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": REGION, "region": REGION, "id": REGION, "endpoint": f"ec2.{REGION}.amazonaws.com"}, []
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, []
        if args.token == "aws:kms/getKey:getKey":
            key_ref = str(args.args.get("keyId", ""))
            key_id = f"{_fake_id(key_ref, length=8)}-0000-4000-8000-{_fake_id('key', key_ref, length=12)}"
            arn = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{key_id}"
            return {"id": key_id, "arn": arn, "keyId": key_ref, "enabled": True, "keyState": "Enabled"}, []
        raise NotImplementedError(f"the offline plan does not emulate the invoke {args.token}")
