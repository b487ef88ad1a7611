"""Every log group this project creates is encrypted and expires."""

from payments_tools.mocks import PlanMocks
from payments_tools.plan import run_program

PROGRAM = """
import pulumi
from shared.logs import encrypted_log_group
encrypted_log_group("g", name="/aws/lambda/x-production-eu1", kms_key_arn="arn:aws:kms:eu-west-1:111122223333:key/k",
                    retention_days=30, opts=pulumi.ResourceOptions())
"""


def test_log_group_is_encrypted_with_the_given_key_and_kept_for_the_retention(tmp_path):
    main = tmp_path / "__main__.py"
    main.write_text(PROGRAM)
    mocks = PlanMocks()
    run_program(main, project="payments-compute", mocks=mocks, config={})
    [group] = mocks.resources
    assert group["type"] == "aws:cloudwatch/logGroup:LogGroup"
    assert group["inputs"]["name"] == "/aws/lambda/x-production-eu1"
    assert group["inputs"]["kmsKeyId"] == "arn:aws:kms:eu-west-1:111122223333:key/k"
    assert group["inputs"]["retentionInDays"] == 30
