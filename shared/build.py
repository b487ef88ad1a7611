"""Where generated files go: `build/` under the repository, unless PAYMENTS_BUILD_DIR says otherwise.

The variable lets a caller send everything a program writes elsewhere; the test suite points it
at a temporary folder so that running the tests writes nothing into the repository. It is read
when a program asks, never at import.
"""

from __future__ import annotations

import os
from pathlib import Path

BUILD_DIR_VARIABLE = "PAYMENTS_BUILD_DIR"


def build_dir(repo_root: Path) -> Path:
    """The folder for generated files (deployment packages, plans, reports)."""
    override = os.environ.get(BUILD_DIR_VARIABLE)
    return Path(override) if override else repo_root / "build"


def artifacts_dir(repo_root: Path) -> Path:
    """The folder for deployment packages and the esbuild bundles they zip (`bundles/<digest>`).

    One folder for every reader of a bundle (the compute layer, `make bench`, `make local-api`), so
    the handlers are bundled once per change and what runs locally is the very bundle deployed.
    """
    return build_dir(repo_root) / "artifacts"
