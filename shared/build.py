"""Where generated files go: `build/` under the repository, unless PAYMENTS_BUILD_DIR says otherwise.

The variable lets a caller send everything a program writes elsewhere; the test suite points it
at a temporary folder so that running the tests writes nothing into the repository. It is read
when a program asks, never at import.
"""

from __future__ import annotations

import os
import threading
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


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a partial file of this writer's own, then rename it: a reader never sees half a file.

    The partial is named by process and thread: the test suite's two workers, or previews of several
    stacks run side by side, write the same content-addressed zip at the same moment, and threads of
    one process can keep the same parsed model. With one shared partial name, a writer whose
    partial another had already renamed away failed (FileNotFoundError). Each rename now moves a
    complete file; the last one wins. The partial is removed if the write or the rename fails.
    """
    partial = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.partial")
    try:
        partial.write_bytes(data)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)  # only left when the write or the rename failed
