"""Alarm policies, checked on the pure spec builders: metric math, thresholds, dimensions, actions."""

from __future__ import annotations

import dataclasses
import re

import pytest

from payments_observability.alarms import (
    ERROR_RATE_EXPRESSION,
    TABLE_THROTTLE_EXPRESSION,
    AlarmSpec,
    api_alarms,
    function_error_rate_alarm,
    function_throttle_alarm,
    gsi_throttle_alarm,
    is_percentile,
    layer_alarms,
    metric_alarm_args,
    table_throttle_alarm,
)
from shared.errors import ConfigError
from shared.references import require_entry
from shared.settings import AlarmSettings

SUFFIX = "eu1"
TOPIC = "arn:aws:sns:eu-west-1:111122223333:payments-alarms-production-eu1"
SETTINGS = AlarmSettings()


def returned(spec: AlarmSpec):
    [query] = [q for q in spec.queries if q.return_data]
    return query


def referenced_ids(expression: str) -> set[str]:
    functions = {"IF", "FILL", "SUM"}
    return {token for token in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expression) if token not in functions}


def test_table_throttle_alarm_sums_read_and_write_throttle_events_of_the_production_table():
    spec = table_throttle_alarm("payments-transactions-dev", "payments-transactions-production-eu1", SETTINGS, SUFFIX)
    metrics = {q.id: q.metric for q in spec.queries if q.metric}
    assert {m.metric_name for m in metrics.values()} == {"ReadThrottleEvents", "WriteThrottleEvents"}
    assert all(m.namespace == "AWS/DynamoDB" and m.stat == "Sum" for m in metrics.values())
    # TableName alone: ThrottledRequests would also need an Operation dimension.
    assert all(dict(m.dimensions) == {"TableName": "payments-transactions-production-eu1"} for m in metrics.values())
    assert returned(spec).expression == TABLE_THROTTLE_EXPRESSION
    assert referenced_ids(TABLE_THROTTLE_EXPRESSION) == set(metrics)
    assert (spec.threshold, spec.comparison_operator) == (0, "GreaterThanThreshold")
    assert spec.name == "payments-transactions-throttle-alarm-production-eu1"


def test_function_error_rate_is_a_guarded_percentage_of_invocations():
    spec = function_error_rate_alarm("payments-get-payment-dev", "payments-get-payment-production-eu1", SETTINGS, SUFFIX)
    metrics = {q.id: q.metric for q in spec.queries if q.metric}
    assert {i: (m.metric_name, m.stat) for i, m in metrics.items()} == {"errors": ("Errors", "Sum"), "invocations": ("Invocations", "Sum")}
    assert all(dict(m.dimensions) == {"FunctionName": "payments-get-payment-production-eu1"} for m in metrics.values())
    expression = returned(spec).expression
    assert expression == ERROR_RATE_EXPRESSION == "IF(invocations > 0, 100 * errors / invocations, 0)"
    assert referenced_ids(expression) == set(metrics)
    assert spec.threshold == 1.0
    assert spec.treat_missing_data == "notBreaching"


def test_error_rate_threshold_period_and_evaluation_follow_settings():
    settings = AlarmSettings(lambda_error_rate_percent=2.5, period_seconds=60, evaluation_periods=3)
    spec = function_error_rate_alarm("payments-get-payment-dev", "fn", settings, SUFFIX)
    assert (spec.threshold, spec.period, spec.evaluation_periods) == (2.5, 60, 3)
    args = metric_alarm_args(spec, TOPIC)
    assert {q.metric.period for q in args["metric_queries"] if q.metric} == {60}
    assert args["evaluation_periods"] == 3


def test_function_throttle_alarm_fires_on_any_throttle():
    spec = function_throttle_alarm("payments-authorizer-dev", "payments-authorizer-production-eu1", SETTINGS, SUFFIX)
    assert spec.metric is not None and not spec.queries
    assert (spec.metric.namespace, spec.metric.metric_name, spec.metric.stat) == ("AWS/Lambda", "Throttles", "Sum")
    assert dict(spec.metric.dimensions) == {"FunctionName": "payments-authorizer-production-eu1"}
    assert spec.threshold == 0


