"""The offline plan end to end: all five layers in deploy order, wired only through stack references."""

import json

import pytest

from payments_tools.harness import REPO_ROOT
from payments_tools.plan import main, plan_layers, summarise
from shared.outputs import Compute, Data, Edge, Foundation, Observability
from shared.settings import LAYERS


@pytest.fixture
def plans(example_plan):
    return example_plan.plans


def test_every_layer_plans_in_deploy_order(plans):
    assert list(plans) == list(LAYERS)
    for layer, plan in plans.items():
        assert plan.built, layer
        assert plan.resources, f"{layer} planned no resources"


@pytest.mark.parametrize(
    ("layer", "keys"),
    [
        ("foundation", [Foundation.DATA_KEY_ARN, Foundation.LOGS_KEY_ARN, Foundation.FUNCTION_ROLE_ARNS]),
        ("data", [Data.TABLE_ARNS, Data.BUCKET_ARNS, Data.ARTIFACTS_BUCKET_NAME, Data.BACKUP_PLAN_ARN]),
        ("compute", [Compute.FUNCTION_ARNS, Compute.FUNCTION_INVOKE_ARNS]),
        ("edge", [Edge.API_ID, Edge.STAGE_ARN, Edge.WEB_ACL_ARN]),
        ("observability", [Observability.ALARM_TOPIC_ARN, Observability.DASHBOARD_NAME]),
    ],
)
def test_each_layer_exports_its_contract(plans, layer, keys):
    for key in keys:
        assert plans[layer].outputs.get(key), f"{layer} did not export {key}"


def test_downstream_layers_use_upstream_values_not_literals(plans):
    data_key = plans["foundation"].outputs[Foundation.DATA_KEY_ARN]
    tables = [r for r in plans["data"].resources if r["type"] == "aws:dynamodb/table:Table"]
    assert tables and all(t["inputs"]["serverSideEncryption"]["kmsKeyArn"] == data_key for t in tables)
    functions = [r for r in plans["compute"].resources if r["type"] == "aws:lambda/function:Function"]
    roles = plans["foundation"].outputs[Foundation.FUNCTION_ROLE_ARNS]
    assert functions and {f["inputs"]["role"] for f in functions} == set(roles.values())


def test_no_resource_carries_a_dev_name(plans):
    dev_names = {"payments-transactions-dev", "payments-receipts-dev", "payments-process-payment-dev", "payments-api-dev"}
    named = [
        (plan.layer, res["inputs"].get(key))
        for plan in plans.values()
        for res in plan.resources
        for key in ("name", "bucket", "functionName", "dashboardName")
        # DNS records are named after the domain, as DNS requires.
        if res["inputs"].get(key) and res["type"] != "aws:route53/record:Record"
    ]
    assert named
    assert not [n for n in named if n[1] in dev_names]
    # Signer profile names allow only letters, digits and underscores: the naming rule with `_` for `-`.
    assert all(
        "production-eu1" in name.replace("_", "-") or "/" in name or name.startswith("aws-waf-logs")
        for _, name in named
        if isinstance(name, str)
    )


def test_summary_lists_every_resource(plans):
    text = summarise(plans["data"])
    assert text.startswith("== data:")
    assert text.count("\n  + ") == len(plans["data"].resources)


