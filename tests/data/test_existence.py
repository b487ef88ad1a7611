"""The layer creates nothing unless every dev bucket and table it mirrors exists in the dev account."""

from __future__ import annotations

from pathlib import Path

from payments_tools.harness import REPO_ROOT
from payments_tools.mocks import PlanMocks
from payments_tools.plan import run_program, stack_config
from shared.devcheck import DevAccountUnreachable, DevResourcesMissing

STACK_DIR = REPO_ROOT / "stacks" / "data"


def run_recording(foundation_outputs, inventory_file: Path | None = None, **config: str) -> PlanMocks:
    """Run the layer with mocks we keep hold of, so what it registered is visible even when it fails."""
    merged = stack_config(STACK_DIR)
    if inventory_file is not None:
        merged["payments-data:inventoryFile"] = str(inventory_file)
    merged.update({f"payments-data:{k}": v for k, v in config.items()})
    mocks = PlanMocks(stack_outputs={"organization/payments-foundation/prod": foundation_outputs})
    mocks.raised = None  # type: ignore[attr-defined]
    try:
        run_program(STACK_DIR / "__main__.py", project="payments-data", mocks=mocks, config=merged)
    except Exception as exc:
        mocks.raised = exc  # type: ignore[attr-defined]
    return mocks


def registered(mocks: PlanMocks) -> list[str]:
    """Everything registered besides the provider: AWS resources, components, stack references."""
    return [f"{r['type']} {r['name']}" for r in mocks.resources if r["type"] != "pulumi:providers:aws"]


def test_the_example_inventory_passes_the_check_and_the_layer_builds(dev_account, inventory, foundation_outputs):
    dev_account(inventory)
    mocks = run_recording(foundation_outputs)
    assert mocks.raised is None
    assert any(r["type"].startswith("aws:") for r in mocks.resources)


def test_one_missing_bucket_is_named_and_nothing_is_created(dev_account, inventory, foundation_outputs):
    dev_account(inventory, skip=frozenset({"payments-receipts-dev"}))
    mocks = run_recording(foundation_outputs)
    assert isinstance(mocks.raised, DevResourcesMissing)
    assert mocks.raised.paths == ["s3Buckets[1]"]
    assert "payments-receipts-dev" in str(mocks.raised)
    assert "nothing was created" in str(mocks.raised)
    assert registered(mocks) == []


def test_several_missing_resources_are_reported_together(dev_account, rich_inventory, rich_inventory_file, foundation_outputs):
    missing = frozenset({"payments-documents-dev", "payments-exports-dev", "payments-idempotency-dev", "payments-ledger-dev"})
    dev_account(rich_inventory, skip=missing)
    mocks = run_recording(foundation_outputs, rich_inventory_file)
    err = mocks.raised
    assert isinstance(err, DevResourcesMissing)
    assert err.paths == ["s3Buckets[0]", "s3Buckets[3]", "dynamodbTables[1]", "dynamodbTables[3]"]
    for name in missing:
        assert f"{name!r} does not exist in the dev account 123456789012 (us-east-1)" in str(err)
    assert str(err).startswith("4 dev resource(s)")
    assert registered(mocks) == []


def test_missing_functions_and_api_do_not_block_the_data_layer(dev_account, inventory, foundation_outputs):
    # They are the compute and edge layers' concern (and `make validate-dev`'s), not this layer's.
    dev_account(inventory, skip=frozenset({"payments-authorizer-dev", "payments-api-dev"}))
    assert run_recording(foundation_outputs).raised is None


def test_no_dev_credentials_is_reported_as_unreachable_and_nothing_is_created(monkeypatch, tmp_path, foundation_outputs):
    for var in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    mocks = run_recording(foundation_outputs)
    assert isinstance(mocks.raised, DevAccountUnreachable)
    assert mocks.raised.paths == ["devProfile"]
    assert "no usable AWS credentials" in str(mocks.raised) and "set devProfile" in str(mocks.raised)
    assert registered(mocks) == []


def test_an_undefined_dev_profile_is_named(monkeypatch, tmp_path, foundation_outputs):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    mocks = run_recording(foundation_outputs, devProfile="payments-dev-readonly")
    assert isinstance(mocks.raised, DevAccountUnreachable)
    assert "'payments-dev-readonly' is not defined" in str(mocks.raised)
    assert registered(mocks) == []


def test_an_unreachable_dev_endpoint_is_reported_and_nothing_is_created(dev_account, inventory, foundation_outputs, monkeypatch):
    dev_account(inventory)
    # Point every AWS endpoint at a port nothing listens on.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    mocks = run_recording(foundation_outputs)
    assert isinstance(mocks.raised, DevAccountUnreachable)
    assert mocks.raised.paths == ["region"]
    assert "cannot reach the dev account 123456789012 (us-east-1) endpoint" in str(mocks.raised)
    assert registered(mocks) == []


def test_the_check_runs_before_the_foundation_stack_is_read(dev_account, inventory):
    # Without foundation outputs the layer would fail on the missing upstream; the missing dev resource is reported first.
    dev_account(inventory, skip=frozenset({"payments-documents-dev"}))
    mocks = run_recording({})
    assert isinstance(mocks.raised, DevResourcesMissing)


def test_with_the_dev_check_off_the_layer_builds_without_dev_and_warns(dev_account, inventory, foundation_outputs, caplog):
    dev_account(inventory, skip=frozenset({"payments-receipts-dev", "payments-transactions-dev"}))
    with caplog.at_level("WARNING"):
        mocks = run_recording(foundation_outputs, checkDevResources="false")
    assert mocks.raised is None
    assert any(r["type"].startswith("aws:") for r in mocks.resources)
    assert any("checkDevResources is false" in r.getMessage() for r in caplog.records)


def test_the_dev_check_is_on_by_default(dev_account, inventory, foundation_outputs, caplog):
    dev_account(inventory, skip=frozenset({"payments-receipts-dev"}))
    with caplog.at_level("WARNING"):
        mocks = run_recording(foundation_outputs)
    assert isinstance(mocks.raised, DevResourcesMissing)
    assert not any("checkDevResources" in r.getMessage() for r in caplog.records)
