"""One CloudWatch dashboard with the key metrics of every migrated service.

The body is built by a pure function from production names, so a test can parse it and check
that every table, function, bucket and the API is on it. One widget per metric with a line
per resource keeps the dashboard readable as the inventory grows, and each section sits in
its own band of rows: API, Lambda, DynamoDB, S3.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

GRID_WIDTH = 24
"""CloudWatch dashboards are 24 units wide."""
WIDGET_WIDTH = 8
WIDGET_HEIGHT = 6
STORAGE_PERIOD = 86400
"""S3 publishes storage metrics once a day; a shorter period shows an empty graph."""


@dataclass(frozen=True)
class DashboardNames:
    """Production names the dashboard charts, all resolved (plain strings)."""

    api_name: str
    """The REST API's name (ApiName dimension)."""
    stage_name: str
    """The stage's name (Stage dimension)."""
    tables: tuple[str, ...]
    """Production table names."""
    functions: tuple[str, ...]
    """Production function names."""
    buckets: tuple[str, ...]
    """Production bucket names, the artifacts bucket included."""
    indexes: tuple[tuple[str, str], ...] = ()
    """(production table name, GSI name) of every global secondary index."""


def _widget(title: str, metrics: list[list[Any]], *, region: str, stat: str, period: int) -> dict[str, Any]:
    return {
        "type": "metric",
        "width": WIDGET_WIDTH,
        "height": WIDGET_HEIGHT,
        "properties": {
            "title": title,
            "metrics": metrics,
            "region": region,
            "view": "timeSeries",
            "stacked": False,
            "stat": stat,
            "period": period,
        },
    }


def _api_widgets(names: DashboardNames, region: str, period: int) -> list[dict[str, Any]]:
    dims = ["ApiName", names.api_name, "Stage", names.stage_name]
    latency = [["AWS/ApiGateway", "Latency", *dims, {"stat": stat, "label": stat}] for stat in ("p50", "p99")]
    return [
        _widget("API requests", [["AWS/ApiGateway", "Count", *dims]], region=region, stat="Sum", period=period),
        _widget(
            "API error rates (4xx, 5xx)",
            [["AWS/ApiGateway", "4XXError", *dims, {"label": "4xx rate"}], ["AWS/ApiGateway", "5XXError", *dims, {"label": "5xx rate"}]],
            region=region,
            stat="Average",
            period=period,
        ),
        _widget(
            "API latency (p50, p99)",
            latency,
            region=region,
            stat="p50",
            period=period,
        ),
    ]


def _lambda_widgets(functions: Sequence[str], region: str, period: int) -> list[dict[str, Any]]:
    charts = [("Invocations", "Sum"), ("Errors", "Sum"), ("Duration", "Average"), ("Throttles", "Sum"), ("ConcurrentExecutions", "Maximum")]
    return [
        _widget(f"Lambda {metric}", [["AWS/Lambda", metric, "FunctionName", f] for f in functions], region=region, stat=stat, period=period)
        for metric, stat in charts
    ]


def _latency_search(table: str, period: int) -> str:
    # SuccessfulRequestLatency is only published per (TableName, Operation): search every operation of the table.
    query = f'{{AWS/DynamoDB,Operation,TableName}} MetricName="SuccessfulRequestLatency" TableName="{table}"'
    return f"SEARCH('{query}', 'Average', {period})"


def _dynamodb_widgets(tables: Sequence[str], region: str, period: int, indexes: Sequence[tuple[str, str]] = ()) -> list[dict[str, Any]]:
    throttles = [["AWS/DynamoDB", metric, "TableName", t] for t in tables for metric in ("ReadThrottleEvents", "WriteThrottleEvents")]
    latency = [[{"expression": _latency_search(t, period), "id": f"latency{i}", "label": t}] for i, t in enumerate(tables)]
    # A GSI's throttles are published under TableName + GlobalSecondaryIndexName only, never in the table's own series.
    gsi_throttles = [
        ["AWS/DynamoDB", metric, "TableName", t, "GlobalSecondaryIndexName", index]
        for t, index in indexes
        for metric in ("ReadThrottleEvents", "WriteThrottleEvents")
    ]
    gsi = [_widget("DynamoDB GSI throttle events", gsi_throttles, region=region, stat="Sum", period=period)] if gsi_throttles else []
    return [
        _widget(
            "DynamoDB consumed read capacity",
            [["AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName", t] for t in tables],
            region=region,
            stat="Sum",
            period=period,
        ),
        _widget(
            "DynamoDB consumed write capacity",
            [["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", t] for t in tables],
            region=region,
            stat="Sum",
            period=period,
        ),
        _widget("DynamoDB throttle events", throttles, region=region, stat="Sum", period=period),
        _widget("DynamoDB successful request latency", latency, region=region, stat="Average", period=period),
        *gsi,
    ]


