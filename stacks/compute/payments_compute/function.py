"""One production Lambda function with the log group it writes to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from payments_compute.rules import FunctionSpec
from payments_compute.signing import signed_location
from shared.logs import encrypted_log_group


@dataclass(frozen=True)
class PaymentFunctionArgs:
    """Inputs of one production function."""

    spec: FunctionSpec
    """Name, runtime, memory, timeout, concurrency, log group: derived from the inventory and settings."""
    role_arn: pulumi.Input[str]
    """Execution role created for this function by the foundation layer."""
    environment: pulumi.Input[Mapping[str, str]]
    """Production environment variables (dev names already rewritten)."""
    data_key_arn: pulumi.Input[str]
    """CMK encrypting the environment variables at rest."""
    logs_key_arn: pulumi.Input[str]
    """CMK encrypting the log group."""
    log_retention_days: int
    """Days the log group keeps events."""
    signing_job: aws.signer.SigningJob
    """The job that signed the function's uploaded package; the function deploys the signed object it wrote."""
    code_signing_config_arn: pulumi.Input[str]
    """The enforcing code-signing config: Lambda refuses code not signed by our profile."""


class PaymentFunction(pulumi.ComponentResource):
    """A hardened production twin of a dev function.

    The log group is created first and passed to the function: if Lambda wrote its first
    log line before the group existed, it would create an unencrypted group with infinite
    retention and the later CreateLogGroup would fail.
    """

    def __init__(self, name: str, args: PaymentFunctionArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("payments:compute:Function", name, None, opts)
        spec = args.spec
        signed_bucket, signed_key = signed_location(args.signing_job)
        self.log_group = encrypted_log_group(
            f"{name}-logs",
            name=spec.log_group_name,
            kms_key_arn=args.logs_key_arn,
            retention_days=args.log_retention_days,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.function = aws.lambda_.Function(
            name,
            name=spec.name,
            role=args.role_arn,
            runtime=spec.runtime,
            handler=spec.handler,
            memory_size=spec.memory_size,
            timeout=spec.timeout,
            reserved_concurrent_executions=spec.reserved_concurrency,
            # The signed copy: its key changes exactly when the package (hence its signing job) changes,
            # so an unchanged package never updates the code. No source_code_hash: Lambda's CodeSha256
            # is the signed zip's, which differs from the unsigned one and would show a diff for ever.
            s3_bucket=signed_bucket,
            s3_key=signed_key,
            code_signing_config_arn=args.code_signing_config_arn,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=args.environment),
            kms_key_arn=args.data_key_arn,
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="Text", log_group=self.log_group.name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, args.signing_job]),
        )
        self.function_name = self.function.name
        self.arn = self.function.arn
        self.invoke_arn = self.function.invoke_arn
        self.log_group_arn = self.log_group.arn
        self.register_outputs(
            {"name": self.function_name, "arn": self.arn, "invokeArn": self.invoke_arn, "logGroupArn": self.log_group_arn}
        )
