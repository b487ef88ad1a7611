"""Every layer has an owning team, and the ownership file is one GitHub can read."""

from __future__ import annotations

import fnmatch
import re

import pytest

from payments_tools.harness import REPO_ROOT
from shared.settings import LAYERS

CODEOWNERS = REPO_ROOT / ".github" / "CODEOWNERS"
OWNER = re.compile(r"^@[A-Za-z0-9-]+/[A-Za-z0-9._-]+$|^@[A-Za-z0-9-]+$|^[^@\s]+@[^@\s]+$")


def rules() -> list[tuple[str, list[str]]]:
    parsed = []
    for line in CODEOWNERS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            pattern, *owners = line.split()
            parsed.append((pattern, owners))
    return parsed


def owners_of(path: str) -> list[str]:
    """GitHub's rule: the last matching pattern wins. Enough of gitignore syntax for this file's patterns."""
    found: list[str] = []
    for pattern, owners in rules():
        anchored = pattern.lstrip("/")
        if pattern == "*" or (anchored.endswith("/") and path.startswith(anchored)) or fnmatch.fnmatch(path, anchored):
            found = owners
    return found


def test_every_line_names_at_least_one_well_formed_owner() -> None:
    for pattern, owners in rules():
        assert owners, pattern
        assert all(OWNER.match(o) for o in owners), (pattern, owners)


def test_every_layer_directory_has_its_own_owner() -> None:
    layer_dirs = sorted(p.name for p in (REPO_ROOT / "stacks").iterdir() if p.is_dir() and (p / "Pulumi.yaml").is_file())
    assert layer_dirs == sorted(LAYERS)
    catch_all = owners_of("README.md")
    for layer in layer_dirs:
        owners = owners_of(f"stacks/{layer}/__main__.py")
        assert owners and owners != catch_all, f"stacks/{layer}/ has no owning team in .github/CODEOWNERS"


@pytest.mark.parametrize(
    "path", ["shared/naming.py", "config/production.yaml", ".github/workflows/deploy.yml", "bootstrap/ci-access/__main__.py"]
)
def test_shared_config_and_ci_access_are_owned(path: str) -> None:
    assert owners_of(path), path


def test_owners_of_follows_last_match_wins() -> None:
    assert owners_of("stacks/data/payments_data/tables.py") == ["@example-org/payments-data"]
    assert owners_of("README.md") == ["@example-org/platform-team"]
