"""Suite-wide fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from payments_compute.packaging import BUILD_DIR_VARIABLE


@pytest.fixture(autouse=True, scope="session")
def build_outside_the_repository(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every compute program run bundles and zips into a temporary folder, never the repository's build/.

    One folder for the session, so each distinct handler source is bundled once.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(BUILD_DIR_VARIABLE, str(tmp_path_factory.mktemp("build")))
        yield