def test_api_alarms_watch_4xx_and_5xx_rates_and_p99_latency_of_the_stage():
    settings = AlarmSettings(api_4xx_rate=0.1, api_5xx_rate=0.02, api_latency_p99_ms=1800)
    specs = api_alarms("payments-api-dev", "payments-api-production-eu1", "production", settings, SUFFIX)
    by_metric = {s.metric.metric_name: s for s in specs}
    assert set(by_metric) == {"4XXError", "5XXError", "Latency"}
    for spec in by_metric.values():
        assert spec.metric.namespace == "AWS/ApiGateway"
        assert dict(spec.metric.dimensions) == {"ApiName": "payments-api-production-eu1", "Stage": "production"}
    assert (by_metric["4XXError"].threshold, by_metric["4XXError"].metric.stat) == (0.1, "Average")
    assert (by_metric["5XXError"].threshold, by_metric["5XXError"].metric.stat) == (0.02, "Average")
    assert (by_metric["Latency"].threshold, by_metric["Latency"].metric.stat) == (1800, "p99")
    assert by_metric["5XXError"].name == "payments-api-5xx-alarm-production-eu1"
    assert by_metric["4XXError"].name == "payments-api-4xx-alarm-production-eu1"


def test_latency_alarm_uses_an_extended_statistic_and_averages_use_statistic():
    latency, *_ = [s for s in api_alarms("payments-api-dev", "api", "stage", SETTINGS, SUFFIX) if s.metric.metric_name == "Latency"]
    args = metric_alarm_args(latency, TOPIC)
    assert args["extended_statistic"] == "p99" and "statistic" not in args
    five = next(s for s in api_alarms("payments-api-dev", "api", "stage", SETTINGS, SUFFIX) if s.metric.metric_name == "5XXError")
    args = metric_alarm_args(five, TOPIC)
    assert args["statistic"] == "Average" and "extended_statistic" not in args
    assert args["period"] == SETTINGS.period_seconds


@pytest.mark.parametrize("stat,expected", [("p99", True), ("p50", True), ("p99.9", True), ("Average", False), ("Sum", False)])
def test_percentiles_are_recognised(stat, expected):
    assert is_percentile(stat) is expected


def test_every_alarm_notifies_the_topic_on_alarm_and_on_ok():
    specs = layer_alarms(
        tables={"payments-transactions-dev": "t"},
        functions={"payments-get-payment-dev": "f"},
        dev_api="payments-api-dev",
        api_name="a",
        stage_name="s",
        settings=SETTINGS,
        suffix=SUFFIX,
    )
    for spec in specs:
        args = metric_alarm_args(spec, TOPIC)
        assert args["alarm_actions"] == [TOPIC], spec.name
        assert args["ok_actions"] == [TOPIC], spec.name


def test_metric_math_alarms_carry_no_top_level_metric():
    spec = table_throttle_alarm("payments-transactions-dev", "t", SETTINGS, SUFFIX)
    args = metric_alarm_args(spec, TOPIC)
    # CloudWatch refuses metric_name/statistic/period next to metric_queries.
    assert not {"metric_name", "namespace", "statistic", "period", "dimensions"} & set(args)
    assert sum(q.return_data for q in args["metric_queries"]) == 1


@pytest.mark.parametrize("tables,functions", [(1, 1), (3, 5), (7, 9), (0, 0)])
def test_one_alarm_of_each_kind_per_table_and_function_and_three_on_the_api(tables, functions):
    table_names = {f"payments-t{i}-dev": f"payments-t{i}-production-eu1" for i in range(tables)}
    function_names = {f"payments-f{i}-dev": f"payments-f{i}-production-eu1" for i in range(functions)}
    specs = layer_alarms(
        tables=table_names,
        functions=function_names,
        dev_api="payments-api-dev",
        api_name="a",
        stage_name="s",
        settings=SETTINGS,
        suffix=SUFFIX,
    )
    names = [s.name for s in specs]
    assert len(specs) == tables + 2 * functions + 3
    for dev in table_names:
        assert names.count(dev.removesuffix("-dev") + "-throttle-alarm-production-eu1") == 1
    for dev in function_names:
        stem = dev.removesuffix("-dev")
        assert names.count(f"{stem}-error-rate-alarm-production-eu1") == 1
        assert names.count(f"{stem}-lambda-throttle-alarm-production-eu1") == 1
    assert all(name.endswith(f"-production-{SUFFIX}") for name in names)


