"""Deployment packages in the artifacts bucket, one object per distinct zip."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from payments_compute.packaging import Artifact, build_artifact


@dataclass(frozen=True)
class FunctionArtifactsArgs:
    """What the artifact store needs."""

    code_paths: Mapping[str, Path]
    """Source folder per dev function name."""
    bucket: pulumi.Input[str]
    """The production artifacts bucket (data layer)."""
    kms_key_arn: pulumi.Input[str]
    """The data key; every package is stored SSE-KMS with it."""
    build_dir: Path
    """Where zips are written before upload (`build/artifacts` under the repository root)."""


class FunctionArtifacts(pulumi.ComponentResource):
    """Builds each code folder's zip once and uploads each distinct zip once.

    Keys are content-addressed (`functions/<sha256>.zip`), so functions sharing a code
    folder share one object, an unchanged folder never re-uploads, and a changed one gets
    a new key: the new object exists before any function points at it and the old one is
    deleted only after the functions have moved.
    """

    artifacts: dict[str, Artifact]
    """Built package per dev function name."""
    uploads: dict[str, aws.s3.BucketObjectv2]
    """The uploaded object per package SHA-256: what code signing signs, once per distinct package."""
    keys: pulumi.Output[dict[str, str]]
    """S3 key per dev function name."""

    def __init__(self, name: str, args: FunctionArtifactsArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("payments:compute:Artifacts", name, None, opts)
        by_folder = {path: build_artifact(path, args.build_dir) for path in sorted(set(args.code_paths.values()))}
        self.artifacts = {dev: by_folder[path] for dev, path in args.code_paths.items()}
        uploads: dict[str, aws.s3.BucketObjectv2] = {}
        for artifact in sorted(by_folder.values(), key=lambda a: a.sha256):
            if artifact.sha256 in uploads:
                continue
            uploads[artifact.sha256] = aws.s3.BucketObjectv2(
                f"artifact-{artifact.sha256[:16]}",
                bucket=args.bucket,
                key=artifact.key,
                source=pulumi.FileAsset(str(artifact.path)),
                content_type="application/zip",
                server_side_encryption="aws:kms",
                kms_key_id=args.kms_key_arn,
                # The object's ETag is not an MD5 under SSE-KMS; this hash is what tells Pulumi the content changed.
                source_hash=artifact.sha256,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.uploads = uploads
        self.keys = pulumi.Output.from_input({dev: artifact.key for dev, artifact in self.artifacts.items()})
        self.register_outputs({"keys": self.keys})
