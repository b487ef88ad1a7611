"""The handler tests' Node.js follows the configured Lambda runtime, and a mismatch is reported clearly."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from payments_tools import node_runtime
from payments_tools.harness import REPO_ROOT
from payments_tools.node_runtime import (
    NODE_BUILDS,
    check_version,
    configured_runtime,
    installed_version,
    node_binary,
    node_version_for,
    runtime_major,
)
from shared.errors import ConfigError


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository root with the example settings and the compute stack file."""
    (tmp_path / "config").mkdir()
    shutil.copy(REPO_ROOT / "config" / "production.yaml", tmp_path / "config" / "production.yaml")
    shutil.copy(REPO_ROOT / "config" / "dev-environment.json", tmp_path / "config" / "dev-environment.json")
    (tmp_path / "stacks" / "compute").mkdir(parents=True)
    (tmp_path / "stacks" / "compute" / "Pulumi.prod.yaml").write_text("config: {}\n")
    return tmp_path


def fake_node(path: Path, version: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho v{version}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_each_runtime_major_has_one_pinned_release() -> None:
    assert runtime_major("nodejs24.x") == 24
    assert node_version_for("nodejs24.x") == NODE_BUILDS[24]
    assert node_version_for("nodejs22.x").startswith("22.")
    for version in NODE_BUILDS.values():
        assert version.count(".") == 2 and all(part.isdigit() for part in version.split("."))  # exact, never a range


def test_a_runtime_without_a_pinned_release_names_what_can_be_tested() -> None:
    with pytest.raises(ConfigError, match=r"compute.runtime: no Node.js build is pinned for nodejs18.x; .*nodejs22.x, nodejs24.x"):
        node_version_for("nodejs18.x")
    with pytest.raises(ConfigError, match=r"'python3.12' is not a Node.js Lambda runtime"):
        runtime_major("python3.12")


def test_the_runtime_comes_from_the_settings_and_the_compute_stack_override(repo: Path) -> None:
    assert configured_runtime(REPO_ROOT) == "nodejs24.x"
    assert configured_runtime(repo) == "nodejs24.x"
    (repo / "stacks" / "compute" / "Pulumi.prod.yaml").write_text('config:\n  payments-compute:compute: \'{"runtime": "nodejs22.x"}\'\n')
    assert configured_runtime(repo) == "nodejs22.x"


def test_a_node_of_another_major_is_refused_with_both_versions_and_the_fix(tmp_path: Path) -> None:
    binary = fake_node(tmp_path / "node", "20.20.2")
    assert installed_version(binary) == "20.20.2"
    with pytest.raises(ConfigError) as error:
        check_version("nodejs24.x", installed_version(binary), binary)
    assert str(error.value) == (
        f"compute.runtime: nodejs24.x runs Node.js 24, but {binary} is Node.js 20.20.2; run `make setup` to install Node.js 24"
    )
    check_version("nodejs24.x", "24.0.1", binary)  # any release of the same major is the runtime's Node.js


def test_a_missing_node_says_to_run_setup(tmp_path: Path) -> None:
    assert installed_version(tmp_path / "absent") is None
    with pytest.raises(ConfigError, match=r"nodejs24.x needs Node.js 24, which is not installed at .*; run `make setup`"):
        check_version("nodejs24.x", None, tmp_path / "absent")


def test_the_path_command_reports_a_mismatch_and_exits_1(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    binary = fake_node(node_binary(repo, NODE_BUILDS[24]), "22.23.3")
    assert node_runtime.main(["path"]) == 1
    assert f"but {binary} is Node.js 22.23.3" in capsys.readouterr().err
    fake_node(binary, NODE_BUILDS[24])
    assert node_runtime.main(["path"]) == 0
    assert capsys.readouterr().out.strip() == str(binary)
    assert node_runtime.main(["major"]) == 0
    assert capsys.readouterr().out.strip() == "24"


def test_the_shell_command_gives_both_as_assignments_a_shell_can_evaluate(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    binary = fake_node(node_binary(repo, NODE_BUILDS[24]), NODE_BUILDS[24])
    assert node_runtime.main(["shell"]) == 0
    assignments = capsys.readouterr().out
    shell = subprocess.run(["sh", "-c", 'eval "$1" && echo "$NODE|$MAJOR"', "sh", assignments], capture_output=True, text=True, check=True)
    assert shell.stdout.strip() == f"{binary}|24"
    fake_node(binary, "22.23.3")
    assert node_runtime.main(["shell"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and f"but {binary} is Node.js 22.23.3" in captured.err


def test_install_uses_the_node_package_from_npm_only_when_needed(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def fake_npm(command: list[str], check: bool) -> None:
        calls.append(command)
        fake_node(node_binary(repo, NODE_BUILDS[24]), NODE_BUILDS[24])

    monkeypatch.setattr(node_runtime.subprocess, "run", _passthrough(fake_npm))
    assert node_runtime.install(repo, "nodejs24.x") == node_binary(repo, NODE_BUILDS[24])
    assert len(calls) == 1
    assert calls[0][:2] == ["npm", "install"] and calls[0][-1] == f"node@{NODE_BUILDS[24]}"
    assert calls[0][calls[0].index("--prefix") + 1] == str(repo / ".node" / NODE_BUILDS[24])
    node_runtime.install(repo, "nodejs24.x")
    assert len(calls) == 1  # already there: nothing downloaded


REAL_RUN = subprocess.run


def _passthrough(npm: Callable[..., None]) -> Callable[..., Any]:
    """subprocess.run that fakes `npm install` and runs everything else (the fake node's --version)."""

    def run(command: list[str], **kwargs: Any) -> Any:
        if command[0] == "npm":
            return npm(command, check=kwargs.get("check", False))
        return REAL_RUN(command, **kwargs)

    return run


FAKE_RUNTIME = """#!/bin/sh
echo "$1" >> "$FAKE_DIR/runtime.log"
case "$1" in
  shell) [ -n "$FAKE_FAIL" ] && { echo "error: Node.js mismatch" >&2; exit 1; }; echo "NODE=$FAKE_DIR/node MAJOR=$FAKE_MAJOR" ;;
esac
"""
FAKE_NODE = """#!/bin/sh
echo "$*" >> "$FAKE_DIR/node.log"
"""


def make_test_node(tmp_path: Path, **fake: str) -> subprocess.CompletedProcess[str]:
    """`make test-node` with the fake runtime lookup and node in `tmp_path` (FAKE_MAJOR, FAKE_FAIL from `fake`)."""
    for name, body in (("runtime", FAKE_RUNTIME), ("node", FAKE_NODE)):
        (tmp_path / name).write_text(body)
        (tmp_path / name).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "MAKEFLAGS"} | {"FAKE_DIR": str(tmp_path), **fake}
    return subprocess.run(
        ["make", "-C", str(REPO_ROOT), "--no-print-directory", "test-node", f"NODE_RUNTIME={tmp_path / 'runtime'}"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(("major", "shared"), [("24", True), ("22", False)])
def test_make_test_node_shares_one_moto_server_only_on_a_node_that_has_global_setup(tmp_path, major, shared):
    """Node.js 22 refuses --test-global-setup ("bad option"); on it each test file starts its own moto_server."""
    result = make_test_node(tmp_path, FAKE_MAJOR=major)
    assert result.returncode == 0, result.stderr
    [tests] = [line for line in (tmp_path / "node.log").read_text().splitlines() if line.startswith("--test ")]
    assert ("--test-global-setup=tests/compute/handlers/global-setup.mjs" in tests) is shared
    assert "tests/compute/handlers/payments.test.mjs" in tests
    # Past the set-up's install, one runtime lookup per recipe (bundling, then the tests), each giving the binary and the major.
    assert [call for call in (tmp_path / "runtime.log").read_text().split() if call != "install"] == ["shell", "shell"]
    [bundle] = [line for line in (tmp_path / "node.log").read_text().splitlines() if "build.mjs" in line]
    assert bundle.endswith(f"--target node{major}")


def test_make_test_node_stops_before_running_anything_when_the_runtime_lookup_fails(tmp_path):
    result = make_test_node(tmp_path, FAKE_MAJOR="24", FAKE_FAIL="1")
    assert result.returncode != 0
    assert "Node.js mismatch" in result.stderr
    assert not (tmp_path / "node.log").exists(), "node ran although the runtime lookup failed"
