"""Compute layer: the payment handlers packaged to S3 and deployed as hardened Lambda functions."""

from functools import partial
from pathlib import Path

import pulumi

from payments_compute.artifacts import FunctionArtifacts, FunctionArtifactsArgs
from payments_compute.function import PaymentFunction, PaymentFunctionArgs
from payments_compute.packaging import node_target
from payments_compute.rules import function_environment, function_specs, resource_name_map
from payments_compute.signing import CodeSigning, CodeSigningArgs, signing_profile_name
from shared.build import artifacts_dir
from shared.layer import start_layer
from shared.naming import logical_name
from shared.outputs import Compute, Data, Foundation

ctx = start_layer(Compute.LAYER, Path(__file__).parent)
settings, inventory = ctx.settings, ctx.inventory
foundation, data = ctx.upstream(Foundation.LAYER), ctx.upstream(Data.LAYER)
opts = pulumi.ResourceOptions(provider=ctx.provider)

specs = function_specs(inventory, settings)
data_key_arn, logs_key_arn = foundation.require(Foundation.DATA_KEY_ARN), foundation.require(Foundation.LOGS_KEY_ARN)
artifacts = FunctionArtifacts(
    "functions",
    FunctionArtifactsArgs(
        code_paths={spec.dev_name: spec.code_path for spec in specs},
        bucket=data.require(Data.ARTIFACTS_BUCKET_NAME),
        kms_key_arn=data_key_arn,
        build_dir=artifacts_dir(settings.repo_root),
        node_target=node_target(settings.compute.runtime),
    ),
    opts,
)
signing = CodeSigning(
    "code-signing",
    CodeSigningArgs(
        profile_name=signing_profile_name(settings.environment_suffix),
        objects=artifacts.uploads,
    ),
    opts,
)
names = pulumi.Output.all(data.require(Data.TABLE_NAMES), data.require(Data.BUCKET_NAMES)).apply(
    lambda maps: resource_name_map(inventory, maps[0], maps[1], settings.environment_suffix)
)
functions = {
    spec.dev_name: PaymentFunction(
        logical_name(spec.name),
        PaymentFunctionArgs(
            spec=spec,
            role_arn=foundation.require_entry(Foundation.FUNCTION_ROLE_ARNS, spec.dev_name),
            environment=pulumi.Output.all(names, data_key_arn).apply(
                partial(function_environment, spec, settings.compute.environment, inventory.account_id)
            ),
            data_key_arn=data_key_arn,
            logs_key_arn=logs_key_arn,
            log_retention_days=settings.log_retention_days,
            signing_job=signing.signed[artifacts.artifacts[spec.dev_name].sha256],
            code_signing_config_arn=signing.config_arn,
        ),
        opts,
    )
    for spec in specs
}

pulumi.export(Compute.FUNCTION_NAMES, {dev: f.function_name for dev, f in functions.items()})
pulumi.export(Compute.FUNCTION_ARNS, {dev: f.arn for dev, f in functions.items()})
pulumi.export(Compute.FUNCTION_INVOKE_ARNS, {dev: f.invoke_arn for dev, f in functions.items()})
pulumi.export(Compute.LOG_GROUP_ARNS, {dev: f.log_group_arn for dev, f in functions.items()})
pulumi.export(Compute.ARTIFACT_KEYS, artifacts.keys)
