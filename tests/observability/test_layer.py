"""The observability layer run under the mock runtime: what it creates, from which upstream outputs, and what it exports."""

from __future__ import annotations

import json

import pytest

from payments_tools.harness import REPO_ROOT
from payments_tools.mocks import ACCOUNT_ID, REGION
from shared.errors import ConfigError
from shared.naming import derived_name, production_name
from shared.outputs import Compute, Data, Edge, Observability
from shared.settings import load_settings

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUFFIX = load_settings(REPO_ROOT).environment_suffix


def alarm_names(run) -> list[str]:
    return [r["inputs"]["name"] for r in run.of_type(ALARM)]


def metric_dimensions(alarm: dict) -> list[dict]:
    inputs = alarm["inputs"]
    if "metricQueries" in inputs:
        return [q["metric"]["dimensions"] for q in inputs["metricQueries"] if "metric" in q]
    return [inputs["dimensions"]]


@pytest.mark.parametrize("rich", [False, True], ids=["example-inventory", "7-tables-9-functions"])
def test_one_alarm_of_each_kind_per_table_gsi_and_function(run_observability, rich_inventory_file, fakes, rich):
    path = rich_inventory_file if rich else fakes.dev_inventory
    inventory = fakes.load(path)
    assert (len(inventory.tables), len(inventory.functions)) == ((7, 9) if rich else (3, 5))
    names = alarm_names(run_observability(path))
    expected = [
        *(derived_name(t.name, "throttle-alarm", SUFFIX) for t in inventory.tables),
        *(derived_name(t.name, f"{i.name}-gsi-throttle-alarm", SUFFIX) for t in inventory.tables for i in t.global_secondary_indexes),
        *(derived_name(f.name, kind, SUFFIX) for f in inventory.functions for kind in ("error-rate-alarm", "lambda-throttle-alarm")),
        *(derived_name(inventory.api.name, kind, SUFFIX) for kind in ("4xx-alarm", "5xx-alarm", "latency-alarm")),
    ]
    assert sorted(names) == sorted(expected)


def test_an_inventory_without_tables_gets_no_table_alarms_and_a_dashboard_without_a_dynamodb_row(
    run_observability, tableless_inventory_file, fakes
):
    inventory = fakes.load(tableless_inventory_file)
    run = run_observability(tableless_inventory_file)
    names = alarm_names(run)
    assert not any("throttle-alarm" in n and "lambda-throttle" not in n for n in names)
    assert len(names) == 2 * len(inventory.functions) + 3
    [dashboard] = run.of_type("aws:cloudwatch/dashboard:Dashboard")
    titles = [w["properties"]["title"] for w in json.loads(dashboard["inputs"]["dashboardBody"])["widgets"]]
    assert not any(t.startswith("DynamoDB") for t in titles)
    assert any(t.startswith("S3") for t in titles)  # the artifacts bucket is still charted


def test_alarms_watch_the_production_names_the_upstream_layers_exported(run_observability, inventory, upstream):
    # Names no naming rule would produce: proves they are read from upstream, not recomputed here.
    upstream[Data.LAYER][Data.TABLE_NAMES] = {t.name: f"renamed-{t.name}" for t in inventory.tables}
    upstream[Compute.LAYER][Compute.FUNCTION_NAMES] = {f.name: f"renamed-{f.name}" for f in inventory.functions}
    upstream[Edge.LAYER][Edge.STAGE_NAME] = "live"
    run = run_observability(upstream=upstream)
    for table in inventory.tables:
        alarm = run.one(ALARM, derived_name(table.name, "throttle-alarm", SUFFIX))
        assert metric_dimensions(alarm) == [{"TableName": f"renamed-{table.name}"}] * 2
    for function in inventory.functions:
        for kind in ("error-rate-alarm", "lambda-throttle-alarm"):
            alarm = run.one(ALARM, derived_name(function.name, kind, SUFFIX))
            assert all(d == {"FunctionName": f"renamed-{function.name}"} for d in metric_dimensions(alarm))
    api_alarm = run.one(ALARM, derived_name(inventory.api.name, "5xx-alarm", SUFFIX))
    assert metric_dimensions(api_alarm) == [{"ApiName": production_name(inventory.api.name, SUFFIX), "Stage": "live"}]


