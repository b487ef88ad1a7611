"""`make report`: every ARN by layer, dev → production, and a compliance verdict per resource that never crashes."""

import copy
import json

import pytest

from payments_tools import report as report_module
from payments_tools.harness import REPO_ROOT
from payments_tools.report import (
    ALARM,
    AWS_PROVIDER,
    BACKUP_SELECTION,
    BUCKET,
    BUCKET_SSE,
    FUNCTION,
    LOG_GROUP,
    STAGE,
    TABLE,
    TOPIC,
    WAF_ASSOCIATION,
    build_report,
    has_arn_attribute,
    layers_from_plan,
    layers_from_pulumi,
    render_markdown,
)
from shared.naming import production_name

ACCOUNT, REGION = "111122223333", "eu-west-1"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
CODE_SIGNING_CONFIG = "aws:lambda/codeSigningConfig:CodeSigningConfig"
TAGS = {"Environment": "production", "MigratedFrom": "dev", "MigrationDate": "2026-12-01", "ManagedBy": "pulumi"}


def resource(typ, name, inputs, **state):
    return {"type": typ, "name": name, "id": state.pop("id", name), "inputs": inputs, "state": {**inputs, **state}}


def provider(tags=TAGS, region=REGION):
    inputs = {"region": region, "defaultTags": json.dumps({"tags": tags})}
    return resource(AWS_PROVIDER, "production", inputs)


def layer(name, resources, outputs, built=True):
    return {"layer": name, "built": built, "resources": resources, "outputs": outputs, "seconds": 0.1}


