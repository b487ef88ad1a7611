"""Packaging policies: the same source always gives the same bytes, and only code is shipped."""

from __future__ import annotations

import base64
import concurrent.futures
import fcntl
import hashlib
import io
import os
import re
import shutil
import stat
import threading
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from payments_compute import packaging
from payments_compute.packaging import (
    ZIP_EPOCH,
    artifact_key,
    build_artifact,
    build_zip,
    bundle_digest,
    cached_bundle,
    is_excluded,
    node_target,
    source_files,
)
from shared.build import artifacts_dir, build_dir
from shared.errors import ConfigError


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A handler folder with everything a real one accumulates next to its code."""
    root = tmp_path / "src"
    files = {
        "index.mjs": "export const handler = async () => ({ statusCode: 200 });\n",
        "lib/log.mjs": "export const log = (m) => console.log(JSON.stringify(m));\n",
        "lib/z-last.mjs": "export const z = 1;\n",
        "lib/a-first.mjs": "export const a = 1;\n",
        "package.json": '{"type": "module"}\n',
        "package-lock.json": "{}\n",
        "README.md": "# docs\n",
        "lib/NOTES.MD": "notes\n",
        ".env": "SECRET=1\n",
        ".cache/x.mjs": "cached\n",
        "node_modules/aws-sdk/index.js": "module.exports = {};\n",
        "lib/node_modules/x/index.js": "nested\n",
        "test/index.test.mjs": "test\n",
        "tests/other.test.mjs": "test\n",
    }
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return root


def test_only_code_is_packaged_in_sorted_order(source: Path) -> None:
    names = [p.as_posix() for p in source_files(source)]
    assert names == ["index.mjs", "lib/a-first.mjs", "lib/log.mjs", "lib/z-last.mjs", "package.json"]


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        ("node_modules/x.js", True),
        ("a/tests/x.mjs", True),
        ("test/x.mjs", True),
        (".gitignore", True),
        ("lib/.hidden/x.mjs", True),
        ("CHANGELOG.md", True),
        ("package-lock.json", True),
        ("testing.mjs", False),
        ("lib/tests.mjs", False),
        ("lib/markdown.mjs", False),
        ("package.json", False),
    ],
)
def test_exclusion_rules(path: str, excluded: bool) -> None:
    assert is_excluded(Path(path)) is excluded


def test_entries_have_fixed_timestamp_mode_and_compression(source: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(build_zip(source))) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == sorted(i.filename for i in infos)
        for info in infos:
            assert info.date_time == ZIP_EPOCH
            assert stat.S_IMODE(info.external_attr >> 16) == 0o644
            assert stat.S_ISREG(info.external_attr >> 16)
            assert info.compress_type == zipfile.ZIP_DEFLATED
        assert archive.read("index.mjs") == (source / "index.mjs").read_bytes()


def test_building_twice_gives_identical_bytes(source: Path) -> None:
    assert build_zip(source) == build_zip(source)


def test_touching_files_and_changing_modes_does_not_change_the_package(source: Path) -> None:
    before = sha(build_zip(source))
    for path in source.rglob("*"):
        if path.is_file():
            os.utime(path, (1_900_000_000, 1_900_000_000))
            path.chmod(0o755)
    assert sha(build_zip(source)) == before


def test_a_copy_elsewhere_gives_the_same_package(source: Path, tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / "deeper" / "copy"
    shutil.copytree(source, copy)  # new inodes, new timestamps, new creation order
    assert sha(build_zip(copy)) == sha(build_zip(source))


def test_excluded_files_do_not_affect_the_package(source: Path) -> None:
    before = sha(build_zip(source))
    (source / "node_modules" / "aws-sdk" / "index.js").write_text("changed\n")
    (source / "README.md").write_text("changed\n")
    (source / "tests" / "new.test.mjs").write_text("new\n")
    assert sha(build_zip(source)) == before


def test_changing_one_byte_changes_the_hash(source: Path) -> None:
    before = sha(build_zip(source))
    path = source / "lib" / "log.mjs"
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))
    assert sha(build_zip(source)) != before


def test_renaming_a_file_changes_the_hash(source: Path) -> None:
    before = sha(build_zip(source))
    (source / "lib" / "z-last.mjs").rename(source / "lib" / "y-last.mjs")
    assert sha(build_zip(source)) != before


REPO = Path(__file__).resolve().parents[2]
HANDLERS = REPO / "stacks" / "compute" / "handlers" / "payments"
HANDLER_NAMES = ["authorizer.mjs", "generate-receipt.mjs", "get-payment.mjs", "process-payment.mjs", "refund-payment.mjs"]


def test_artifact_is_written_content_addressed(source: Path, tmp_path: Path) -> None:
    build_dir = tmp_path / "build" / "artifacts"
    artifact = build_artifact(source, build_dir, "node24")
    data = artifact.path.read_bytes()
    assert artifact.path == build_dir / f"{sha(data)}.zip"
    assert artifact.sha256 == sha(data)
    assert artifact.size == len(data)
    assert artifact.key == f"functions/{artifact.sha256}.zip" == artifact_key(artifact.sha256)
    assert base64.b64decode(artifact.source_code_hash) == hashlib.sha256(data).digest()
    again = build_artifact(source, build_dir, "node24")
    assert again == artifact
    assert sorted(p.name for p in build_dir.iterdir()) == [artifact.path.name, "bundles"]
    assert artifact.bundle == build_dir / "bundles" / bundle_digest(source, "node24")


OPTIONAL_REQUIRES = {"@aws-sdk/signature-v4-crt", "@aws-sdk/signature-v4a"}
"""Looked up by the SDK only for SigV4a signing (multi-region access points), never by these handlers."""


def shared_artifact() -> packaging.Artifact:
    """The real handlers' nodejs24.x package in the suite's build folder: built once, then reused by the layer tests too."""
    return build_artifact(HANDLERS, artifacts_dir(REPO), "node24")


def test_the_package_is_the_bundle_one_self_contained_module_per_handler() -> None:
    artifact = shared_artifact()
    with zipfile.ZipFile(artifact.path) as archive:
        assert archive.namelist() == HANDLER_NAMES  # no lib/, no node_modules: everything is inside each file
        for name in HANDLER_NAMES:
            code = archive.read(name).decode()
            imported = set(re.findall(r"""(?:\bfrom\s*|\brequire\()["']([^"']+)["']""", code))
            outside = {m for m in imported if not m.startswith("node:")} - OPTIONAL_REQUIRES
            assert outside == set(), f"{name} still imports {outside} at run time"
            assert "XRaySDKInstrumentation" in code, f"{name}: SDK clients not instrumented for X-Ray"
            assert str(REPO) not in code and str(build_dir(REPO)) not in code  # no machine path in the deployed bytes


def test_bundling_twice_from_different_places_gives_the_same_bytes(tmp_path: Path) -> None:
    # The repository's own handlers (built into the suite's build folder) against a copy elsewhere,
    # with other timestamps, bundled from scratch into another build folder.
    second = tmp_path / "elsewhere" / "clone-b" / "payments"
    shutil.copytree(HANDLERS, second)
    for path in second.rglob("*"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
    a = shared_artifact()
    b = build_artifact(second, tmp_path / "build-b", "node24")
    assert a.bundle != b.bundle.parent  # two independent bundles, not one cached
    assert a.path.read_bytes() == b.path.read_bytes()
    assert a.key == b.key


def test_the_bundle_follows_the_runtime_and_the_code(source: Path, tmp_path: Path) -> None:
    assert node_target("nodejs24.x") == "node24"
    assert node_target("nodejs22.x") == "node22"
    with pytest.raises(ConfigError, match=r"compute.runtime: 'python3.12' is not a Node.js runtime"):
        node_target("python3.12")
    assert bundle_digest(source, "node24") != bundle_digest(source, "node22")
    before = bundle_digest(source, "node24")
    (source / "index.mjs").write_text("export const handler = async () => ({ statusCode: 201 });\n")
    assert bundle_digest(source, "node24") != before


def test_a_source_that_does_not_bundle_is_refused_with_the_reason(source: Path, tmp_path: Path) -> None:
    (source / "index.mjs").write_text("import { nothing } from './lib/missing.mjs';\nexport const handler = nothing;\n")
    with pytest.raises(ConfigError, match=r"CodePath: bundling .* failed[\s\S]*missing\.mjs"):
        build_artifact(source, tmp_path / "artifacts", "node24")


def test_without_nodejs_the_build_says_what_to_install(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packaging.shutil, "which", lambda _name: None)
    with pytest.raises(ConfigError, match=r"Node.js is needed to bundle the handlers"):
        build_artifact(source, tmp_path / "artifacts", "node24")


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    (root / "node_modules").mkdir(parents=True)
    (root / "README.md").write_text("only docs\n")
    with pytest.raises(ConfigError, match=r"CodePath: .*empty holds no files to package"):
        build_zip(root)


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a folder"):
        build_zip(tmp_path / "missing")


@pytest.fixture
def copying_bundler(monkeypatch: pytest.MonkeyPatch) -> None:
    """esbuild replaced by a plain copy of the handler files: for the tests of the zip cache, which
    need a bundle folder but not a real bundle, and would otherwise spend most of their time in esbuild."""

    def copy(src: Path, out: Path, target: str) -> Path:
        out.mkdir(parents=True)
        for relative in source_files(src):
            (out / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / relative, out / relative)
        return out

    monkeypatch.setattr(packaging, "bundle_handlers", copy)


def _count_zips(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record every folder `build_artifact` zips from scratch (the work the zip cache saves)."""
    zipped: list[Path] = []
    real = packaging.build_zip

    def counting(root: Path) -> bytes:
        zipped.append(root)
        return real(root)

    monkeypatch.setattr(packaging, "build_zip", counting)
    return zipped


def test_an_unchanged_bundle_reuses_its_zip_instead_of_compressing_again(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copying_bundler: None
) -> None:
    build_dir = tmp_path / "artifacts"
    first = build_artifact(source, build_dir, "node24")
    zipped = _count_zips(monkeypatch)
    assert build_artifact(source, build_dir, "node24") == first
    assert zipped == []
    assert first.path.read_bytes() == build_zip(first.bundle)  # what is reused is what a fresh zip would give


def test_a_changed_bundle_is_zipped_again(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copying_bundler: None) -> None:
    build_dir = tmp_path / "artifacts"
    first = build_artifact(source, build_dir, "node24")
    (first.bundle / "index.mjs").write_text("export const handler = 2;\n")  # edited behind the bundle cache's back
    zipped = _count_zips(monkeypatch)
    again = build_artifact(source, build_dir, "node24")
    assert zipped == [first.bundle]
    assert again.sha256 != first.sha256
    assert again.path.read_bytes() == build_zip(first.bundle)


@pytest.mark.parametrize("damage", ["zip deleted", "zip altered", "record unreadable", "record of another zip"])
def test_a_missing_or_damaged_cached_zip_is_rebuilt(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str, copying_bundler: None
) -> None:
    build_dir = tmp_path / "artifacts"
    first = build_artifact(source, build_dir, "node24")
    record = first.bundle.with_name(f"{first.bundle.name}.zip.json")
    assert record.is_file()
    if damage == "zip deleted":
        first.path.unlink()
    elif damage == "zip altered":
        first.path.write_bytes(first.path.read_bytes() + b"x")
    elif damage == "record unreadable":
        record.write_text("{not json")
    else:
        record.write_text(record.read_text().replace(first.sha256, "0" * 64))
    zipped = _count_zips(monkeypatch)
    again = build_artifact(source, build_dir, "node24")
    assert zipped == [first.bundle]
    assert again == first
    assert sha(first.path.read_bytes()) == first.sha256


def test_the_zip_cache_key_covers_paths_contents_and_the_deflate_settings(source: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = packaging.zip_inputs_digest(source)
    assert packaging.zip_inputs_digest(source) == before
    (source / "README.md").write_text("changed docs are not packaged\n")
    assert packaging.zip_inputs_digest(source) == before
    (source / "lib" / "a-first.mjs").rename(source / "lib" / "a-renamed.mjs")
    renamed = packaging.zip_inputs_digest(source)
    assert renamed != before
    monkeypatch.setattr(packaging, "COMPRESSION_LEVEL", 6)
    assert packaging.zip_inputs_digest(source) != renamed


def test_a_bundle_build_that_dies_half_way_leaves_nothing_the_cache_would_trust(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_dir = tmp_path / "artifacts"
    real = packaging.bundle_handlers

    def dies_half_way(src: Path, out: Path, target: str) -> Path:
        out.mkdir(parents=True)
        (out / "index.mjs").write_text("export const half =")
        raise KeyboardInterrupt

    monkeypatch.setattr(packaging, "bundle_handlers", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        build_artifact(source, build_dir, "node24")
    lock = f"{bundle_digest(source, 'node24')}.lock"
    assert [p.name for p in (build_dir / "bundles").iterdir()] == [lock]  # the build's lock, released; never taken for a bundle
    monkeypatch.setattr(packaging, "bundle_handlers", real)
    artifact = build_artifact(source, build_dir, "node24")
    assert "export const half =" not in (artifact.bundle / "index.mjs").read_text()
    assert sorted(p.name for p in (build_dir / "bundles").iterdir()) == [artifact.bundle.name, lock, f"{artifact.bundle.name}.zip.json"]


def test_processes_that_need_the_same_bundle_at_once_build_it_once(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_dir = tmp_path / "artifacts"
    building, second_waits, release = threading.Event(), threading.Event(), threading.Event()
    builds: list[Path] = []

    def slow_copy(src: Path, out: Path, target: str) -> Path:
        builds.append(out)
        building.set()
        assert release.wait(10)
        out.mkdir(parents=True)
        shutil.copyfile(src / "index.mjs", out / "index.mjs")
        return out

    real_flock = fcntl.flock

    def flock(file: Any, operation: int) -> None:
        if building.is_set():  # the second call, about to wait for the first one's lock
            second_waits.set()
        real_flock(file, operation)

    monkeypatch.setattr(packaging, "bundle_handlers", slow_copy)
    monkeypatch.setattr(packaging, "fcntl", SimpleNamespace(flock=flock, LOCK_EX=fcntl.LOCK_EX))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # each call opens the lock file itself, as another process would
        first = pool.submit(cached_bundle, source, build_dir, "node24")
        assert building.wait(10)
        second = pool.submit(cached_bundle, source, build_dir, "node24")
        assert second_waits.wait(10)
        release.set()
        assert first.result(10) == second.result(10) == build_dir / "bundles" / bundle_digest(source, "node24")
    assert len(builds) == 1
