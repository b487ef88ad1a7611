"""CloudWatch alarms on every table, function and the API, all notifying one topic.

The alarm specs are plain data built by pure functions from dev names (which fix each
alarm's name) and production names (which fill the metric dimensions), so tests can check
the metric math, thresholds and dimensions without a Pulumi runtime. `Alarms` turns the specs
into `aws.cloudwatch.MetricAlarm`s that send both ALARM and OK to the topic: an operator paged
by an alarm also learns when it recovers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared.errors import raise_if_any
from shared.naming import check_length, derived_name, logical_name
from shared.settings import AlarmSettings

GREATER_THAN = "GreaterThanThreshold"
NOT_BREACHING = "notBreaching"
"""No data means no traffic: a quiet night must not page anyone."""

TABLE_THROTTLE_EXPRESSION = "FILL(reads, 0) + FILL(writes, 0)"
"""Read plus write throttle events. `ThrottledRequests` needs an Operation dimension (one alarm per
operation); these two carry TableName alone. FILL keeps the sum defined when only one of them has data."""

ERROR_RATE_EXPRESSION = "IF(invocations > 0, 100 * errors / invocations, 0)"
"""Errors as a percentage of invocations; IF keeps a period without invocations from dividing by zero."""

_PERCENTILE = re.compile(r"^p\d{1,2}(\.\d+)?$")


@dataclass(frozen=True)
class Metric:
    """One CloudWatch metric and the statistic an alarm or query reads from it."""

    namespace: str
    """e.g. `AWS/Lambda`."""
    metric_name: str
    """e.g. `Errors`."""
    dimensions: Mapping[str, pulumi.Input[str]]
    """Dimension name to value; values are production names, usually upstream Outputs."""
    stat: str
    """`Sum`, `Average`, ... or a percentile such as `p99` (an extended statistic)."""


@dataclass(frozen=True)
class Query:
    """One entry of a metric-math alarm: a metric to read or an expression over other entries."""

    id: str
    """Lower-case identifier the expression refers to."""
    label: str
    """Shown in the alarm's graph."""
    metric: Metric | None = None
    """The metric this entry reads; None for an expression."""
    expression: str | None = None
    """Metric math over other entries' ids; None for a metric."""
    return_data: bool = False
    """True on exactly one entry: the series the alarm compares with its threshold."""


@dataclass(frozen=True)
class AlarmSpec:
    """Everything an alarm needs except the topic it notifies."""

    name: str
    """Physical alarm name, from the naming rule; also the Pulumi logical name."""
    description: str
    """What fired and where to look first."""
    threshold: float
    """The alarm fires when the watched value is above this."""
    period: int
    """Seconds per datapoint."""
    evaluation_periods: int
    """Datapoints over threshold before the alarm fires."""
    metric: Metric | None = None
    """A single-metric alarm's metric; None for a metric-math alarm."""
    queries: tuple[Query, ...] = ()
    """A metric-math alarm's entries; empty for a single-metric alarm."""
    comparison_operator: str = GREATER_THAN
    treat_missing_data: str = NOT_BREACHING


def throttle_queries(dims: Mapping[str, pulumi.Input[str]]) -> tuple[Query, ...]:
    """Read plus write throttle events under `dims` (a table's, or a table's and one of its GSIs')."""
    return (
        Query("reads", "ReadThrottleEvents", metric=Metric("AWS/DynamoDB", "ReadThrottleEvents", dims, "Sum")),
        Query("writes", "WriteThrottleEvents", metric=Metric("AWS/DynamoDB", "WriteThrottleEvents", dims, "Sum")),
        Query("throttles", "Throttle events", expression=TABLE_THROTTLE_EXPRESSION, return_data=True),
    )


def table_throttle_alarm(dev_table: str, table_name: pulumi.Input[str], settings: AlarmSettings, suffix: str) -> AlarmSpec:
    """Any read or write throttle event on a production table (on-demand tables throttle only past their limits)."""
    dims = {"TableName": table_name}
    return AlarmSpec(
        name=derived_name(dev_table, "throttle-alarm", suffix),
        description=f"DynamoDB throttled reads or writes on the production twin of {dev_table}; check hot keys and table limits.",
        threshold=0,
        period=settings.period_seconds,
        evaluation_periods=settings.evaluation_periods,
        queries=throttle_queries(dims),
    )