def test_colliding_alarm_names_are_refused_naming_the_alarm():
    # A table named like a function's throttle alarm stem would collide with that alarm.
    with pytest.raises(ConfigError) as err:
        layer_alarms(
            tables={"payments-get-payment-lambda-dev": "t"},
            functions={"payments-get-payment-dev": "f"},
            dev_api="payments-api-dev",
            api_name="a",
            stage_name="s",
            settings=SETTINGS,
            suffix=SUFFIX,
        )
    assert err.value.paths == ["alarms[payments-get-payment-lambda-throttle-alarm-production-eu1]"]


def test_over_long_alarm_names_are_refused():
    long_table = "payments-" + "x" * 250 + "-dev"
    with pytest.raises(ConfigError, match="at most 255"):
        layer_alarms(
            tables={long_table: "t"},
            functions={},
            dev_api="payments-api-dev",
            api_name="a",
            stage_name="s",
            settings=SETTINGS,
            suffix=SUFFIX,
        )


def test_specs_are_immutable():
    spec = table_throttle_alarm("payments-transactions-dev", "t", SETTINGS, SUFFIX)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.threshold = 5  # type: ignore[misc]


def test_a_dev_resource_the_upstream_layer_did_not_export_names_the_layer_and_resource():
    with pytest.raises(ConfigError) as err:
        require_entry({"payments-a-dev": "payments-a-production-eu1"}, "payments-b-dev", layer="data", key="tableNames")
    assert err.value.paths == ["data:tableNames[payments-b-dev]"]
    assert "redeploy the data layer" in str(err.value)


def test_an_upstream_output_of_the_wrong_shape_is_refused():
    with pytest.raises(ConfigError, match="must be a mapping"):
        require_entry(["payments-a-dev"], "payments-a-dev", layer="compute", key="functionNames")  # type: ignore[arg-type]


def test_gsi_throttle_alarm_reads_the_index_dimension_of_both_throttle_metrics():
    spec = gsi_throttle_alarm("payments-merchants-dev", "byApiKeyHash", "payments-merchants-production-eu1", SETTINGS, SUFFIX)
    assert spec.name == "payments-merchants-byApiKeyHash-gsi-throttle-alarm-production-eu1"
    metrics = {q.metric.metric_name: q.metric for q in spec.queries if q.metric}
    assert set(metrics) == {"ReadThrottleEvents", "WriteThrottleEvents"}
    for metric in metrics.values():
        # Table-level throttle metrics exclude GSIs: only this dimension pair reports the index's throttling.
        assert dict(metric.dimensions) == {"TableName": "payments-merchants-production-eu1", "GlobalSecondaryIndexName": "byApiKeyHash"}
        assert (metric.namespace, metric.stat) == ("AWS/DynamoDB", "Sum")
    assert returned(spec).expression == TABLE_THROTTLE_EXPRESSION and spec.threshold == 0


def test_one_gsi_alarm_per_index_and_an_index_of_an_unwatched_table_is_refused():
    tables = {"payments-t0-dev": "payments-t0-production-eu1"}
    specs = layer_alarms(
        tables=tables,
        functions={},
        dev_api="payments-api-dev",
        indexes={"payments-t0-dev": ("a", "b")},
        api_name="a",
        stage_name="s",
        settings=SETTINGS,
        suffix=SUFFIX,
    )
    assert sum("-gsi-throttle-alarm-" in s.name for s in specs) == 2
    with pytest.raises(ConfigError) as err:
        layer_alarms(
            tables=tables,
            functions={},
            dev_api="payments-api-dev",
            indexes={"payments-other-dev": ("a",)},
            api_name="a",
            stage_name="s",
            settings=SETTINGS,
            suffix=SUFFIX,
        )
    assert err.value.paths == ["indexes[payments-other-dev]"]
