"""The dashboard body: valid CloudWatch dashboard JSON that charts every migrated resource."""

from __future__ import annotations

import json

import pytest

from payments_observability.dashboard import GRID_WIDTH, DashboardNames, build_dashboard

REGION = "eu-west-1"
NAMES = DashboardNames(
    api_name="payments-api-production-eu1",
    stage_name="production",
    tables=tuple(f"payments-t{i}-production-eu1" for i in range(7)),
    functions=tuple(f"payments-f{i}-production-eu1" for i in range(9)),
    buckets=("payments-documents-production-eu1", "payments-receipts-production-eu1", "payments-lambda-artifacts-production-eu1"),
)


def widgets(names: DashboardNames = NAMES, period: int = 300) -> list[dict]:
    return json.loads(build_dashboard(names, REGION, period))["widgets"]


def metric_rows(widget: dict) -> list[list]:
    return widget["properties"]["metrics"]


def by_title(title_start: str, names: DashboardNames = NAMES) -> list[dict]:
    return [w for w in widgets(names) if w["properties"]["title"].startswith(title_start)]


def test_every_widget_is_a_complete_metric_widget_in_eu_west_1():
    for widget in widgets():
        assert widget["type"] == "metric"
        assert {"x", "y", "width", "height"} <= set(widget)
        props = widget["properties"]
        assert {"metrics", "region", "title", "view", "stat", "period"} <= set(props)
        assert props["region"] == REGION
        assert props["metrics"], props["title"]


def test_widgets_fit_the_grid_and_never_overlap():
    cells: set[tuple[int, int]] = set()
    for widget in widgets():
        assert widget["x"] >= 0 and widget["x"] + widget["width"] <= GRID_WIDTH
        xs, ys = range(widget["x"], widget["x"] + widget["width"]), range(widget["y"], widget["y"] + widget["height"])
        area = {(x, y) for x in xs for y in ys}
        assert not cells & area, widget["properties"]["title"]
        cells |= area


def test_the_dashboard_names_every_table_function_bucket_and_the_api():
    body = build_dashboard(NAMES, REGION, 300)
    for name in (NAMES.api_name, *NAMES.tables, *NAMES.functions, *NAMES.buckets):
        assert name in body, name


def test_api_row_shows_requests_error_rates_and_p50_p99_latency():
    rows = [row for w in by_title("API") for row in metric_rows(w)]
    assert {row[0] for row in rows} == {"AWS/ApiGateway"}
    assert {row[1] for row in rows} == {"Count", "4XXError", "5XXError", "Latency"}
    latency_stats = {row[-1]["stat"] for w in by_title("API latency") for row in metric_rows(w)}
    assert latency_stats == {"p50", "p99"}
    for widget in by_title("API"):
        for row in metric_rows(widget):
            assert row[2:6] == ["ApiName", NAMES.api_name, "Stage", NAMES.stage_name]


def test_lambda_row_charts_five_metrics_for_every_function():
    lambda_widgets = by_title("Lambda")
    assert {w["properties"]["title"] for w in lambda_widgets} == {
        f"Lambda {m}" for m in ("Invocations", "Errors", "Duration", "Throttles", "ConcurrentExecutions")
    }
    for widget in lambda_widgets:
        assert [row[3] for row in metric_rows(widget)] == list(NAMES.functions)


def test_dynamodb_row_charts_capacity_throttles_and_latency_for_every_table():
    dynamo = by_title("DynamoDB")
    metric_names = {row[1] for w in dynamo for row in metric_rows(w) if isinstance(row[0], str)}
    assert metric_names == {"ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits", "ReadThrottleEvents", "WriteThrottleEvents"}
    [latency] = by_title("DynamoDB successful request latency")
    expressions = [row[0]["expression"] for row in metric_rows(latency)]
    assert len(expressions) == len(NAMES.tables)
    for table, expression in zip(NAMES.tables, expressions, strict=True):
        assert expression.startswith("SEARCH(") and f'TableName="{table}"' in expression and "SuccessfulRequestLatency" in expression
    ids = [row[0]["id"] for row in metric_rows(latency)]
    assert len(set(ids)) == len(ids) and all(i[0].islower() for i in ids)


def test_s3_row_uses_daily_storage_metrics_for_every_bucket():
    s3 = by_title("S3")
    assert s3 and all(w["properties"]["period"] == 86400 for w in s3)
    rows = [row for w in s3 for row in metric_rows(w)]
    size = {row[3] for row in rows if row[1] == "BucketSizeBytes" and row[4:6] == ["StorageType", "StandardStorage"]}
    objects = {row[3] for row in rows if row[1] == "NumberOfObjects" and row[4:6] == ["StorageType", "AllStorageTypes"]}
    assert size == objects == set(NAMES.buckets)


def test_sections_are_stacked_api_lambda_dynamodb_s3():
    order = ["API", "Lambda", "DynamoDB", "S3"]
    first_row = {section: min(w["y"] for w in by_title(section)) for section in order}
    assert [first_row[s] for s in order] == sorted(first_row.values())


@pytest.mark.parametrize("period", [60, 300])
def test_the_default_period_follows_settings(period):
    assert {w["properties"]["period"] for w in widgets(period=period) if not w["properties"]["title"].startswith("S3")} == {period}


def test_a_section_with_nothing_to_chart_is_left_out_not_emitted_empty():
    names = DashboardNames(api_name="api", stage_name="s", tables=(), functions=(), buckets=())
    titles = [w["properties"]["title"] for w in widgets(names)]
    assert titles and all(t.startswith("API") for t in titles)