def test_every_alarm_sends_alarm_and_ok_to_the_topic(run_observability, rich_inventory_file):
    run = run_observability(rich_inventory_file)
    topic_arn = run.outputs[Observability.ALARM_TOPIC_ARN]
    assert run.of_type(ALARM)
    for alarm in run.of_type(ALARM):
        assert alarm["inputs"]["alarmActions"] == [topic_arn], alarm["name"]
        assert alarm["inputs"]["okActions"] == [topic_arn], alarm["name"]


def test_alarm_thresholds_follow_configuration(run_observability, inventory):
    alarms = {"lambdaErrorRatePercent": 2, "api4xxRate": 0.1, "api5xxRate": 0.02, "apiLatencyP99Ms": 900, "periodSeconds": 60}
    run = run_observability(config={"alarms": alarms})
    api = inventory.api.name
    assert run.one(ALARM, derived_name(api, "4xx-alarm", SUFFIX))["inputs"]["threshold"] == 0.1
    assert run.one(ALARM, derived_name(api, "5xx-alarm", SUFFIX))["inputs"]["threshold"] == 0.02
    latency = run.one(ALARM, derived_name(api, "latency-alarm", SUFFIX))["inputs"]
    assert (latency["threshold"], latency["extendedStatistic"], latency["period"]) == (900, "p99", 60)
    error_rate = run.one(ALARM, derived_name(inventory.functions[0].name, "error-rate-alarm", SUFFIX))["inputs"]
    assert error_rate["threshold"] == 2
    assert error_rate["treatMissingData"] == "notBreaching"


def test_the_topic_is_encrypted_with_the_logs_key_and_named_by_the_naming_rule(run_observability, fakes):
    run = run_observability()
    [topic] = run.of_type(TOPIC)
    assert topic["inputs"]["kmsMasterKeyId"] == fakes.logs_key_arn
    assert topic["inputs"]["name"] == f"payments-alarms-production-{SUFFIX}"


def test_the_topic_policy_lets_only_this_accounts_alarms_publish(run_observability):
    run = run_observability()
    [policy] = run.of_type("aws:sns/topicPolicy:TopicPolicy")
    topic_arn = run.outputs[Observability.ALARM_TOPIC_ARN]
    assert policy["inputs"]["arn"] == topic_arn
    [statement] = json.loads(policy["inputs"]["policy"])["Statement"]
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Resource"] == topic_arn
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:*"}


def test_configured_addresses_are_subscribed_by_email(run_observability):
    emails = ["oncall@example.com", "payments-team@example.com"]
    run = run_observability(config={"alarms": {"emails": emails}})
    subscriptions = run.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert sorted(s["inputs"]["endpoint"] for s in subscriptions) == emails
    assert {s["inputs"]["protocol"] for s in subscriptions} == {"email"}
    assert {s["inputs"]["topic"] for s in subscriptions} == {run.outputs[Observability.ALARM_TOPIC_ARN]}


def test_no_subscription_without_configured_addresses(run_observability):
    assert run_observability().of_type("aws:sns/topicSubscription:TopicSubscription") == []


def test_a_malformed_address_is_refused_naming_the_setting(run_observability):
    with pytest.raises(ConfigError, match=r"alarms\.emails"):
        run_observability(config={"alarms": {"emails": ["not-an-address"]}})


def test_the_dashboard_charts_every_production_resource(run_observability, rich_inventory_file, fakes):
    inventory = fakes.load(rich_inventory_file)
    run = run_observability(rich_inventory_file)
    [dashboard] = run.of_type("aws:cloudwatch/dashboard:Dashboard")
    assert dashboard["inputs"]["dashboardName"] == f"payments-dashboard-production-{SUFFIX}"
    body = dashboard["inputs"]["dashboardBody"]
    assert json.loads(body)["widgets"]
    names = [
        production_name(inventory.api.name, SUFFIX),
        fakes.stage_name,
        fakes.artifacts_bucket,
        *(production_name(r.name, SUFFIX) for r in (*inventory.tables, *inventory.functions, *inventory.buckets)),
    ]
    for name in names:
        assert name in body, name


