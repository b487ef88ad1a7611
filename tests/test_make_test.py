"""`make test`: set-up checked once, then both suites side by side."""

from __future__ import annotations

import os
import subprocess

from payments_tools.harness import REPO_ROOT


def test_make_test_checks_the_set_up_once_not_again_in_each_suites_make() -> None:
    # A dry run: make prints each command instead of running it, and passes -n on to the two sub-makes.
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    dry = subprocess.run(
        ["make", "-C", str(REPO_ROOT), "-n", "--no-print-directory", "test"], capture_output=True, text=True, env=env, check=False
    )
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.count("payments_tools.node_runtime install") == 1
    assert "pytest -n" in dry.stdout and "--test --test-concurrency" in dry.stdout  # both suites still run