def synthetic_plan(inventory, suffix="eu1"):
    """A complete, compliant plan in the shape `make plan` writes, derived from the inventory with the naming rule."""
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0000-data"
    logs_key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0000-logs"
    foundation = layer(
        "foundation",
        [provider(), resource("aws:kms/key:Key", "data-key", {"enableKeyRotation": True}, arn=key)],
        {"dataKeyArn": key, "logsKeyArn": logs_key},
    )

    buckets = {b.name: production_name(b.name, suffix) for b in inventory.buckets}
    tables = {t.name: production_name(t.name, suffix) for t in inventory.tables}
    table_arns = {dev: f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{prod}" for dev, prod in tables.items()}
    data_resources = [provider()]
    log_bucket = f"payments-access-logs-production-{suffix}"
    for prod in [*buckets.values(), f"payments-artifacts-production-{suffix}", log_bucket]:
        data_resources += [
            resource(BUCKET, prod, {"bucket": prod}, arn=f"arn:aws:s3:::{prod}"),
            resource(
                BUCKET_SSE,
                f"{prod}-sse",
                {"bucket": prod, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key}}]},
            ),
            resource(
                "aws:s3/bucketVersioning:BucketVersioning",
                f"{prod}-versioning",
                {"bucket": prod, "versioningConfiguration": {"status": "Enabled"}},
                arn=f"arn:aws:s3:{REGION}:{ACCOUNT}:{prod}-versioning",
            ),
            resource(
                LIFECYCLE,
                f"{prod}-lifecycle",
                {
                    "bucket": prod,
                    "transitionDefaultMinimumObjectSize": "varies_by_storage_class",
                    "rules": [{"status": "Enabled", "transitions": [{"days": 90, "storageClass": "GLACIER"}]}],
                },
            ),
            resource(
                PUBLIC_ACCESS,
                f"{prod}-public-access",
                {
                    "bucket": prod,
                    **dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True),
                },
            ),
        ]
        if prod != log_bucket:
            data_resources.append(resource(LOGGING, f"{prod}-access-logs", {"bucket": prod, "targetBucket": log_bucket}))
    for dev, prod in tables.items():
        data_resources.append(
            resource(
                TABLE,
                dev,
                {
                    "name": prod,
                    "serverSideEncryption": {"enabled": True, "kmsKeyArn": key},
                    "billingMode": "PAY_PER_REQUEST",
                    "pointInTimeRecovery": {"enabled": True},
                },
                arn=table_arns[dev],
            )
        )
    data_resources.append(resource(BACKUP_SELECTION, "tables", {"name": "payments-backup-tables", "resources": list(table_arns.values())}))
    data = layer(
        "data",
        data_resources,
        {
            "bucketNames": buckets,
            "bucketArns": {d: f"arn:aws:s3:::{p}" for d, p in buckets.items()},
            "tableNames": tables,
            "tableArns": table_arns,
            "backupPlanArn": f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-plan:0000",
        },
    )

    functions = {f.name: production_name(f.name, suffix) for f in inventory.functions}
    function_arns = {dev: f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{prod}" for dev, prod in functions.items()}
    csc_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:code-signing-config:csc-0000"
    compute_resources = [
        provider(),
        resource(CODE_SIGNING_CONFIG, "code-signing-config", {"policies": {"untrustedArtifactOnDeployment": "Enforce"}}, arn=csc_arn),
    ]
    for dev, prod in functions.items():
        compute_resources += [
            resource(
                FUNCTION,
                dev,
                {
                    "name": prod,
                    "tracingConfig": {"mode": "Active"},
                    "runtime": "nodejs24.x",
                    "reservedConcurrentExecutions": 10,
                    "kmsKeyArn": key,
                    "codeSigningConfigArn": csc_arn,
                },
                arn=function_arns[dev],
            ),
            resource(
                LOG_GROUP,
                f"{dev}-logs",
                {"name": f"/aws/lambda/{prod}", "kmsKeyId": logs_key, "retentionInDays": 30},
                arn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{prod}",
            ),
        ]
    compute = layer("compute", compute_resources, {"functionNames": functions, "functionArns": function_arns})

    api_name = production_name(inventory.api.name, suffix)
    stage_arn = f"arn:aws:apigateway:{REGION}::/restapis/abc123/stages/production"
    acl = f"arn:aws:wafv2:{REGION}:{ACCOUNT}:regional/webacl/payments-api-waf/0000"
    edge = layer(
        "edge",
        [
            provider(),
            resource(STAGE, "stage", {"stageName": "production", "xrayTracingEnabled": True}, arn=stage_arn),
            resource(WAF_ASSOCIATION, "waf", {"resourceArn": stage_arn, "webAclArn": acl}),
        ],
        {"apiName": api_name, "stageArn": stage_arn, "webAclArn": acl},
    )

    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:payments-alarms-production-{suffix}"
    topic = resource(TOPIC, "alarms", {"name": "payments-alarms", "kmsMasterKeyId": logs_key}, arn=topic_arn)
    observability_resources = [provider(), topic]
    for prod in tables.values():
        observability_resources.append(
            resource(
                ALARM,
                f"{prod}-throttles",
                {
                    "name": f"{prod}-throttles",
                    "metricQueries": [
                        {
                            "id": "reads",
                            "metric": {"metricName": "ReadThrottleEvents", "namespace": "AWS/DynamoDB", "dimensions": {"TableName": prod}},
                        },
                        {"id": "throttles", "expression": "reads", "returnData": True},
                    ],
                },
                arn=f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{prod}-throttles",
            )
        )
    for prod in functions.values():
        observability_resources.append(
            resource(
                ALARM,
                f"{prod}-errors",
                {
                    "name": f"{prod}-errors",
                    "metricQueries": [
                        {
                            "id": "errors",
                            "metric": {"metricName": "Errors", "namespace": "AWS/Lambda", "dimensions": {"FunctionName": prod}},
                        }
                    ],
                },
                arn=f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{prod}-errors",
            )
        )
    observability = layer("observability", observability_resources, {"alarmTopicArn": topic_arn})
    return [foundation, data, compute, edge, observability]


def report_of(plan, tmp_path, inventory, settings):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, default=str))
    return build_report(layers_from_plan(path), inventory, settings, f"offline plan {path}")