def test_plan_command_writes_the_json(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(REPO_ROOT)
    out = tmp_path / "plan.json"
    assert main(["--out", str(out), "--layer", "foundation"]) == 0
    written = json.loads(out.read_text())
    assert [p["layer"] for p in written] == ["foundation"]
    assert "plan:" in capsys.readouterr().out


def test_a_layer_not_built_yet_shows_as_empty(tmp_path):
    (tmp_path / "stacks" / "foundation").mkdir(parents=True)
    plans = plan_layers(tmp_path)
    assert [p.layer for p in plans] == list(LAYERS)
    assert all(not p.built and not p.resources and not p.outputs for p in plans)
    assert summarise(plans[0]) == "== foundation: not built yet (no stacks/foundation/__main__.py)"


def test_every_layer_shows_the_provider_account_guard(plans):
    # The example sets no allowedAccountIds, so every layer's provider forbids the inventory's dev account.
    for layer, plan in plans.items():
        providers = [r for r in plan.resources if r["type"] == "pulumi:providers:aws"]
        assert len(providers) == 1, layer
        assert json.loads(providers[0]["inputs"]["forbiddenAccountIds"]) == ["123456789012"], layer
        assert 'forbiddenAccountIds=["123456789012"]' in summarise(plan), layer


def test_the_example_plan_passes_every_policy_of_the_pack(plans):
    from payments_policy.records import layer_violations

    assert {layer: [str(v) for v in layer_violations(p.resources)] for layer, p in plans.items()} == {layer: [] for layer in LAYERS}


def test_a_mandatory_violation_fails_the_plan_naming_resource_policy_and_reason(plans, capsys):
    import copy

    from payments_tools.plan import policy_check

    broken = copy.deepcopy(plans["data"])
    table = next(r for r in broken.resources if r["type"] == "aws:dynamodb/table:Table")
    table["inputs"]["billingMode"] = "PROVISIONED"
    assert policy_check([plans["foundation"], broken]) == 1
    err = capsys.readouterr().err
    assert f"data: aws:dynamodb/table:Table {table['name']}: table-on-demand: billingMode is PROVISIONED, not PAY_PER_REQUEST" in err
    assert policy_check([plans["foundation"], plans["data"]]) == 0


def _config_copy(tmp_path, **changes):
    """A folder holding config/production.yaml with `changes` applied (the plan finds its settings from the cwd)."""
    import yaml

    settings = yaml.safe_load((REPO_ROOT / "config" / "production.yaml").read_text(encoding="utf-8"))
    settings["inventoryFile"] = str(REPO_ROOT / settings["inventoryFile"])
    settings.update(changes)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "production.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    return tmp_path


def test_a_bad_setting_prints_every_problem_with_its_path_and_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(_config_copy(tmp_path, region="us-east-1", kms={"deletionWindowDays": 3}))
    assert main(["--out", str(tmp_path / "plan.json")]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert captured.err.startswith("plan: ")
    assert "kms.deletionWindowDays: 3 is less than the minimum of 7" in captured.err
    assert "region: production deploys only to eu-west-1" in captured.err
    assert not (tmp_path / "plan.json").exists()


def test_a_bad_inventory_prints_every_problem_with_its_path_and_exits_2(tmp_path, monkeypatch, capsys):
    inventory = json.loads((REPO_ROOT / "config" / "dev-environment.json").read_text(encoding="utf-8"))
    inventory["s3Buckets"][0]["name"] = "Not_A_Bucket"
    del inventory["dynamodbTables"][0]["KeySchema"]
    bad = tmp_path / "inventory.json"
    bad.write_text(json.dumps(inventory), encoding="utf-8")
    monkeypatch.chdir(_config_copy(tmp_path, inventoryFile=str(bad)))
    assert main(["--out", str(tmp_path / "plan.json")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "dynamodbTables[0]" in err


def test_a_layer_planned_without_its_upstream_says_which_layers_to_add(tmp_path, capsys):
    assert main(["--layer", "compute", "--out", str(tmp_path / "plan.json")]) == 2
    err = capsys.readouterr().err
    assert "the compute layer reads the outputs of foundation, data" in err
    assert "PLAN_ARGS='--layer foundation --layer data --layer compute'" in err
    assert "make up-" not in err and "Traceback" not in err


def test_integral_numbers_print_as_integers(plans):
    printed = summarise(plans["compute"])
    assert "memorySize=512" in printed and "memorySize=512.0" not in printed
    functions = [r for r in plans["compute"].resources if r["type"] == "aws:lambda/function:Function"]
    assert all(isinstance(f["inputs"]["memorySize"], int) for f in functions)
