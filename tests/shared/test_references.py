"""Stack references: derived names, overridable, and a missing output names the layer to deploy first."""

from types import MappingProxyType

import pulumi
import pytest

from payments_tools.mocks import PlanMocks
from payments_tools.plan import run_program
from shared.errors import ConfigError
from shared.references import require_entry, require_value, stack_reference_name
from shared.settings import StackReferenceSettings


def test_name_is_derived_from_the_running_organization_and_stack():
    assert stack_reference_name("data", StackReferenceSettings(), organization="acme", stack="prod") == "acme/payments-data/prod"


def test_organization_and_stack_are_overridable():
    refs = StackReferenceSettings(organization="platform", stacks=MappingProxyType({"foundation": "prod-shared"}))
    assert stack_reference_name("foundation", refs, organization="acme", stack="prod") == "platform/payments-foundation/prod-shared"
    assert stack_reference_name("data", refs, organization="acme", stack="prod") == "platform/payments-data/prod"


def test_unknown_layer_is_refused():
    with pytest.raises(ConfigError, match="unknown layer 'network'"):
        stack_reference_name("network", StackReferenceSettings(), organization="o", stack="s")


def test_missing_output_names_the_layer_to_deploy_first():
    with pytest.raises(
        ConfigError, match=r"o/payments-data/prod:tableArns: upstream output missing; deploy the data layer first \(make up-data\)"
    ):
        require_value(None, "tableArns", layer="data", stack_name="o/payments-data/prod")
    assert require_value({"a": "b"}, "tableArns", layer="data", stack_name="x") == {"a": "b"}


PROGRAM = """
import pulumi
from shared.references import Upstream
from shared.settings import StackReferenceSettings
ref = Upstream("foundation", StackReferenceSettings())
pulumi.export("key", ref.require("dataKeyArn"))
"""


def _run(tmp_path, outputs):
    main = tmp_path / "__main__.py"
    main.write_text(PROGRAM)
    mocks = PlanMocks(stack_outputs={"organization/payments-foundation/prod": outputs})
    return run_program(main, project="payments-data", mocks=mocks, config={})


def test_upstream_output_is_read_under_the_mock_runtime(tmp_path):
    assert _run(tmp_path, {"dataKeyArn": "arn:aws:kms:eu-west-1:111122223333:key/k"}) == {"key": "arn:aws:kms:eu-west-1:111122223333:key/k"}


def test_upstream_output_missing_fails_the_program_loudly(tmp_path):
    with pytest.raises(ConfigError, match="deploy the foundation layer first"):
        _run(tmp_path, {"somethingElse": 1})


def test_an_entry_of_an_upstream_map_is_read_by_dev_name():
    names = {"payments-a-dev": "payments-a-production-eu1"}
    assert require_entry(names, "payments-a-dev", layer="data", key="tableNames") == "payments-a-production-eu1"


def test_an_entry_the_upstream_layer_did_not_export_names_the_layer_and_resource():
    with pytest.raises(ConfigError) as err:
        require_entry({"payments-a-dev": "x"}, "payments-b-dev", layer="data", key="tableNames")
    assert err.value.paths == ["data:tableNames[payments-b-dev]"]
    assert "redeploy the data layer (make up-data)" in str(err.value)


@pytest.mark.parametrize("bad", [["payments-a-dev"], "payments-a-dev", None])
def test_an_upstream_map_of_the_wrong_shape_is_refused(bad):
    with pytest.raises(ConfigError, match=r"compute:functionNames: must be a mapping keyed by dev resource name"):
        require_entry(bad, "payments-a-dev", layer="compute", key="functionNames")


SECRECY_PROGRAM = """
import pulumi
from shared.references import Upstream
from shared.settings import StackReferenceSettings
ref = Upstream("foundation", StackReferenceSettings())
for key in ("dataKeyArn", "signingSecret"):
    value = ref.require(key)
    pulumi.export(key, value)
    pulumi.export(key + "IsSecret", value.is_secret())
"""


class SecretUpstreamMocks(PlanMocks):
    """A foundation stack exporting one secret output (`signingSecret`) beside a plain one."""

    def new_resource(self, args):
        if args.typ == "pulumi:pulumi:StackReference":
            outputs = {"dataKeyArn": "arn:aws:kms:eu-west-1:111122223333:key/k", "signingSecret": pulumi.Output.secret("s3cr3t")}
            return args.name, {"name": args.name, "outputs": outputs, "secretOutputNames": ["signingSecret"]}
        return super().new_resource(args)


def test_reading_one_key_is_not_made_secret_by_another_secret_upstream_output(tmp_path):
    main = tmp_path / "__main__.py"
    main.write_text(SECRECY_PROGRAM)
    outputs = run_program(main, project="payments-data", mocks=SecretUpstreamMocks(), config={})
    assert outputs["dataKeyArn"] == "arn:aws:kms:eu-west-1:111122223333:key/k"
    assert outputs["dataKeyArnIsSecret"] is False
    assert outputs["signingSecret"] == "s3cr3t"
    assert outputs["signingSecretIsSecret"] is True