def _s3_widgets(buckets: Sequence[str], region: str) -> list[dict[str, Any]]:
    size = [["AWS/S3", "BucketSizeBytes", "BucketName", b, "StorageType", "StandardStorage"] for b in buckets]
    objects = [["AWS/S3", "NumberOfObjects", "BucketName", b, "StorageType", "AllStorageTypes"] for b in buckets]
    return [
        _widget("S3 bucket size (standard storage)", size, region=region, stat="Average", period=STORAGE_PERIOD),
        _widget("S3 number of objects", objects, region=region, stat="Average", period=STORAGE_PERIOD),
    ]


def _place(sections: Sequence[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Lay widgets out left to right, each section starting on a fresh row."""
    placed: list[dict[str, Any]] = []
    y = 0
    for widgets in sections:
        x = 0
        for widget in widgets:
            if x + widget["width"] > GRID_WIDTH:
                x, y = 0, y + WIDGET_HEIGHT
            placed.append({**widget, "x": x, "y": y})
            x += widget["width"]
        if widgets:
            y += WIDGET_HEIGHT
    return placed


def dashboard_body(names: DashboardNames, region: str, period: int) -> dict[str, Any]:
    """The dashboard as data: rows for the API, Lambda, DynamoDB and S3; a section with nothing to chart is left out."""
    sections = [
        _api_widgets(names, region, period),
        _lambda_widgets(names.functions, region, period) if names.functions else [],
        _dynamodb_widgets(names.tables, region, period, names.indexes) if names.tables else [],
        _s3_widgets(names.buckets, region) if names.buckets else [],
    ]
    return {"start": "-PT24H", "periodOverride": "inherit", "widgets": _place(sections)}


def build_dashboard(names: DashboardNames, region: str, period: int) -> str:
    """The dashboard body as the JSON text `aws.cloudwatch.Dashboard` takes."""
    return json.dumps(dashboard_body(names, region, period), sort_keys=True)


def dashboard_url(region: str, dashboard_name: pulumi.Input[str]) -> pulumi.Output[str]:
    """The console link to a dashboard, built with Output.concat so the name stays an Output."""
    return pulumi.Output.concat(
        "https://", region, ".console.aws.amazon.com/cloudwatch/home?region=", region, "#dashboards:name=", dashboard_name
    )


@dataclass(frozen=True)
class ServiceDashboardArgs:
    """Inputs of the `ServiceDashboard` component."""

    name: str
    """Physical dashboard name, from the naming rule."""
    region: str
    """Region every widget reads its metrics from."""
    period: int
    """Default seconds per datapoint (S3 storage widgets always use a day)."""
    api_name: pulumi.Input[str]
    stage_name: pulumi.Input[str]
    tables: Sequence[pulumi.Input[str]]
    """Production table names, in inventory order."""
    functions: Sequence[pulumi.Input[str]]
    """Production function names, in inventory order."""
    buckets: Sequence[pulumi.Input[str]]
    """Production bucket names, the artifacts bucket included."""
    indexes: Sequence[tuple[pulumi.Input[str], str]] = ()
    """(production table name, GSI name) of every global secondary index."""


class ServiceDashboard(pulumi.ComponentResource):
    """The payment platform's CloudWatch dashboard."""

    dashboard_name: pulumi.Output[str]
    url: pulumi.Output[str]
    """Console link to the dashboard."""

    def __init__(self, name: str, args: ServiceDashboardArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("payments:observability:Dashboard", name, None, opts)
        names = pulumi.Output.all(
            api_name=args.api_name,
            stage_name=args.stage_name,
            tables=pulumi.Output.all(*args.tables),
            functions=pulumi.Output.all(*args.functions),
            buckets=pulumi.Output.all(*args.buckets),
            index_tables=pulumi.Output.all(*(table for table, _ in args.indexes)),
        ).apply(
            lambda v: DashboardNames(
                v["api_name"],
                v["stage_name"],
                tuple(v["tables"]),
                tuple(v["functions"]),
                tuple(v["buckets"]),
                tuple(zip(v["index_tables"], (index for _, index in args.indexes), strict=True)),
            )
        )
        self.dashboard = aws.cloudwatch.Dashboard(
            name,
            dashboard_name=args.name,
            dashboard_body=names.apply(lambda n: build_dashboard(n, args.region, args.period)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard_name = self.dashboard.dashboard_name
        self.url = dashboard_url(args.region, self.dashboard.dashboard_name)
        self.register_outputs({"dashboardName": self.dashboard_name, "url": self.url})