def gsi_throttle_alarm(dev_table: str, index: str, table_name: pulumi.Input[str], settings: AlarmSettings, suffix: str) -> AlarmSpec:
    """Read or write throttle events on one global secondary index.

    A table's TableName-only throttle metrics exclude its GSIs: CloudWatch publishes an index's
    ReadThrottleEvents/WriteThrottleEvents under TableName + GlobalSecondaryIndexName, and a GSI
    throttling its writes throttles the base table's writes too. Without this alarm, throttling on
    the authorizer's key-hash index would never page anyone.
    """
    dims = {"TableName": table_name, "GlobalSecondaryIndexName": index}
    return AlarmSpec(
        name=derived_name(dev_table, f"{index}-gsi-throttle-alarm", suffix),
        description=(
            f"DynamoDB throttled reads or writes on index {index} of the production twin of {dev_table}; check its key distribution."
        ),
        threshold=0,
        period=settings.period_seconds,
        evaluation_periods=settings.evaluation_periods,
        queries=throttle_queries(dims),
    )


def function_error_rate_alarm(dev_function: str, function_name: pulumi.Input[str], settings: AlarmSettings, suffix: str) -> AlarmSpec:
    """The share of failed invocations, in percent, above the configured rate."""
    dims = {"FunctionName": function_name}
    return AlarmSpec(
        name=derived_name(dev_function, "error-rate-alarm", suffix),
        description=(
            f"More than {settings.lambda_error_rate_percent}% of invocations of the production twin of {dev_function} failed; "
            "see the function's log group and X-Ray traces."
        ),
        threshold=settings.lambda_error_rate_percent,
        period=settings.period_seconds,
        evaluation_periods=settings.evaluation_periods,
        queries=(
            Query("errors", "Errors", metric=Metric("AWS/Lambda", "Errors", dims, "Sum")),
            Query("invocations", "Invocations", metric=Metric("AWS/Lambda", "Invocations", dims, "Sum")),
            Query("error_rate", "Error rate (%)", expression=ERROR_RATE_EXPRESSION, return_data=True),
        ),
    )


def function_throttle_alarm(dev_function: str, function_name: pulumi.Input[str], settings: AlarmSettings, suffix: str) -> AlarmSpec:
    """Any throttled invocation: the function hit its reserved concurrency and callers were refused."""
    return AlarmSpec(
        name=derived_name(dev_function, "lambda-throttle-alarm", suffix),
        description=f"Invocations of the production twin of {dev_function} were throttled; review its reserved concurrency.",
        threshold=0,
        period=settings.period_seconds,
        evaluation_periods=settings.evaluation_periods,
        metric=Metric("AWS/Lambda", "Throttles", {"FunctionName": function_name}, "Sum"),
    )


def api_alarms(
    dev_api: str, api_name: pulumi.Input[str], stage_name: pulumi.Input[str], settings: AlarmSettings, suffix: str
) -> tuple[AlarmSpec, ...]:
    """4xx and 5xx rates (the Average of 4XXError/5XXError is already a 0-1 fraction) and p99 latency of the API stage."""
    dims = {"ApiName": api_name, "Stage": stage_name}
    common: dict[str, Any] = {"period": settings.period_seconds, "evaluation_periods": settings.evaluation_periods}
    return (
        AlarmSpec(
            name=derived_name(dev_api, "4xx-alarm", suffix),
            description=f"More than {settings.api_4xx_rate * 100:g}% of API requests got a 4xx; check recent client or contract changes.",
            threshold=settings.api_4xx_rate,
            metric=Metric("AWS/ApiGateway", "4XXError", dims, "Average"),
            **common,
        ),
        AlarmSpec(
            name=derived_name(dev_api, "5xx-alarm", suffix),
            description=f"More than {settings.api_5xx_rate * 100:g}% of API requests got a 5xx; check the Lambda error-rate alarms.",
            threshold=settings.api_5xx_rate,
            metric=Metric("AWS/ApiGateway", "5XXError", dims, "Average"),
            **common,
        ),
        AlarmSpec(
            name=derived_name(dev_api, "latency-alarm", suffix),
            description=f"API p99 latency is above {settings.api_latency_p99_ms:g} ms; check Lambda duration and DynamoDB latency.",
            threshold=settings.api_latency_p99_ms,
            metric=Metric("AWS/ApiGateway", "Latency", dims, "p99"),
            **common,
        ),
    )


def alarm_name_problems(specs: Sequence[AlarmSpec]) -> list[tuple[str, str]]:
    """Duplicate or over-long alarm names: AWS would silently overwrite the first or refuse the second."""
    counts = Counter(spec.name for spec in specs)
    problems = [(f"alarms[{spec.name}]", "two alarms would share this name") for spec in specs if counts[spec.name] > 1]
    problems += [(f"alarms[{spec.name}]", reason) for spec in specs if (reason := check_length(spec.name, "cloudwatch_alarm"))]
    return sorted(set(problems))


