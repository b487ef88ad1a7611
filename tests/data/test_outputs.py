"""The data layer's exports: the contract compute, observability and the summary read."""

from __future__ import annotations

from shared.naming import production_name
from shared.outputs import Data


def contract_keys() -> set[str]:
    return {v for k, v in vars(Data).items() if k.isupper() and k != "LAYER"}


def test_exports_exactly_the_declared_keys(example_run):
    assert set(example_run.outputs) == contract_keys()


def test_buckets_are_exported_by_dev_name_and_by_purpose(example_run, inventory):
    outputs = example_run.outputs
    assert outputs[Data.BUCKET_NAMES] == {b.name: production_name(b.name, "eu1") for b in inventory.buckets}
    assert outputs[Data.BUCKET_ARNS] == {b.name: f"arn:aws:s3:::{production_name(b.name, 'eu1')}" for b in inventory.buckets}
    assert outputs[Data.BUCKETS_BY_PURPOSE] == {
        b.purpose: {"name": outputs[Data.BUCKET_NAMES][b.name], "arn": outputs[Data.BUCKET_ARNS][b.name]} for b in inventory.buckets
    }


def test_the_artifacts_bucket_is_exported_apart_from_the_mirrored_buckets(example_run):
    outputs = example_run.outputs
    assert outputs[Data.ARTIFACTS_BUCKET_NAME] == "payments-lambda-artifacts-production-eu1"
    assert outputs[Data.ARTIFACTS_BUCKET_ARN] == "arn:aws:s3:::payments-lambda-artifacts-production-eu1"
    assert outputs[Data.ARTIFACTS_BUCKET_NAME] not in outputs[Data.BUCKET_NAMES].values()


def test_table_arns_are_keyed_by_dev_name(example_run, inventory):
    arns = example_run.outputs[Data.TABLE_ARNS]
    assert set(arns) == {t.name for t in inventory.tables}
    for dev, arn in arns.items():
        assert arn == f"arn:aws:dynamodb:eu-west-1:111122223333:table/{production_name(dev, 'eu1')}"
