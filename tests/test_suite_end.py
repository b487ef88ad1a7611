"""How each test process ends (tests/conftest.py): quickly, and still reporting what leaked."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}  # nothing compiled into the repository

INNER_CONFTEST = """
import atexit, gc, importlib.util, sys
spec = importlib.util.spec_from_file_location("suite_conftest", {conftest!r})
suite = sys.modules["suite_conftest"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(suite)
pytest_unconfigure = suite.pytest_unconfigure  # the hook under test, nothing else of the suite's
atexit.register(lambda: print(f"frozen at exit: {{gc.get_freeze_count()}}"))
"""

LEAKING_TEST = """
import gc

class Leak:
    def __del__(self):
        raise RuntimeError("finalised by the last collection")

def test_leaves_a_cycle_for_the_last_collection():
    gc.disable()  # so that only pytest's end-of-session collection can find it
    leak = Leak()
    leak.itself = leak
"""


def test_the_heap_is_frozen_only_after_pytests_last_collection_has_reported_a_leak(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(INNER_CONFTEST.format(conftest=str(REPO / "tests" / "conftest.py")))
    (tmp_path / "test_leak.py").write_text(LEAKING_TEST)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "test_leak.py"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False, timeout=60, env=ENV)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "PytestUnraisableExceptionWarning" in output and "finalised by the last collection" in output, output
    frozen = [int(line.rsplit(":", 1)[1]) for line in output.splitlines() if line.startswith("frozen at exit:")]
    assert frozen and frozen[0] > 0, output  # the hook ran, after the collection that found the leak
