"""Suite-wide: nothing the programs under test generate lands in the repository."""

import pytest

from shared.build import BUILD_DIR_VARIABLE


@pytest.fixture(autouse=True, scope="session")
def _build_dir_outside_the_repository(tmp_path_factory):
    """Deployment packages and other generated files go to a temporary folder, not `build/`."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(BUILD_DIR_VARIABLE, str(tmp_path_factory.mktemp("build")))
        yield
