"""Production DynamoDB tables: each dev table's schema reproduced exactly, with production durability and encryption."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.inventory import Index, Table


def _range_key(index: Index) -> str | None:
    return next((k.attribute_name for k in index.key_schema if k.key_type == "RANGE"), None)


def global_index_args(index: Index) -> aws.dynamodb.TableGlobalSecondaryIndexArgs:
    """A GSI with the dev index's key schema (in dev order) and projection.

    `key_schemas` rather than `hash_key`/`range_key`, which v7 deprecates for indexes.
    """
    return aws.dynamodb.TableGlobalSecondaryIndexArgs(
        name=index.name,
        key_schemas=[
            aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name=k.attribute_name, key_type=k.key_type)
            for k in index.key_schema
        ],
        projection_type=index.projection_type,
        non_key_attributes=list(index.non_key_attributes) or None,
    )


def local_index_args(index: Index) -> aws.dynamodb.TableLocalSecondaryIndexArgs:
    """An LSI: it shares the table's hash key, so only its range key and projection are stated."""
    range_key = _range_key(index)
    if range_key is None:  # the inventory validator refuses this; guard against a hand-built Table
        raise ValueError(f"local secondary index {index.name!r} has no RANGE key")
    return aws.dynamodb.TableLocalSecondaryIndexArgs(
        name=index.name,
        range_key=range_key,
        projection_type=index.projection_type,
        non_key_attributes=list(index.non_key_attributes) or None,
    )


def table_args(table: Table, name: str, kms_key_arn: pulumi.Input[str]) -> aws.dynamodb.TableArgs:
    """The production twin of a dev table: identical schema, on-demand, PITR, SSE with the data key, destroyable."""
    return aws.dynamodb.TableArgs(
        name=name,
        billing_mode="PAY_PER_REQUEST",
        attributes=[aws.dynamodb.TableAttributeArgs(name=n, type=t) for n, t in table.attribute_definitions],
        hash_key=table.hash_key,
        range_key=table.range_key,
        global_secondary_indexes=[global_index_args(ix) for ix in table.global_secondary_indexes] or None,
        local_secondary_indexes=[local_index_args(ix) for ix in table.local_secondary_indexes] or None,
        stream_enabled=table.stream_view_type is not None,
        stream_view_type=table.stream_view_type,
        # TTL only when dev has it on: the attribute name of a disabled TTL is not part of the contract.
        ttl=aws.dynamodb.TableTtlArgs(attribute_name=table.ttl_attribute, enabled=True) if table.ttl_attribute else None,
        point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
        server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True, kms_key_arn=kms_key_arn),
        # Destroyable by design (see README); AWS Backup and PITR are the safety net, not deletion protection.
        deletion_protection_enabled=False,
    )


@dataclass(frozen=True)
class MirroredTableArgs:
    table: Table
    """The dev table whose schema is reproduced."""
    name: str
    """Physical production table name (the naming rule applied to the dev name)."""
    kms_key_arn: pulumi.Input[str]
    """Customer-managed key for server-side encryption (the foundation layer's data key)."""


class MirroredTable(pulumi.ComponentResource):
    """One production table mirroring one dev table."""

    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    stream_arn: pulumi.Output[str] | None
    """The stream's ARN, or None when the dev table has no stream."""

    def __init__(self, logical_name: str, args: MirroredTableArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("payments:data:Table", logical_name, None, opts)
        table = aws.dynamodb.Table(
            logical_name,
            args=table_args(args.table, args.name, args.kms_key_arn),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = table.name
        self.arn = table.arn
        self.stream_arn = table.stream_arn if args.table.stream_view_type else None
        self.register_outputs({"name": self.name, "arn": self.arn, "streamArn": self.stream_arn})
