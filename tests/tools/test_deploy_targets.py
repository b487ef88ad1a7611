"""The Makefile's deploy targets, run for real against a fake `pulumi` that records its arguments.

What is proven: no production change without a confirmation (a terminal or YES=1), the policy
arguments on every preview/up, no stack created by accident, stacks created once by
init-stacks, and the CLI/secrets check before any install.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from payments_tools.harness import REPO_ROOT

MAKEFILE = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
FAKE_PULUMI = """#!/bin/sh
echo "$(basename "$PWD") $*" >> "$PULUMI_LOG"
if [ "$1 $2" = "stack select" ]; then exit "${FAKE_SELECT_RC:-0}"; fi
"""


@pytest.fixture
def pulumi(tmp_path: Path) -> Path:
    """A fake pulumi first on PATH; returns the log of its invocations ("<folder> <args>")."""
    (tmp_path / "bin").mkdir()
    script = tmp_path / "bin" / "pulumi"
    script.write_text(FAKE_PULUMI)
    script.chmod(0o755)
    return tmp_path / "pulumi.log"


def make(target: str, log: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"YES", "PULUMI_SECRETS_PROVIDER", "MAKEFLAGS"}}
    environment |= {"PATH": f"{log.parent / 'bin'}:{os.environ['PATH']}", "PULUMI_LOG": str(log), **env}
    return subprocess.run(
        ["make", "-C", str(REPO_ROOT), "--no-print-directory", target, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )


def calls(log: Path) -> list[str]:
    """What pulumi was asked to do, leaving out the (read-only) existence checks."""
    lines = log.read_text().splitlines() if log.exists() else []
    return [line for line in lines if not (" stack select " in line and line.endswith(" --non-interactive"))]


def test_up_without_a_terminal_is_refused_and_pulumi_never_runs(pulumi: Path) -> None:
    result = make("pulumi-up-data", pulumi)
    assert result.returncode != 0
    assert "refusing to up payments-data/prod without a terminal" in result.stderr and "YES=1" in result.stderr
    assert calls(pulumi) == []


def test_up_with_yes_runs_pulumi_up_with_the_policy_args_and_yes(pulumi: Path) -> None:
    result = make("pulumi-up-data", pulumi, "PULUMI_POLICY_ARGS=--policy-pack /policy", YES="1")
    assert result.returncode == 0, result.stderr
    assert calls(pulumi) == ["data up --stack prod --policy-pack /policy --yes"]


def test_destroy_is_refused_without_a_terminal_and_runs_with_yes(pulumi: Path) -> None:
    assert make("pulumi-destroy-edge", pulumi).returncode != 0
    assert calls(pulumi) == []
    assert make("pulumi-destroy-edge", pulumi, YES="1").returncode == 0
    assert calls(pulumi) == ["edge destroy --stack prod --yes"]


def test_a_stack_that_does_not_exist_is_never_created_by_up_or_destroy(pulumi: Path) -> None:
    for target in ("pulumi-up-data", "pulumi-destroy-data"):
        result = make(target, pulumi, "STACK=prdo", YES="1", FAKE_SELECT_RC="1")
        assert result.returncode != 0
        assert "stacks/data: no stack 'prdo'; create the stacks once with make init-stacks" in result.stdout
    assert calls(pulumi) == []  # the only pulumi calls were the failed, non-interactive `stack select`
    assert pulumi.read_text().splitlines() == ["data stack select prdo --non-interactive"] * 2


def test_init_stacks_creates_only_missing_stacks_with_the_secrets_provider(pulumi: Path) -> None:
    provider = "awskms://alias/pulumi-secrets?region=eu-west-1"
    result = make("init-stacks", pulumi, FAKE_SELECT_RC="1", PULUMI_SECRETS_PROVIDER=provider)
    assert result.returncode == 0, result.stderr
    inits = [c for c in calls(pulumi) if " stack init " in c]
    layers = ("foundation", "data", "compute", "edge", "observability")
    assert inits == [f"{layer} stack init prod --secrets-provider {provider}" for layer in layers]


def test_init_stacks_leaves_existing_stacks_and_uses_the_passphrase_without_a_provider(pulumi: Path) -> None:
    assert make("init-stacks", pulumi, PULUMI_CONFIG_PASSPHRASE="x").returncode == 0
    assert not [c for c in calls(pulumi) if " stack init " in c]
    pulumi.unlink()
    assert make("init-stacks", pulumi, FAKE_SELECT_RC="1", PULUMI_CONFIG_PASSPHRASE="x").returncode == 0
    assert "data stack init prod" in calls(pulumi)


def test_check_cli_fails_fast_without_the_cli_or_a_secrets_provider(pulumi: Path, tmp_path: Path) -> None:
    no_cli = make("check-cli", pulumi, PATH="/usr/bin:/bin", PULUMI_CONFIG_PASSPHRASE="x")
    assert no_cli.returncode != 0 and "the Pulumi CLI is required" in no_cli.stdout
    no_secrets = make("check-cli", pulumi)
    if "PULUMI_CONFIG_PASSPHRASE" not in os.environ and "PULUMI_CONFIG_PASSPHRASE_FILE" not in os.environ:
        assert no_secrets.returncode != 0 and "PULUMI_SECRETS_PROVIDER" in no_secrets.stdout
    assert make("check-cli", pulumi, PULUMI_SECRETS_PROVIDER="awskms://alias/x").returncode == 0


def test_deploy_all_checks_the_cli_before_installing_then_preflights_then_ups_in_order(pulumi: Path) -> None:
    lines = make("deploy-all", pulumi, "-n").stdout.splitlines()

    def first(pattern: str) -> int:
        return next(i for i, line in enumerate(lines) if re.search(pattern, line))

    assert first(r"command -v pulumi") < first(r"pip install|npm ci") < first(r"payments_tools\.preflight") < first(r"pulumi up")
    assert first(r"npm ci --omit=dev") >= 0 and not any("requirements-dev" in line for line in lines)
    ups = [re.search(r"cd stacks/(\w+) && pulumi up", line) for line in lines]
    assert [m.group(1) for m in ups if m] == ["foundation", "data", "compute", "edge", "observability"]


def test_every_preview_and_up_carries_the_policy_args_and_nothing_creates_a_stack_or_skips_the_question() -> None:
    recipes = [line for line in MAKEFILE.splitlines() if line.startswith("\t")]
    pulumi_changes = [line for line in recipes if re.search(r"pulumi (up|preview)\b", line)]
    # pulumi-up-<layer>, preview-<layer>, and bootstrap-access (whose `pulumi up` asks on the terminal itself)
    assert len(pulumi_changes) == 3
    assert all("$(PULUMI_POLICY_ARGS)" in line for line in pulumi_changes)
    assert not [line for line in recipes if "--create" in line or "--yes" in line]
    assert "PULUMI_POLICY_ARGS ?=" in MAKEFILE
