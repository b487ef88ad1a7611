"""Reproducible deployment packages: the same source folder always gives the same zip bytes.

What is zipped is the esbuild bundle of the source (`handlers/build.mjs`): one self-contained ES
module per handler with the AWS SDK clients it uses, so the function runs the SDK the tests ran,
not whichever one the Lambda runtime ships. The bundle is built when the compute program runs
(`make plan`, preview, up), which therefore needs Node.js and the root package.json's
`dependencies` installed (`npm ci`); it is cached under `<build dir>/bundles/<digest of its
inputs>`, so an unchanged source is bundled once.

A zip records each entry's timestamp, permissions and order, so a naive archive of an
unchanged folder differs after a `git clone`, a `touch` or a copy to another machine. Every
such difference would give the package a new hash, a new S3 key and a needless function
update. Here entries are sorted, timestamps fixed to 1980-01-01 (the earliest a zip can
hold), modes fixed to 0644 and compression fixed, so the package hash depends on file
paths and contents alone. Pure functions (no Pulumi), tested on their own.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shared.build import write_atomically
from shared.errors import ConfigError

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
"""The earliest timestamp a zip entry can hold; fixed so the clock never reaches the bytes."""
FILE_MODE = 0o644
"""Every entry's permissions: readable by the Lambda runtime user, never executable or writable by others."""
COMPRESSION_LEVEL = 9
"""Fixed deflate level; a different level gives different bytes for the same source."""
ARTIFACT_PREFIX = "functions"
"""S3 key prefix of every deployment package in the artifacts bucket."""

EXCLUDED_DIRS = frozenset({"node_modules", "test", "tests"})
"""Folders never shipped: the runtime provides the AWS SDK, and tests do not run in Lambda."""
EXCLUDED_FILES = frozenset({"package-lock.json"})
"""Files that only matter to a developer's machine."""
EXCLUDED_SUFFIXES = (".md",)
"""Documentation is not code."""
BUNDLER = Path(__file__).resolve().parents[1] / "handlers" / "build.mjs"
"""The esbuild script (pinned esbuild from the root package.json) that bundles a handler folder."""


@dataclass(frozen=True)
class Artifact:
    """One built deployment package, identified by its content."""

    source: Path
    """The source folder the package was bundled from."""
    bundle: Path
    """The bundle that was zipped: one self-contained `<handler>.mjs` per top-level module of `source`."""
    path: Path
    """Where the zip was written (`<build dir>/<sha256>.zip`), the file Pulumi uploads."""
    sha256: str
    """Hex SHA-256 of the zip bytes: the package's identity."""
    size: int
    """Size of the zip in bytes."""

    @property
    def key(self) -> str:
        """The content-addressed S3 key: a new key exactly when the bytes change."""
        return artifact_key(self.sha256)

    @property
    def source_code_hash(self) -> str:
        """Base64 SHA-256 of the zip, the form Lambda reports as CodeSha256."""
        return base64.b64encode(bytes.fromhex(self.sha256)).decode("ascii")


def is_excluded(relative: Path) -> bool:
    """Whether a path inside a code folder stays out of the package (dotfiles, tests, node_modules, docs, lock files)."""
    *folders, name = relative.parts
    if any(part.startswith(".") for part in relative.parts):
        return True
    if any(folder in EXCLUDED_DIRS for folder in folders):
        return True
    return name in EXCLUDED_FILES or name.lower().endswith(EXCLUDED_SUFFIXES)


def source_files(root: Path) -> list[Path]:
    """The files of `root` that go into its package, relative to `root`, sorted by their zip entry name.

    Sorting by the POSIX path string (not by walk order, which depends on the file system)
    is what makes the entry order identical everywhere.
    """
    if not root.is_dir():
        raise ConfigError("CodePath", f"{root} is not a folder")
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        # Prune excluded folders so a large node_modules is never even walked.
        dirs[:] = [d for d in dirs if not is_excluded((here / d).relative_to(root) / "_")]
        for name in files:
            path = here / name
            relative = path.relative_to(root)
            if not is_excluded(relative) and stat.S_ISREG(path.stat().st_mode):
                found.append(relative)
    return sorted(found, key=lambda p: p.as_posix())


