"""Resource-level policies of the compute layer, run through its real program under mocks."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from payments_compute.packaging import build_artifact
from payments_tools.harness import LayerRun, example_inventory_data, run_layer
from payments_tools.harness import write_inventory as write_inventory_file
from payments_tools.mocks import PlanMocks
from payments_tools.plan import run_program
from shared.build import artifacts_dir
from shared.errors import ConfigError
from shared.outputs import Compute, Data, Foundation

REPO = Path(__file__).resolve().parents[2]
FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
SIGNING_JOB = "aws:signer/signingJob:SigningJob"
SIGNING_PROFILE = "aws:signer/signingProfile:SigningProfile"
CODE_SIGNING_CONFIG = "aws:lambda/codeSigningConfig:CodeSigningConfig"
DATA_KEY = "arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-0000-4000-8000-data00000001"
Upstream = dict[str, dict[str, Any]]


def functions_by_dev_name(run: LayerRun) -> dict[str, dict[str, Any]]:
    """Function inputs by dev name; a function's logical name is its production name (`…-production-eu1`)."""
    return {r["name"].removesuffix("production-eu1") + "dev": r["inputs"] for r in run.of_type(FUNCTION)}


def package_of(code_path: Path) -> tuple[str, str]:
    """(S3 key, base64 sha256) the package of `code_path` must have: the zip of its nodejs24.x bundle.

    The zip is the packager's own (tests/compute/test_packaging.py proves it is the bundle's
    deterministic zip); its bytes are hashed here afresh.
    """
    data = build_artifact(code_path, artifacts_dir(REPO), "node24").path.read_bytes()
    return f"functions/{hashlib.sha256(data).hexdigest()}.zip", base64.b64encode(hashlib.sha256(data).digest()).decode()


# The example and rich runs are each planned once per module (a run takes a few tenths of a
# second) and every test reads its own deep copy, so no test can change what another sees.


@pytest.fixture(scope="module")
def example_run(make_upstream: Callable[[dict[str, Any]], Upstream]) -> LayerRun:
    return run_layer("compute", upstream=make_upstream(example_inventory_data()))


@pytest.fixture(scope="module")
def rich_run(
    tmp_path_factory: pytest.TempPathFactory,
    make_upstream: Callable[[dict[str, Any]], Upstream],
    make_rich_inventory: Callable[[Path], dict[str, Any]],
) -> LayerRun:
    folder = tmp_path_factory.mktemp("rich")
    inventory = make_rich_inventory(folder)
    path = write_inventory_file(inventory, folder)
    return run_layer("compute", upstream=make_upstream(inventory), config={"inventoryFile": str(path)})


@pytest.fixture
def example(example_run: LayerRun) -> LayerRun:
    return copy.deepcopy(example_run)


@pytest.fixture
def rich(rich_run: LayerRun) -> LayerRun:
    return copy.deepcopy(rich_run)


# --- every function setting -----------------------------------------------------------------


def test_one_function_per_dev_function_named_by_the_rename_rule(example: LayerRun, dev_inventory: dict[str, Any]) -> None:
    functions = functions_by_dev_name(example)
    assert set(functions) == {f["FunctionName"] for f in dev_inventory["lambdaFunctions"]}
    for dev, inputs in functions.items():
        assert inputs["name"] == dev.removesuffix("-dev") + "-production-eu1"
    assert {r["name"] for r in example.of_type(FUNCTION)} == {inputs["name"] for inputs in functions.values()}


def test_every_function_keeps_its_dev_handler_timeout_and_gets_at_least_512_mb(example: LayerRun, dev_inventory: dict[str, Any]) -> None:
    functions = functions_by_dev_name(example)
    for dev in dev_inventory["lambdaFunctions"]:
        inputs = functions[dev["FunctionName"]]
        assert inputs["handler"] == dev["Handler"]
        assert inputs["timeout"] == dev["Timeout"]
        assert inputs["memorySize"] == max(512, dev["MemorySize"])


def test_a_dev_function_above_512_mb_keeps_its_memory(rich: LayerRun) -> None:
    reporting = functions_by_dev_name(rich)["payments-reporting-dev"]
    assert (reporting["memorySize"], reporting["timeout"]) == (1024, 120)