def test_exports_topic_alarms_and_dashboard(run_observability):
    run = run_observability()
    outputs = run.outputs
    exported = (Observability.ALARM_TOPIC_ARN, Observability.ALARM_ARNS, Observability.DASHBOARD_NAME, Observability.DASHBOARD_URL)
    assert set(outputs) == set(exported)
    assert outputs[Observability.ALARM_TOPIC_ARN] == f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:payments-alarms-production-{SUFFIX}"
    assert set(outputs[Observability.ALARM_ARNS]) == set(alarm_names(run))
    for name, arn in outputs[Observability.ALARM_ARNS].items():
        assert arn == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:{name}"
    dashboard = outputs[Observability.DASHBOARD_NAME]
    assert outputs[Observability.DASHBOARD_URL] == (
        f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}#dashboards:name={dashboard}"
    )


def test_every_resource_uses_the_production_provider_and_sits_in_a_component(run_observability):
    run = run_observability()
    aws_resources = [r for r in run.resources if r["type"].startswith("aws:")]
    assert {r["type"] for r in aws_resources} >= {TOPIC, ALARM, "aws:cloudwatch/dashboard:Dashboard", "aws:sns/topicPolicy:TopicPolicy"}
    providers = run.of_type("pulumi:providers:aws")
    assert len(providers) == 1 and providers[0]["inputs"]["region"] == REGION


@pytest.mark.parametrize(
    "layer,key,deploy",
    [
        ("foundation", "logsKeyArn", "foundation"),
        ("data", "tableNames", "data"),
        ("data", "artifactsBucketName", "data"),
        ("compute", "functionNames", "compute"),
        ("edge", "apiName", "edge"),
        ("edge", "stageName", "edge"),
    ],
)
def test_a_missing_upstream_output_names_the_layer_to_deploy_first(run_observability, upstream, layer, key, deploy):
    del upstream[layer][key]
    # Raised inside an apply, the ConfigError reaches the caller wrapped in Pulumi's ValueError chain, message intact.
    with pytest.raises(ValueError, match=f"{key}: upstream output missing; deploy the {deploy} layer first"):
        run_observability(upstream=upstream)


def test_a_table_the_data_layer_did_not_export_is_an_error_naming_it(run_observability, inventory, upstream):
    missing = inventory.tables[-1].name
    del upstream[Data.LAYER][Data.TABLE_NAMES][missing]
    with pytest.raises(ValueError, match=rf"data:tableNames\[{missing}\]: the data layer exports nothing for"):
        run_observability(upstream=upstream)


def test_every_gsi_alarm_reads_its_index_throttle_metrics_and_the_dashboard_charts_them(run_observability, fakes, upstream):
    run = run_observability(fakes.dev_inventory)
    inventory = fakes.load(fakes.dev_inventory)
    production = upstream["data"]["tableNames"]
    alarms = {a["inputs"]["name"]: a["inputs"] for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    indexed = [(t, i.name) for t in inventory.tables for i in t.global_secondary_indexes]
    assert indexed, "the example inventory has GSIs (the authorizer's key-hash index)"
    [dashboard] = run.of_type("aws:cloudwatch/dashboard:Dashboard")
    widgets = {w["properties"]["title"]: w for w in json.loads(dashboard["inputs"]["dashboardBody"])["widgets"]}
    charted = widgets["DynamoDB GSI throttle events"]["properties"]["metrics"]
    for table, index in indexed:
        dims = {"TableName": production[table.name], "GlobalSecondaryIndexName": index}
        alarm = alarms[derived_name(table.name, f"{index}-gsi-throttle-alarm", SUFFIX)]
        metrics = {q["metric"]["metricName"]: q["metric"] for q in alarm["metricQueries"] if q.get("metric")}
        assert set(metrics) == {"ReadThrottleEvents", "WriteThrottleEvents"}
        assert all(m["dimensions"] == dims and m["namespace"] == "AWS/DynamoDB" for m in metrics.values())
        for metric in ("ReadThrottleEvents", "WriteThrottleEvents"):
            assert ["AWS/DynamoDB", metric, "TableName", dims["TableName"], "GlobalSecondaryIndexName", index] in charted
