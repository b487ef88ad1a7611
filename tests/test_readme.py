"""The README's runbook only names commands that exist."""

from __future__ import annotations

import re
import subprocess

from payments_tools.harness import REPO_ROOT
from shared.settings import LAYERS

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def make_targets() -> set[str]:
    """Every target GNU make knows in the Makefile (pattern targets expanded), from its database."""
    database = subprocess.run(
        ["make", "-C", str(REPO_ROOT), "-pRrq", "-f", "Makefile", ":"], capture_output=True, text=True, check=False
    ).stdout
    return {m.group(1) for m in re.finditer(r"^([a-zA-Z0-9][a-zA-Z0-9_.<>-]*):(?!=)", database, re.MULTILINE)}


def readme_targets() -> set[str]:
    named = set(re.findall(r"`(?:YES=1 )?make ([a-z][a-z0-9<>-]*)", README))
    expanded = {t.replace("<layer>", layer) for t in named for layer in LAYERS}
    return expanded


def test_every_make_command_in_the_readme_exists() -> None:
    targets = make_targets()
    named = readme_targets()
    assert {"init-stacks", "preflight", "deploy-all", "report", "up-data", "destroy-edge", "setup-deploy"} <= named
    assert named - targets == set()


def test_every_documented_target_is_listed_by_make_help() -> None:
    listed = subprocess.run(["make", "-C", str(REPO_ROOT), "--no-print-directory", "help"], capture_output=True, text=True, check=True)
    names = {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}
    for target in readme_targets():
        generic = re.sub(rf"-({'|'.join(LAYERS)})$", "-<layer>", target)
        assert target in names or generic in names, target


def test_the_runbook_covers_set_up_preflight_deploy_verify_rollback_and_destroy() -> None:
    runbook = README[README.index("## Deploy for real") : README.index("## Make targets")]
    for heading in (
        "What the deploying machine needs",
        "First-time set-up",
        "Preflight",
        "Deploy",
        "Verify",
        "Roll back one layer",
        "After cutover",
        "Destroy",
    ):
        assert re.search(rf"^### \d\. {heading}", runbook, re.MULTILINE), heading
    assert "checkDevResources: false" in runbook and "PULUMI_SECRETS_PROVIDER" in runbook and "YES=1" in runbook