def test_the_minimum_memory_is_configurable(upstream: Upstream) -> None:
    run = run_layer("compute", upstream=upstream, config={"compute": {"minMemoryMb": 1024}})
    assert {f["memorySize"] for f in functions_by_dev_name(run).values()} == {1024}


def test_every_function_runs_nodejs24_without_a_deprecation_warning(upstream: Upstream, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        run = run_layer("compute", upstream=upstream)
    assert {f["runtime"] for f in functions_by_dev_name(run).values()} == {"nodejs24.x"}
    assert not [r for r in caplog.records if "deprecated" in r.getMessage()]


def test_the_layer_refuses_nodejs18_with_the_date_before_registering_anything() -> None:
    mocks = PlanMocks()
    config = {"payments-compute:compute": json.dumps({"runtime": "nodejs18.x"})}
    with pytest.raises(ConfigError) as err:
        run_program(REPO / "stacks" / "compute" / "__main__.py", project="payments-compute", mocks=mocks, config=config)
    assert err.value.paths == ["compute.runtime"]
    assert "nodejs18.x was deprecated by AWS Lambda on 2025-09-01" in str(err.value)
    assert "set compute.runtime to nodejs24.x" in str(err.value)
    assert mocks.resources == []  # not even the provider


def test_nodejs22_is_allowed_and_warns_when_its_deprecation_is_near(
    upstream: Upstream,
    small_code_inventory: dict[str, Any],
    write_inventory: Callable[..., str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("shared.runtimes.current_date", lambda: dt.date(2026, 11, 30))
    config = {"inventoryFile": write_inventory(small_code_inventory), "compute": {"runtime": "nodejs22.x"}}
    with caplog.at_level(logging.WARNING):
        run = run_layer("compute", upstream=upstream, config=config)
    assert {f["runtime"] for f in functions_by_dev_name(run).values()} == {"nodejs22.x"}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "nodejs22.x" in r.getMessage()]
    assert len(warnings) == 1 and "2027-04-30" in warnings[0]


def test_every_function_has_active_tracing(example: LayerRun) -> None:
    for inputs in functions_by_dev_name(example).values():
        assert inputs["tracingConfig"] == {"mode": "Active"}


def test_every_function_uses_its_foundation_role_and_the_data_key(example: LayerRun, upstream: Upstream) -> None:
    roles = upstream[Foundation.LAYER][Foundation.FUNCTION_ROLE_ARNS]
    for dev, inputs in functions_by_dev_name(example).items():
        assert inputs["role"] == roles[dev]
        assert inputs["kmsKeyArn"] == upstream[Foundation.LAYER][Foundation.DATA_KEY_ARN]


def test_reserved_concurrency_comes_from_config_else_the_default(example: LayerRun) -> None:
    reserved = {dev: f["reservedConcurrentExecutions"] for dev, f in functions_by_dev_name(example).items()}
    assert reserved == {
        "payments-process-payment-dev": 100,
        "payments-authorizer-dev": 100,
        "payments-get-payment-dev": 50,
        "payments-refund-payment-dev": 50,
        "payments-generate-receipt-dev": 50,
    }


def test_reservations_leaving_fewer_than_100_unreserved_stop_the_deploy_before_any_resource(upstream: Upstream) -> None:
    with pytest.raises(ConfigError, match=r"compute.reservedConcurrency: reserving 350 of the account limit 400 .* leaves 50 unreserved"):
        run_layer("compute", upstream=upstream, config={"compute": {"accountConcurrencyLimit": 400}})


# --- log groups -----------------------------------------------------------------------------


def test_every_function_has_a_cmk_encrypted_30_day_log_group_created_before_it(example: LayerRun, upstream: Upstream) -> None:
    for inputs in functions_by_dev_name(example).values():
        group = example.one(LOG_GROUP, f"{inputs['name']}-logs")["inputs"]
        assert group["name"] == f"/aws/lambda/{inputs['name']}"
        assert group["retentionInDays"] == 30
        assert group["kmsKeyId"] == upstream[Foundation.LAYER][Foundation.LOGS_KEY_ARN]
        assert inputs["loggingConfig"]["logGroup"] == group["name"]
        assert f"{inputs['name']}-logs" in example.dependencies(FUNCTION, inputs["name"])


def test_log_retention_follows_the_setting(upstream: Upstream) -> None:
    run = run_layer("compute", upstream=upstream, config={"logRetentionDays": 90})
    assert {g["inputs"]["retentionInDays"] for g in run.of_type(LOG_GROUP)} == {90}


# --- packages -------------------------------------------------------------------------------


def test_every_function_deploys_the_signed_copy_of_its_uploaded_package(
    example: LayerRun, upstream: Upstream, dev_inventory: dict[str, Any]
) -> None:
    run = example
    bucket = upstream[Data.LAYER][Data.ARTIFACTS_BUCKET_NAME]
    objects = {o["inputs"]["key"]: o for o in run.of_type(OBJECT)}
    jobs = {j["inputs"]["source"]["s3"]["key"]: j for j in run.of_type(SIGNING_JOB)}
    for dev in dev_inventory["lambdaFunctions"]:
        inputs = functions_by_dev_name(run)[dev["FunctionName"]]
        key, _ = package_of(REPO / dev["CodePath"])
        job = jobs[key]
        # The job signs exactly the uploaded object version, and the function runs what the job wrote.
        assert job["inputs"]["source"]["s3"] == {"bucket": bucket, "key": key, "version": objects[key]["state"]["versionId"]}
        [signed] = job["state"]["signedObjects"][0]["s3s"]
        assert (inputs["s3Bucket"], inputs["s3Key"]) == (signed["bucket"], signed["key"])
        assert inputs["s3Key"].startswith(f"signed/{key.removeprefix('functions/').removesuffix('.zip')}/")
        assert "sourceCodeHash" not in inputs  # Lambda's CodeSha256 is the signed zip's
        assert job["name"] in run.dependencies(FUNCTION, inputs["name"])
        assert objects[key]["name"] in run.dependencies(SIGNING_JOB, job["name"])


def test_packages_are_stored_sse_kms_with_the_data_key_from_the_built_zip(example: LayerRun, upstream: Upstream) -> None:
    for obj in example.of_type(OBJECT):
        inputs = obj["inputs"]
        assert inputs["bucket"] == upstream[Data.LAYER][Data.ARTIFACTS_BUCKET_NAME]
        assert inputs["serverSideEncryption"] == "aws:kms"
        assert inputs["kmsKeyId"] == upstream[Foundation.LAYER][Foundation.DATA_KEY_ARN]
        assert inputs["contentType"] == "application/zip"
        path = Path(inputs["source"].path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert inputs["key"] == f"functions/{digest}.zip" and inputs["sourceHash"] == digest


def test_functions_sharing_a_code_folder_share_one_package(example: LayerRun, rich: LayerRun) -> None:
    assert len(example.of_type(OBJECT)) == 1  # five functions, one folder
    assert len(rich.of_type(OBJECT)) == 2  # plus reporting + webhook in a second folder
    keys = rich.outputs[Compute.ARTIFACT_KEYS]
    assert keys["payments-reporting-dev"] == keys["payments-webhook-dev"] != keys["payments-get-payment-dev"]


def test_an_unchanged_program_plans_the_same_package(example: LayerRun, upstream: Upstream) -> None:
    assert run_layer("compute", upstream=upstream).outputs[Compute.ARTIFACT_KEYS] == example.outputs[Compute.ARTIFACT_KEYS]


def test_changed_code_gets_a_new_package_only_for_its_functions(
    rich_inventory: dict[str, Any], make_upstream: Callable[[dict[str, Any]], Upstream], write_inventory: Callable[..., str]
) -> None:
    config = {"inventoryFile": write_inventory(rich_inventory)}
    before = functions_by_dev_name(run_layer("compute", upstream=make_upstream(rich_inventory), config=config))
    handler = Path(rich_inventory["lambdaFunctions"][-1]["CodePath"]) / "webhook.mjs"
    # A comment is not deployed code: the bundle, hence the package, stays the same.
    handler.write_text(handler.read_text() + "// changed\n")
    commented = functions_by_dev_name(run_layer("compute", upstream=make_upstream(rich_inventory), config=config))
    assert commented["payments-webhook-dev"]["s3Key"] == before["payments-webhook-dev"]["s3Key"]
    handler.write_text(handler.read_text().replace("202", "203"))
    after = functions_by_dev_name(run_layer("compute", upstream=make_upstream(rich_inventory), config=config))
    for dev in ("payments-reporting-dev", "payments-webhook-dev"):
        assert after[dev]["s3Key"] != before[dev]["s3Key"]
    assert after["payments-get-payment-dev"]["s3Key"] == before["payments-get-payment-dev"]["s3Key"]


# --- environment ----------------------------------------------------------------------------


def test_environment_variables_point_at_production_resources(rich: LayerRun) -> None:
    functions = functions_by_dev_name(rich)
    assert functions["payments-process-payment-dev"]["environment"]["variables"] == {
        "TRANSACTIONS_TABLE": "payments-transactions-production-eu1",
        "IDEMPOTENCY_TABLE": "payments-idempotency-production-eu1",
        "LOG_LEVEL": "info",
        "DATA_KEY_ARN": DATA_KEY,
    }
    assert functions["payments-reporting-dev"]["environment"]["variables"] == {
        "ARCHIVE_URI": "s3://payments-receipts-archive-production-eu1/reports/",
        "SOURCE_TABLES": "payments-transactions-production-eu1,payments-transactions-ledger-production-eu1",
        "NOTIFY_FUNCTION": "payments-generate-receipt-production-eu1",
        "LOG_LEVEL": "info",
        "DATA_KEY_ARN": DATA_KEY,
    }


def test_production_settings_are_added_to_every_function(upstream: Upstream) -> None:
    extra = {"LOG_LEVEL": "warn", "POWERTOOLS_SERVICE_NAME": "payments"}
    run = run_layer("compute", upstream=upstream, config={"compute": {"environment": extra}})
    for inputs in functions_by_dev_name(run).values():
        variables = inputs["environment"]["variables"]
        assert variables["LOG_LEVEL"] == "warn" and variables["POWERTOOLS_SERVICE_NAME"] == "payments"


def test_no_dev_name_is_left_anywhere_in_production_configuration(rich: LayerRun, rich_inventory: dict[str, Any]) -> None:
    dev_names = [
        *(b["name"] for b in rich_inventory["s3Buckets"]),
        *(t["TableName"] for t in rich_inventory["dynamodbTables"]),
        *(f["FunctionName"] for f in rich_inventory["lambdaFunctions"]),
    ]
    for resource in rich.resources:
        if resource["type"].startswith("pulumi:"):
            continue
        text = json.dumps(resource["inputs"], default=str)
        leftovers = [name for name in dev_names if name in text]
        assert not leftovers, f"{resource['type']} {resource['name']} still names {leftovers}"
        assert rich_inventory["accountId"] not in text and rich_inventory["region"] not in text


# --- wiring ---------------------------------------------------------------------------------


def test_every_resource_uses_the_production_provider(example: LayerRun) -> None:
    custom = {r["name"]: r for r in example.registrations if r["type"].startswith("aws:")}
    assert custom
    for name, r in custom.items():
        assert "pulumi:providers:aws::production::" in r["provider"], name


def test_exports_are_keyed_by_dev_function_name(example: LayerRun, dev_inventory: dict[str, Any]) -> None:
    devs = {f["FunctionName"] for f in dev_inventory["lambdaFunctions"]}
    functions = functions_by_dev_name(example)
    for key in (Compute.FUNCTION_NAMES, Compute.FUNCTION_ARNS, Compute.FUNCTION_INVOKE_ARNS, Compute.ARTIFACT_KEYS, Compute.LOG_GROUP_ARNS):
        assert set(example.outputs[key]) == devs, key
    for dev in devs:
        name = functions[dev]["name"]
        assert example.outputs[Compute.FUNCTION_NAMES][dev] == name
        assert example.outputs[Compute.FUNCTION_ARNS][dev] == f"arn:aws:lambda:eu-west-1:111122223333:function:{name}"
        assert example.outputs[Compute.FUNCTION_INVOKE_ARNS][dev].endswith(f":function:{name}/invocations")
        assert example.outputs[Compute.LOG_GROUP_ARNS][dev] == f"arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/{name}"
        # The exported key is the unsigned, content-addressed package; the function runs its signed copy.
        digest = example.outputs[Compute.ARTIFACT_KEYS][dev].removeprefix("functions/").removesuffix(".zip")
        assert functions[dev]["s3Key"].startswith(f"signed/{digest}/")


def test_a_function_without_a_foundation_role_is_refused(upstream: Upstream) -> None:
    del upstream[Foundation.LAYER][Foundation.FUNCTION_ROLE_ARNS]["payments-refund-payment-dev"]
    # Raised inside an apply, so Pulumi wraps it in a ValueError that keeps the message.
    with pytest.raises(ValueError, match=r"functionRoleArns\[payments-refund-payment-dev\]: the foundation layer exports nothing"):
        run_layer("compute", upstream=upstream)


def test_a_missing_upstream_output_names_the_layer_to_deploy(upstream: Upstream) -> None:
    del upstream[Data.LAYER][Data.ARTIFACTS_BUCKET_NAME]
    with pytest.raises(ValueError, match="artifactsBucketName: upstream output missing; deploy the data layer first"):
        run_layer("compute", upstream=upstream)


# --- code signing -------------------------------------------------------------------------------


def test_one_lambda_signing_profile_and_an_enforcing_config_on_every_function(example: LayerRun) -> None:
    [profile] = example.of_type(SIGNING_PROFILE)
    assert profile["inputs"]["platformId"] == "AWSLambda-SHA384-ECDSA"
    assert profile["inputs"]["name"] == "payments_lambda_signing_production_eu1"
    [config] = example.of_type(CODE_SIGNING_CONFIG)
    assert config["inputs"]["policies"] == {"untrustedArtifactOnDeployment": "Enforce"}
    assert config["inputs"]["allowedPublishers"] == {"signingProfileVersionArns": [profile["state"]["versionArn"]]}
    for name, inputs in functions_by_dev_name(example).items():
        assert inputs["codeSigningConfigArn"] == config["state"]["arn"], name


def test_one_signing_job_per_distinct_package_named_by_its_content(example: LayerRun, rich: LayerRun) -> None:
    for run in (example, rich):
        jobs, objects = run.of_type(SIGNING_JOB), run.of_type(OBJECT)
        assert len(jobs) == len(objects)
        for job in jobs:
            digest = job["inputs"]["source"]["s3"]["key"].removeprefix("functions/").removesuffix(".zip")
            # Same package, same logical name: an unchanged package is never signed again.
            assert job["name"] == f"signature-{digest[:16]}"
            assert job["inputs"]["destination"]["s3"]["prefix"] == f"signed/{digest}/"
            assert job["inputs"]["profileName"] == "payments_lambda_signing_production_eu1"


@pytest.mark.parametrize("suffix", ["eu1", "a", "abcdefgh"])
def test_signing_profile_names_meet_signers_pattern(suffix: str) -> None:
    import re

    from payments_compute.signing import signing_profile_name

    name = signing_profile_name(suffix)
    # Signer API reference: ProfileName pattern ^[a-zA-Z0-9_]{2,}, length 2-64.
    assert re.fullmatch(r"[a-zA-Z0-9_]{2,}", name) and 2 <= len(name) <= 64


def test_signing_profile_name_refuses_a_bad_suffix() -> None:
    from payments_compute.signing import signing_profile_name

    with pytest.raises(ConfigError, match="environmentSuffix"):
        signing_profile_name("EU-1")


def test_a_signing_job_without_a_signed_object_is_an_error() -> None:
    from payments_compute.signing import signed_object

    with pytest.raises(RuntimeError, match="no signed object"):
        signed_object([])


def test_the_data_key_variable_cannot_be_configured_to_another_key() -> None:
    from payments_compute.rules import with_data_key

    assert with_data_key({"A": "1"}, DATA_KEY) == {"A": "1", "DATA_KEY_ARN": DATA_KEY}
    with pytest.raises(ConfigError, match="DATA_KEY_ARN"):
        with_data_key({"DATA_KEY_ARN": "arn:aws:kms:eu-west-1:111122223333:key/other"}, DATA_KEY)