def verdicts(report):
    return {(row.name, check): c.status for row in report.compliance for check, c in row.checks.items()}


def test_a_complete_compliant_plan_passes_every_check(tmp_path, inventory, settings):
    report = report_of(synthetic_plan(inventory), tmp_path, inventory, settings)
    assert report.failures == []
    kinds = {row.type for row in report.compliance}
    assert kinds == {BUCKET, TABLE, FUNCTION, LOG_GROUP, STAGE, TOPIC}
    table = next(r for r in report.compliance if r.type == TABLE)
    assert set(table.checks) == {"encryption", "tags", "region", "backups", "alarms", "tables"}
    function = next(r for r in report.compliance if r.type == FUNCTION)
    assert set(function.checks) == {"encryption", "tags", "region", "alarms", "tracing", "functions"}
    # The columns are the policy pack's verdicts: the pass detail names the rules that judged the resource.
    assert function.checks["functions"].detail == "creatable-runtime, reserved-concurrency, code-signing, code-signing-enforced"
    assert {m.status for m in report.mapping} == {"ok"}
    assert len(report.mapping) == len(inventory.buckets) + len(inventory.tables) + len(inventory.functions) + 1


def test_every_created_arn_is_listed_under_its_layer_and_arnless_types_are_not(tmp_path, inventory, settings):
    plan = synthetic_plan(inventory)
    report = report_of(plan, tmp_path, inventory, settings)
    listed = {row.arn for info in report.layers.values() for row in info["arns"]}
    for lay in plan:
        for res in lay["resources"]:
            arn = res["state"].get("arn")
            if arn and res["type"] not in (AWS_PROVIDER, "aws:s3/bucketVersioning:BucketVersioning"):
                assert arn in listed, (res["type"], res["name"])
    assert not any("versioning" in arn for arn in listed)
    transactions = production_name("payments-transactions-dev", "eu1")
    row = next(r for r in report.layers["data"]["arns"] if r.arn.endswith(f"table/{transactions}"))
    assert "output tableArns.payments-transactions-dev" in row.sources and f"{TABLE} payments-transactions-dev" in row.sources


def test_an_incomplete_deployment_fails_the_broken_checks_and_shows_missing_layers(tmp_path, inventory, settings):
    plan = synthetic_plan(inventory)
    _, data, compute, edge, observability = plan
    observability.update(built=False, resources=[], outputs={})
    selection = next(r for r in data["resources"] if r["type"] == BACKUP_SELECTION)
    selection["inputs"]["resources"] = selection["inputs"]["resources"][1:]
    data["resources"] = [r for r in data["resources"] if not (r["type"] == BUCKET_SSE and "receipts" in r["name"])]
    data["outputs"]["tableNames"].pop("payments-merchants-dev")
    next(r for r in compute["resources"] if r["type"] == FUNCTION)["inputs"]["tracingConfig"] = {"mode": "PassThrough"}
    edge["resources"] = [r for r in edge["resources"] if r["type"] != WAF_ASSOCIATION]
    edge["resources"][0] = provider(tags={"Environment": "production"}, region="us-east-1")

    report = report_of(plan, tmp_path, inventory, settings)
    v = verdicts(report)
    transactions, idempotency = production_name("payments-transactions-dev", "eu1"), production_name("payments-idempotency-dev", "eu1")
    assert v[(transactions, "backups")] == "fail" and v[(idempotency, "backups")] == "pass"
    assert v[(production_name("payments-receipts-dev", "eu1"), "encryption")] == "fail"
    assert v[(production_name("payments-process-payment-dev", "eu1"), "tracing")] == "fail"
    assert v[("production", "waf")] == "fail"
    assert v[("production", "tags")] == "fail" and v[("production", "region")] == "fail"
    assert all(status == "fail" for (name, check), status in v.items() if check == "alarms")
    assert report.layers["observability"]["status"] == "not deployed"
    merchants = next(m for m in report.mapping if m.dev == "payments-merchants-dev")
    assert merchants.status == "missing"

    markdown = render_markdown(report)
    assert "### observability\n\nNot deployed: not built yet." in markdown
    assert "Not checked (not deployed): observability." in markdown
    assert "the observability layer (alarms) is not deployed" in markdown
    assert "**fail**" in markdown


