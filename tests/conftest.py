"""Suite-wide fixtures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.build import BUILD_DIR_VARIABLE

SUITE_DATE = dt.date(2026, 11, 30)
"""The day every test judges Lambda runtimes at, so AWS's deprecation calendar never turns a passing suite red."""


@pytest.fixture(autouse=True, scope="session")
def pinned_runtime_date() -> Iterator[None]:
    """Settings validation reads the clock (shared.runtimes.current_date); tests see one fixed day instead.

    Session-scoped so module-scoped fixtures (the whole offline plan) see it too; a test that
    needs another day monkeypatches current_date itself.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("shared.runtimes.current_date", lambda: SUITE_DATE)
        yield


@pytest.fixture(autouse=True, scope="session")
def build_dir_outside_the_repository(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Deployment packages and other generated files go to a temporary folder, not `build/`."""
    folder = tmp_path_factory.mktemp("build")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(BUILD_DIR_VARIABLE, str(folder))
        yield folder