def layer_alarms(
    *,
    tables: Mapping[str, pulumi.Input[str]],
    functions: Mapping[str, pulumi.Input[str]],
    dev_api: str,
    indexes: Mapping[str, Sequence[str]] | None = None,
    api_name: pulumi.Input[str],
    stage_name: pulumi.Input[str],
    settings: AlarmSettings,
    suffix: str,
) -> tuple[AlarmSpec, ...]:
    """Every alarm of the layer: a throttle alarm per table and per GSI, an error-rate and a throttle alarm per function, three on the API.

    `tables` and `functions` map dev names to production names; `indexes` maps a dev table
    name to its GSI names (from the inventory; a table absent from `tables` is refused). Raises ConfigError when two
    alarms would share a name or a name is too long for CloudWatch.
    """
    _check_indexed_tables(indexes or {}, tables)
    specs = [
        *(table_throttle_alarm(dev, name, settings, suffix) for dev, name in tables.items()),
        *(gsi_throttle_alarm(dev, index, tables[dev], settings, suffix) for dev, names in (indexes or {}).items() for index in names),
        *(
            alarm
            for dev, name in functions.items()
            for alarm in (function_error_rate_alarm(dev, name, settings, suffix), function_throttle_alarm(dev, name, settings, suffix))
        ),
        *api_alarms(dev_api, api_name, stage_name, settings, suffix),
    ]
    raise_if_any(alarm_name_problems(specs), header="invalid alarm names:")
    return tuple(specs)


def _check_indexed_tables(indexes: Mapping[str, Sequence[str]], tables: Mapping[str, object]) -> None:
    raise_if_any([(f"indexes[{dev}]", "is not a watched table") for dev in indexes if dev not in tables])


def is_percentile(stat: str) -> bool:
    """Whether `stat` is an extended statistic (`p99`), which CloudWatch takes in a different field."""
    return bool(_PERCENTILE.match(stat))


def _metric_args(metric: Metric) -> dict[str, Any]:
    stat_key = "extended_statistic" if is_percentile(metric.stat) else "statistic"
    return {"namespace": metric.namespace, "metric_name": metric.metric_name, "dimensions": dict(metric.dimensions), stat_key: metric.stat}


def _query_args(query: Query, period: int) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
    metric = None
    if query.metric is not None:
        metric = aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
            namespace=query.metric.namespace,
            metric_name=query.metric.metric_name,
            dimensions=dict(query.metric.dimensions),
            stat=query.metric.stat,
            period=period,
        )
    return aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id=query.id, label=query.label, metric=metric, expression=query.expression, return_data=query.return_data
    )


def metric_alarm_args(spec: AlarmSpec, topic_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Keyword arguments of `aws.cloudwatch.MetricAlarm` for `spec`, notifying `topic_arn` on ALARM and on OK."""
    args: dict[str, Any] = {
        "name": spec.name,
        "alarm_description": spec.description,
        "comparison_operator": spec.comparison_operator,
        "threshold": spec.threshold,
        "evaluation_periods": spec.evaluation_periods,
        "treat_missing_data": spec.treat_missing_data,
        "alarm_actions": [topic_arn],
        "ok_actions": [topic_arn],
    }
    if spec.metric is not None:
        args |= {"period": spec.period, **_metric_args(spec.metric)}
    else:
        args["metric_queries"] = [_query_args(query, spec.period) for query in spec.queries]
    return args


@dataclass(frozen=True)
class AlarmsArgs:
    """Inputs of the `Alarms` component."""

    specs: tuple[AlarmSpec, ...]
    """The alarms to create (see `layer_alarms`)."""
    topic_arn: pulumi.Input[str]
    """SNS topic every alarm notifies on ALARM and on OK."""


class Alarms(pulumi.ComponentResource):
    """One CloudWatch alarm per spec, all notifying the alarm topic."""

    arns: pulumi.Output[dict[str, str]]
    """{alarm name: alarm ARN}."""

    def __init__(self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("payments:observability:Alarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.alarms = {
            spec.name: aws.cloudwatch.MetricAlarm(logical_name(spec.name), opts=child, **metric_alarm_args(spec, args.topic_arn))
            for spec in args.specs
        }
        self.arns = pulumi.Output.all(**{name: alarm.arn for name, alarm in self.alarms.items()})
        self.register_outputs({"arns": self.arns})