def test_nothing_deployed_is_reported_not_crashed(tmp_path, inventory, settings):
    plan = [layer(name, [], {}, built=False) for name in ("foundation", "data", "compute", "edge", "observability")]
    report = report_of(plan, tmp_path, inventory, settings)
    assert report.compliance == [] and {m.status for m in report.mapping} == {"not deployed"}
    assert "Layers deployed: none" in render_markdown(report)


def test_malformed_resources_fail_checks_instead_of_crashing(tmp_path, inventory, settings):
    plan = synthetic_plan(inventory)
    data = plan[1]
    data["resources"] = [r for r in data["resources"] if r["type"] != AWS_PROVIDER]
    data["resources"].append({"type": TABLE, "name": "bare", "id": "bare", "inputs": {}, "state": {}})
    report = report_of(plan, tmp_path, inventory, settings)
    bare = next(r for r in report.compliance if r.name == "bare")
    assert {c.status for c in bare.checks.values()} == {"fail"}
    assert "no explicit aws provider" in bare.checks["tags"].detail


def test_the_command_writes_markdown_and_json_from_a_plan(tmp_path, inventory, settings, monkeypatch, capsys):
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(synthetic_plan(inventory)))
    monkeypatch.chdir(REPO_ROOT)
    out = tmp_path / "report"
    assert report_module.main(["--plan", str(plan_path), "--out", str(out), "--strict"]) == 0
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["summary"]["checksFailed"] == 0 and len(data["summary"]["layersPlanned"]) == 5
    markdown = (tmp_path / "report.md").read_text()
    assert markdown.startswith("# Migration report")
    out = capsys.readouterr().out
    assert "0 failed" in out and "5/5 layers planned" in out
    # A plan deploys nothing: neither the terminal nor the files may say otherwise.
    assert "deployed" not in out and "Layers deployed" not in markdown and "layersDeployed" not in json.dumps(data)


