"""Everything a deploy runs imports only what `make setup-deploy` installs.

`setup-deploy` syncs `.venv` to requirements.lock alone (no test tooling), so a module that a
layer, the policy pack or a deploy-time tool imports from the development lock would only
fail on the first real deploy. These tests follow the imports of every deploy entry point
through our own packages and check each third-party distribution against the runtime lock.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.settings import LAYERS

ROOT = Path(__file__).resolve().parents[1]

FIRST_PARTY: dict[str, Path] = {
    "shared": ROOT / "shared",
    "payments_tools": ROOT / "tools" / "payments_tools",
    "payments_policy": ROOT / "policy" / "payments_policy",
    "payments_ci_access": ROOT / "bootstrap" / "ci-access" / "payments_ci_access",
    **{f"payments_{layer}": ROOT / "stacks" / layer / f"payments_{layer}" for layer in LAYERS},
}

DEPLOY_ENTRY_POINTS: tuple[Path, ...] = (
    *(ROOT / "stacks" / layer / "__main__.py" for layer in LAYERS),
    ROOT / "policy" / "__main__.py",
    ROOT / "bootstrap" / "ci-access" / "__main__.py",
    # The tools the deploy targets run after `setup-deploy` (see the Makefile).
    *(ROOT / "tools" / "payments_tools" / f"{tool}.py" for tool in ("preflight", "confirm", "smoke", "merchants", "bootstrap")),
)


def _module_file(module: str) -> Path | None:
    top, _, rest = module.partition(".")
    base = FIRST_PARTY.get(top)
    if base is None:
        return None
    path = base.joinpath(*rest.split(".")) if rest else base
    if path.is_dir():
        return path / "__init__.py"
    return path.with_suffix(".py") if path.with_suffix(".py").is_file() else None


def _type_checking_only(tree: ast.AST) -> set[ast.AST]:
    """The nodes inside `if TYPE_CHECKING:` blocks: imported by type checkers only, never when a deploy runs."""
    skipped: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}:
            skipped.update(inner for statement in node.body for inner in ast.walk(statement))
    return skipped


def _imports(path: Path) -> Iterator[str]:
    """Every import a file runs, lazy ones inside functions included (a deploy may reach them)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def third_party_imports(entry_points: tuple[Path, ...]) -> dict[str, Path]:
    """Every third-party top-level module the entry points reach, with one file that imports it."""
    seen: set[Path] = set()
    found: dict[str, Path] = {}
    todo = list(entry_points)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for module in _imports(path):
            top = module.partition(".")[0]
            if top in FIRST_PARTY:
                if (target := _module_file(module)) is not None:
                    todo.append(target)
            elif top not in sys.stdlib_module_names and top != "__future__":
                found.setdefault(top, path)
    return found


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(lock: Path) -> set[str]:
    """The distribution names a uv/pip lock file pins, normalised as PyPI compares them."""
    names = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", lock.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {_normalise(name) for name in names}


def test_every_module_a_deploy_imports_is_in_the_runtime_lock() -> None:
    distributions = importlib.metadata.packages_distributions()
    runtime = locked(ROOT / "requirements.lock")
    missing = []
    for module, importer in sorted(third_party_imports(DEPLOY_ENTRY_POINTS).items()):
        dists = {_normalise(d) for d in distributions.get(module, [])}
        if not dists & runtime:
            missing.append(f"{module} (imported by {importer.relative_to(ROOT)}; distributions {sorted(dists) or 'unknown'})")
    assert not missing, "deploy-time imports missing from requirements.lock: " + "; ".join(missing)


def test_the_walk_follows_our_packages_and_sees_a_dev_only_package(tmp_path: Path) -> None:
    """The check can fail: a deploy file importing moto (development lock only) is reported."""
    entry = tmp_path / "entry.py"
    entry.write_text("import moto\nfrom shared.layer import start_layer\n", encoding="utf-8")
    reached = third_party_imports((entry,))
    assert "moto" in reached
    assert "pulumi_aws" in reached, "the walk must follow first-party imports into shared/"
    assert "moto" not in locked(ROOT / "requirements.lock")


@pytest.mark.parametrize("path", DEPLOY_ENTRY_POINTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_entry_point_exists(path: Path) -> None:
    assert path.is_file()


def test_an_import_only_type_checkers_run_is_not_a_deploy_import(tmp_path: Path) -> None:
    entry = tmp_path / "entry.py"
    entry.write_text(
        "from typing import TYPE_CHECKING\nimport typing\n"
        "if TYPE_CHECKING:\n    from mypy_boto3_s3 import S3Client\n"
        "if typing.TYPE_CHECKING:\n    import mypy_boto3_sts\n"
        "else:\n    import moto\n",
        encoding="utf-8",
    )
    reached = third_party_imports((entry,))
    assert "mypy_boto3_s3" not in reached and "mypy_boto3_sts" not in reached
    assert "moto" in reached, "the else branch runs at deploy time"
