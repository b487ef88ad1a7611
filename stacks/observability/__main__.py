"""Observability layer: alarms on every table, function and the API, one alarm topic, one dashboard."""

from pathlib import Path

import pulumi

from payments_observability import SYSTEM
from payments_observability.alarms import Alarms, AlarmsArgs, layer_alarms
from payments_observability.dashboard import ServiceDashboard, ServiceDashboardArgs
from payments_observability.topic import AlarmTopic, AlarmTopicArgs
from payments_observability.upstream import read_upstream
from shared.layer import start_layer
from shared.naming import resource_name
from shared.outputs import Observability

ctx = start_layer(Observability.LAYER, Path(__file__).parent)
settings, suffix = ctx.settings, ctx.settings.environment_suffix
watched = read_upstream(ctx)
opts = pulumi.ResourceOptions(provider=ctx.provider)

topic = AlarmTopic(
    "alarm-topic",
    AlarmTopicArgs(
        name=resource_name(SYSTEM, "alarms", suffix),
        kms_key_arn=watched.logs_key_arn,
        emails=settings.alarms.emails,
    ),
    opts,
)
specs = layer_alarms(
    tables=watched.tables,
    functions=watched.functions,
    dev_api=ctx.inventory.api.name,
    indexes=watched.indexes,
    api_name=watched.api_name,
    stage_name=watched.stage_name,
    settings=settings.alarms,
    suffix=suffix,
)
alarms = Alarms("alarms", AlarmsArgs(specs=specs, topic_arn=topic.arn), opts.merge(pulumi.ResourceOptions(depends_on=[topic])))
dashboard = ServiceDashboard(
    "dashboard",
    ServiceDashboardArgs(
        name=resource_name(SYSTEM, "dashboard", suffix),
        region=settings.region,
        period=settings.alarms.period_seconds,
        api_name=watched.api_name,
        stage_name=watched.stage_name,
        tables=list(watched.tables.values()),
        indexes=[(watched.tables[dev], index) for dev, names in watched.indexes.items() for index in names],
        functions=list(watched.functions.values()),
        buckets=[*watched.buckets.values(), watched.artifacts_bucket],
    ),
    opts,
)

pulumi.export(Observability.ALARM_TOPIC_ARN, topic.arn)
pulumi.export(Observability.ALARM_ARNS, alarms.arns)
pulumi.export(Observability.DASHBOARD_NAME, dashboard.dashboard_name)
pulumi.export(Observability.DASHBOARD_URL, dashboard.url)