def test_without_the_pulumi_cli_the_report_says_so_and_fails(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setattr(report_module.shutil, "which", lambda name: None)
    assert report_module.main(["--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "the Pulumi CLI is not installed" in err and "REPORT_ARGS=--plan" in err
    assert not (tmp_path / "r.md").exists()


def test_when_nothing_is_deployed_the_report_says_so_and_fails(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setattr(report_module.shutil, "which", lambda name: "/usr/bin/pulumi")

    def no_stacks(command, cwd):
        raise RuntimeError("error: no stack named 'prod' found")

    monkeypatch.setattr(report_module, "run_command", no_stacks)
    assert report_module.main(["--out", str(tmp_path / "r")]) == 1
    captured = capsys.readouterr()
    assert "0/5 layers deployed" in captured.out
    assert "no layer of stack 'prod' is deployed" in captured.err and "make deploy-all" in captured.err


def test_strict_mode_fails_on_an_incomplete_plan(tmp_path, inventory, settings, monkeypatch):
    plan = synthetic_plan(inventory)
    plan[4].update(built=False)
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(plan))
    monkeypatch.chdir(REPO_ROOT)
    assert report_module.main(["--plan", str(plan_path), "--out", str(tmp_path / "r")]) == 0
    assert report_module.main(["--plan", str(plan_path), "--out", str(tmp_path / "r"), "--strict"]) == 1


def test_a_missing_plan_file_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(REPO_ROOT)
    assert report_module.main(["--plan", str(tmp_path / "nope.json"), "--out", str(tmp_path / "r")]) == 2
    assert "run `make plan` first" in capsys.readouterr().err


def test_deployed_stacks_are_read_through_the_pulumi_cli(tmp_path, inventory, settings):
    """`pulumi stack output` + `pulumi stack export` per layer; a layer whose stack does not exist is not deployed."""
    plan = synthetic_plan(inventory)
    data = plan[1]
    urn = "urn:pulumi:prod::payments-data::"
    exported = {
        "deployment": {
            "resources": [
                {
                    "urn": f"{urn}{r['type']}::{r['name']}",
                    "type": r["type"],
                    "id": r["id"],
                    "inputs": r["inputs"],
                    "outputs": r["state"],
                    **({"provider": f"{urn}pulumi:providers:aws::production::0000"} if r["type"] != AWS_PROVIDER else {}),
                }
                for r in data["resources"]
            ]
        }
    }
    calls = []

    def fake_pulumi(command, cwd):
        calls.append((tuple(command), cwd.name))
        if cwd.name != "data":
            raise RuntimeError("error: no stack named 'prod' found")
        return json.dumps(data["outputs"] if command[2] == "output" else exported)

    layers = layers_from_pulumi(REPO_ROOT, dict.fromkeys(("foundation", "data", "compute", "edge", "observability"), "prod"), fake_pulumi)
    assert [s.layer for s in layers if s.deployed] == ["data"]
    assert ("pulumi", "stack", "output", "--json", "-s", "prod") in [c for c, _ in calls]
    report = build_report(layers, inventory, settings, "deployed stacks (prod)")
    table = next(r for r in report.compliance if r.type == TABLE)
    assert table.checks["encryption"].status == "pass" and table.checks["tags"].status == "pass"
    assert table.checks["alarms"].status == "fail"
    assert "no stack named 'prod'" in report.layers["edge"]["note"]


def test_a_deployed_resources_real_tags_win_over_the_provider(tmp_path, inventory, settings):
    plan = synthetic_plan(inventory)
    table = next(r for r in plan[1]["resources"] if r["type"] == TABLE)
    table["state"]["tagsAll"] = {**TAGS, "MigrationDate": "2025-01-01"}
    report = report_of(copy.deepcopy(plan), tmp_path, inventory, settings)
    row = next(r for r in report.compliance if r.name == table["inputs"]["name"])
    assert row.checks["tags"].status == "fail" and "MigrationDate" in row.checks["tags"].detail


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (TABLE, True),
        (FUNCTION, True),
        ("aws:s3/bucketVersioning:BucketVersioning", False),
        ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", False),
    ],
)
def test_arn_attribute_is_read_from_the_sdk(token, expected):
    assert has_arn_attribute(token) is expected


def test_the_real_offline_plan_is_compliant(tmp_path, inventory, settings, example_plan):
    """The layers as built today, planned offline: every applicable check passes and every mirrored resource maps."""
    from dataclasses import asdict

    report = report_of([asdict(p) for p in example_plan.plans.values()], tmp_path, inventory, settings)
    assert [(r.name, name, c.detail) for r, name, c in report.failures] == []
    assert {m.status for m in report.mapping} == {"ok"}
    assert {TABLE, FUNCTION, BUCKET, STAGE} <= {r.type for r in report.compliance}


def test_a_resource_breaking_a_pack_rule_gets_a_row_naming_the_rule(tmp_path, inventory, settings):
    plan = synthetic_plan(inventory)
    lifecycle = next(r for r in plan[1]["resources"] if r["type"] == LIFECYCLE)
    del lifecycle["inputs"]["transitionDefaultMinimumObjectSize"]
    report = report_of(plan, tmp_path, inventory, settings)
    row = next(r for r in report.compliance if r.type == LIFECYCLE)
    assert row.checks["storage"].status == "fail"
    assert "lifecycle-settings: transitionDefaultMinimumObjectSize" in row.checks["storage"].detail
    bucket = next(r for r in report.compliance if r.type == BUCKET and r.name == lifecycle["inputs"]["bucket"])
    assert "bucket-lifecycle" in bucket.checks["storage"].detail and bucket.checks["storage"].status == "fail"
