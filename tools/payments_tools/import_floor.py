"""The plan's import floor: the cost of importing exactly the modules `make plan` imports, nothing more.

`make bench` compares the plan's wall time with this floor in the same run, so the ratio says how
much the plan spends on its own work (seeding the emulated dev account, running five programs)
beyond loading its code. Two modes, each a fresh process:

- `record OUT MODULES`: run the plan (writing OUT) and write the sorted names of every module it
  imported to MODULES;
- `MODULES`: import those modules, in that order, and nothing else.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys
from pathlib import Path

from payments_tools.cli import exit_with


def record(plan_out: Path, modules_file: Path) -> int:
    """Run the plan in this process, then list what it imported."""
    from payments_tools import plan

    with contextlib.redirect_stdout(io.StringIO()):
        code = plan.main(["--out", str(plan_out)])
    if code != 0:
        return code
    names = sorted(name for name in sys.modules if not name.startswith("__"))
    modules_file.write_text(json.dumps(names), encoding="utf-8")
    return code


def import_all(modules_file: Path) -> int:
    """Import every recorded module; one that cannot be imported alone is skipped (its parent loads it)."""
    for name in json.loads(modules_file.read_text(encoding="utf-8")):
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 3 and args[0] == "record":
        return record(Path(args[1]), Path(args[2]))
    if len(args) == 1:
        return import_all(Path(args[0]))
    print("usage: python -m payments_tools.import_floor record PLAN_OUT MODULES | MODULES", file=sys.stderr)
    return 2


if __name__ == "__main__":
    exit_with(main())
