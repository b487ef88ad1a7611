"""How the tools' processes start and end: the collector tuned on import, the heap frozen on exit."""

import subprocess
import sys

from payments_tools.harness import REPO_ROOT

PATHS = f"import sys; sys.path[:0] = [{str(REPO_ROOT / 'tools')!r}, {str(REPO_ROOT)!r}]\n"


def run(code: str) -> subprocess.CompletedProcess[str]:
    # -I ignores PYTHONPYCACHEPREFIX too, so -B: the tools' bytecode is not written beside their sources.
    return subprocess.run([sys.executable, "-I", "-B", "-c", PATHS + code], capture_output=True, text=True, check=False, timeout=60)


def test_importing_the_tools_collects_young_objects_less_often():
    done = run("import gc; before = gc.get_threshold(); import payments_tools; print(before, gc.get_threshold())")
    assert done.stdout.split(") (") == ["(700, 10, 10", "25000, 10, 10)\n"], done.stderr


def test_exit_with_keeps_the_status_runs_exit_handlers_and_freezes_the_heap_first():
    done = run(
        "import atexit, gc\n"
        "from payments_tools.cli import exit_with\n"
        "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0))\n"
        "exit_with(3)\n"
    )
    assert done.returncode == 3, done.stderr
    assert done.stdout == "frozen at exit: True\n"


STANDALONE = {"changed_layers.py"}
"""Run by the workflows as a plain script on the runner's python3, without this package installed."""


def test_every_tool_ends_through_exit_with_and_the_standalone_script_imports_nothing_of_ours():
    # make bench compares the plan with its import floor: both must end the same way.
    folder = REPO_ROOT / "tools" / "payments_tools"
    for path in sorted(folder.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if 'if __name__ == "__main__":' not in text:
            continue
        if path.name in STANDALONE:
            assert "payments_tools" not in text and "from shared" not in text, path.name
        else:
            assert text.rstrip().endswith('if __name__ == "__main__":\n    exit_with(main())'), path.name