def build_zip(root: Path) -> bytes:
    """Zip the package files of `root` reproducibly: same paths and contents, same bytes."""
    files = source_files(root)
    if not files:
        raise ConfigError("CodePath", f"{root} holds no files to package (after excluding tests, docs, dotfiles and node_modules)")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for relative in files:
            info = zipfile.ZipInfo(relative.as_posix(), date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the mode bits mean the same on every build machine
            info.external_attr = (stat.S_IFREG | FILE_MODE) << 16
            archive.writestr(info, (root / relative).read_bytes(), compresslevel=COMPRESSION_LEVEL)
    return buffer.getvalue()


def node_target(runtime: str) -> str:
    """esbuild's target for a Lambda runtime: `nodejs24.x` -> `node24`, so the bundle uses what that Node.js has."""
    match = re.fullmatch(r"nodejs(\d+)\.x", runtime)
    if not match:
        raise ConfigError("compute.runtime", f"{runtime!r} is not a Node.js runtime (nodejs<major>.x)")
    return f"node{match.group(1)}"


def bundle_digest(source: Path, target: str) -> str:
    """SHA-256 of everything the bundle depends on: the source files, the bundler, the lock file, the target.

    The lock file pins esbuild and the SDK versions; any change to any input gives a new digest,
    hence a fresh bundle, while an unchanged input reuses the cached one.
    """
    digest = hashlib.sha256(f"target={target}\n".encode())
    lock = BUNDLER.parents[3] / "package-lock.json"
    for label, path in [("bundler", BUNDLER), ("lock", lock)]:
        digest.update(f"{label}\n".encode() + (path.read_bytes() if path.is_file() else b"") + b"\n")
    for relative in source_files(source):
        digest.update(f"file {relative.as_posix()}\n".encode() + (source / relative).read_bytes() + b"\n")
    return digest.hexdigest()


def bundle_handlers(source: Path, out: Path, target: str) -> Path:
    """Run the esbuild script over `source` into `out`; a missing Node.js or build failure names the fix."""
    node = shutil.which("node")
    if node is None:
        raise ConfigError("CodePath", "Node.js is needed to bundle the handlers (esbuild): install it and run `npm ci`")
    result = subprocess.run(
        [node, str(BUNDLER), "--source", str(source), "--out", str(out), "--target", target],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ConfigError("CodePath", f"bundling {source} failed (run `npm ci` if esbuild is missing):\n{result.stderr.strip()}")
    return out


def artifact_key(sha256: str) -> str:
    """`functions/<sha256>.zip`: functions whose code folders zip to the same bytes share one object."""
    return f"{ARTIFACT_PREFIX}/{sha256}.zip"


def cached_bundle(source: Path, build_dir: Path, target: str) -> Path:
    """The esbuild bundle of `source` for `target`, built once per input digest into `<build_dir>/bundles/`.

    The one place a bundle is made: the deployment package zips it and `make local-api` runs it,
    so what runs locally is byte for byte what is deployed.
    """
    bundle = build_dir / "bundles" / bundle_digest(source, target)
    if not bundle.is_dir():
        with _building(bundle):
            if not bundle.is_dir():  # another process may have built it while this one waited
                _bundle_atomically(source, bundle, target)
    return bundle


@contextlib.contextmanager
def _building(bundle: Path) -> Iterator[None]:
    """Hold `<bundle>.lock` while building `bundle`, so that processes needing the same bundle build it once.

    A bundle costs esbuild about a CPU-second. Processes that start together (the test suite's two
    workers, or previews of several stacks run side by side) used to build the same one at the same
    time, and all but the first rename threw theirs away. Now the others wait, then find it built.
    The lock is on a file of its own (an advisory `flock`, released when its holder ends, even by
    a crash), left beside the bundle it guards.
    """
    bundle.parent.mkdir(parents=True, exist_ok=True)
    with open(bundle.with_name(f"{bundle.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def build_artifact(source: Path, build_dir: Path, target: str) -> Artifact:
    """Bundle `source` for `target` (cached), zip the bundle to `<build_dir>/<sha256>.zip` (cached too)."""
    bundle = cached_bundle(source, build_dir, target)
    contents = zip_inputs_digest(bundle)
    cached = _cached_zip(bundle, contents, build_dir)
    if cached is not None:
        path, data, digest = cached
        return Artifact(source=source, bundle=bundle, path=path, sha256=digest, size=len(data))
    data = build_zip(bundle)
    digest = hashlib.sha256(data).hexdigest()
    build_dir.mkdir(parents=True, exist_ok=True)
    path = build_dir / f"{digest}.zip"
    if not path.is_file() or path.read_bytes() != data:
        write_atomically(path, data)
    write_atomically(_zip_record(bundle), json.dumps({"contents": contents, "zip": digest}).encode())
    return Artifact(source=source, bundle=bundle, path=path, sha256=digest, size=len(data))


def _bundle_atomically(source: Path, bundle: Path, target: str) -> None:
    """Bundle into a private folder, then rename it to `bundle`: the cache never holds half a bundle.

    The cache trusts any folder named by the digest, so a build killed half-way must not leave
    one behind; a concurrent build that got there first wins and ours is dropped.
    """
    partial = bundle.with_name(f"{bundle.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        bundle_handlers(source, partial, target)
        try:
            partial.rename(bundle)
        except OSError:
            if not bundle.is_dir():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def zip_inputs_digest(root: Path) -> str:
    """SHA-256 of everything `build_zip(root)` depends on: each packaged file's path and bytes, the deflate level and zlib.

    Zipping at level 9 costs more than reading and hashing the same bytes; this digest says
    when an earlier zip of the same inputs can be reused instead.
    """
    digest = hashlib.sha256(f"deflate={COMPRESSION_LEVEL} zlib={zlib.ZLIB_RUNTIME_VERSION}\n".encode())
    for relative in source_files(root):
        data = (root / relative).read_bytes()
        digest.update(f"file {relative.as_posix()} {len(data)}\n".encode() + data + b"\n")
    return digest.hexdigest()


def _zip_record(bundle: Path) -> Path:
    """Where the zip built from `bundle` is recorded: beside the bundle, `<digest>.zip.json`."""
    return bundle.with_name(f"{bundle.name}.zip.json")


def _cached_zip(bundle: Path, contents: str, build_dir: Path) -> tuple[Path, bytes, str] | None:
    """The zip recorded for `bundle` as (path, bytes, SHA-256), when the bundle still holds what was zipped and the zip
    still has its hash; else None. The hash is returned so that it is computed once."""
    try:
        record = json.loads(_zip_record(bundle).read_text(encoding="utf-8"))
        if record["contents"] != contents:
            return None
        path = build_dir / f"{record['zip']}.zip"
        data = path.read_bytes()
    except (OSError, ValueError, KeyError, TypeError):
        return None
    digest = hashlib.sha256(data).hexdigest()
    return (path, data, digest) if digest == record["zip"] else None
