"""The safety catch of every command that changes production (`make up-*`, `deploy-all`, `destroy-*`).

Prints the extra Pulumi flags the command may run with, or refuses (exit 1):
- `YES=1` (what CI sets): `--yes`, nobody is asked;
- on a terminal, `up`: no flag, so `pulumi up` shows its preview and asks before changing anything;
- on a terminal, `destroy`: the stack's full name must be typed first, then `pulumi destroy`
  shows what it would delete and asks again;
- anything else (no terminal, no YES=1): refused, because nobody could confirm.

Prompts go to stderr: the Makefile reads the flags from stdout (`flags=$(... confirm ...)`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Literal

from payments_tools.cli import exit_with
from shared.settings import LAYERS, project_name

Action = Literal["up", "destroy"]


class Refused(Exception):
    """The command must not run; the message says why and how to proceed."""


def decide(action: Action, target: str, *, yes: bool, interactive: bool, ask: Callable[[str], str]) -> list[str]:
    """The Pulumi flags `action` on `target` (`payments-data/prod`) may run with; raises Refused otherwise."""
    if yes:
        return ["--yes"]
    if not interactive:
        raise Refused(
            f"refusing to {action} {target} without a terminal to confirm on; run it from a terminal, "
            "or set YES=1 (what CI sets) to proceed without asking"
        )
    if action == "destroy":
        answer = ask(f"This deletes every resource of {target}. Type {target} to continue: ").strip()
        if answer != target:
            raise Refused(f"typed {answer!r}, not {target!r}: nothing was destroyed")
    return []


def _ask_on_stderr(prompt: str) -> str:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    return sys.stdin.readline()


def main(argv: list[str] | None = None, *, ask: Callable[[str], str] = _ask_on_stderr) -> int:
    parser = argparse.ArgumentParser(description="Confirm a production-changing Pulumi command; print its extra flags.")
    parser.add_argument("action", choices=["up", "destroy"])
    parser.add_argument("--layer", required=True, choices=LAYERS)
    parser.add_argument("--stack", required=True)
    args = parser.parse_args(argv)
    target = f"{project_name(args.layer)}/{args.stack}"
    try:
        flags = decide(args.action, target, yes=os.environ.get("YES") == "1", interactive=sys.stdin.isatty(), ask=ask)
    except Refused as exc:
        print(f"{args.action}: {exc}", file=sys.stderr)
        return 1
    print(" ".join(flags))
    return 0


if __name__ == "__main__":
    exit_with(main())
