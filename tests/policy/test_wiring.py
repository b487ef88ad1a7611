"""The pack is what real deploys run: the CLI finds it, every preview/up line passes it, and it imports offline."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from payments_tools.harness import REPO_ROOT


def test_the_pack_declares_a_python_runtime_in_the_repository_venv():
    spec = yaml.safe_load((REPO_ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert spec["runtime"]["name"] == "python"
    assert spec["runtime"]["options"]["virtualenv"] == "../.venv"
    assert (REPO_ROOT / "policy" / "__main__.py").is_file()


def test_every_pulumi_preview_and_up_in_the_makefile_passes_the_policy_pack():
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert re.search(r"^PULUMI_POLICY_ARGS \?= --policy-pack \$\(CURDIR\)/policy$", makefile, re.MULTILINE)
    commands = [line for line in makefile.splitlines() if re.search(r"pulumi (preview|up)\b", line)]
    assert commands, "the Makefile has deploy targets"
    assert all("$(PULUMI_POLICY_ARGS)" in line for line in commands), commands


def test_pulumi_policy_is_pinned_and_the_pack_imports_without_network():
    requirements = (REPO_ROOT / "requirements.txt").read_text()
    assert re.search(r"^pulumi-policy==\d+\.\d+\.\d+", requirements, re.MULTILINE)
    # A fresh interpreter: importing the pack module must not start the analyzer server or reach anything.
    done = subprocess.run(
        [sys.executable, "-c", "import payments_policy.pack as p; print(len(p.policies()))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 15
