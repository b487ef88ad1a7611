"""Code signing: only packages signed by our AWS Signer profile can be deployed to the functions.

A signing profile (platform AWSLambda-SHA384-ECDSA) signs each uploaded package with a
signing job that reads the exact object version from the versioned artifacts bucket and
writes the signed zip under `signed/<sha256>/`. A code-signing config trusting only that
profile, with `untrusted_artifact_on_deployment = Enforce`, is attached to every function,
and every function deploys the signed object.

Signing depends only on the uploaded object (`FunctionArtifacts.uploads`), never on how the
zip was built: a job's logical name is the package's content hash, so an unchanged package
is never re-signed, and a changed one is signed once, as a new job, before any function
moves to it.

Signer reads and writes S3 with the caller's identity (the deployer: s3:GetObjectVersion on
the source, s3:PutObject on the destination); both objects are SSE-KMS with the data key, used
through S3, which the data key policy already allows for principals of this account. Lambda
validates the signature on CreateFunction/UpdateFunctionCode itself; no role here needs more.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.errors import ConfigError
from shared.naming import resource_name

SIGNING_PLATFORM = "AWSLambda-SHA384-ECDSA"
"""The only Signer platform for Lambda code."""
SIGNING_PROFILE = ("payments-lambda", "signing")
"""(resource, type) of the profile: `payments_lambda_signing_production_<suffix>`."""
PROFILE_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_]{2,64}$")
"""Signer's ProfileName: `^[a-zA-Z0-9_]{2,}`, length 2-64 (Signer API reference, StartSigningJob / PutSigningProfile)."""
SIGNED_PREFIX = "signed"
"""Key prefix of the signed packages in the artifacts bucket."""
SIGNATURE_VALIDITY_MONTHS = 135
"""Signer's default and maximum signature validity; an expired signature blocks updates, not running code."""
ENFORCE = "Enforce"
"""Lambda refuses a deployment whose code is unsigned or signed by another profile (the default, Warn, only logs)."""


def signing_profile_name(suffix: str) -> str:
    """The profile's name: the naming rule with underscores, since Signer allows only letters, digits and `_`."""
    try:
        name = resource_name(*SIGNING_PROFILE, suffix).replace("-", "_")
    except ValueError as exc:
        raise ConfigError("environmentSuffix", str(exc)) from exc
    if not PROFILE_NAME_PATTERN.fullmatch(name):
        raise ConfigError("environmentSuffix", f"signing profile name {name!r} must be 2-64 letters, digits or underscores")
    return name


def signed_prefix(sha256: str) -> str:
    """Where the signed copy of a package goes: one folder per package hash, so signed keys stay content-addressed."""
    return f"{SIGNED_PREFIX}/{sha256}/"


@dataclass(frozen=True)
class CodeSigningArgs:
    """Inputs of the code-signing component."""

    profile_name: str
    """Physical signing profile name (see `signing_profile_name`)."""
    objects: Mapping[str, aws.s3.BucketObjectv2]
    """The uploaded package per content hash (`FunctionArtifacts.uploads`)."""


class CodeSigning(pulumi.ComponentResource):
    """A signing profile, one signing job per distinct package, and the enforcing code-signing config."""

    config_arn: pulumi.Output[str]
    """The code-signing config every function attaches."""
    signed: dict[str, aws.signer.SigningJob]
    """The signing job per package hash; its `signed_objects` is what a function deploys."""

    def __init__(self, name: str, args: CodeSigningArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("payments:compute:CodeSigning", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.profile = aws.signer.SigningProfile(
            f"{name}-profile",
            name=args.profile_name,
            platform_id=SIGNING_PLATFORM,
            signature_validity_period=aws.signer.SigningProfileSignatureValidityPeriodArgs(type="MONTHS", value=SIGNATURE_VALIDITY_MONTHS),
            opts=child,
        )
        self.signed = {
            sha256: aws.signer.SigningJob(
                f"signature-{sha256[:16]}",
                profile_name=self.profile.name,
                source=aws.signer.SigningJobSourceArgs(
                    s3=aws.signer.SigningJobSourceS3Args(bucket=obj.bucket, key=obj.key, version=obj.version_id)
                ),
                destination=aws.signer.SigningJobDestinationArgs(
                    s3=aws.signer.SigningJobDestinationS3Args(bucket=obj.bucket, prefix=signed_prefix(sha256))
                ),
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[obj])),
            )
            for sha256, obj in sorted(args.objects.items())
        }
        self.config = aws.lambda_.CodeSigningConfig(
            f"{name}-config",
            description="Only packages signed by the payments signing profile may be deployed",
            allowed_publishers=aws.lambda_.CodeSigningConfigAllowedPublishersArgs(signing_profile_version_arns=[self.profile.version_arn]),
            policies=aws.lambda_.CodeSigningConfigPoliciesArgs(untrusted_artifact_on_deployment=ENFORCE),
            opts=child,
        )
        self.config_arn = self.config.arn
        self.register_outputs({"configArn": self.config_arn, "profileVersionArn": self.profile.version_arn})


def signed_object(signed_objects: Sequence[aws.signer.outputs.SigningJobSignedObject] | None) -> tuple[str, str]:
    """(bucket, key) of the signed package a finished signing job wrote; a job that wrote none is an error."""
    s3 = signed_objects[0].s3s if signed_objects else None
    if not s3 or not s3[0].bucket or not s3[0].key:
        raise RuntimeError("the signing job reported no signed object; see `aws signer describe-signing-job` for its status reason")
    return s3[0].bucket, s3[0].key


def signed_location(job: aws.signer.SigningJob) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
    """(bucket, key) of the signed package a signing job wrote, as Outputs."""
    location = job.signed_objects.apply(signed_object)
    return location.apply(lambda v: v[0]), location.apply(lambda v: v[1])
