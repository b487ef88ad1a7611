"""Compile, during `make setup`, the Python that the tests, the plan and moto_server import.

uv installs packages without bytecode, and `.pycache/` (see the Makefile) starts empty on a
fresh clone. The first `make test` then compiled about 2,400 modules while it ran: both pytest
workers and the Node suite's moto_server compiled the same modules at the same time, which cost
about 11 CPU-s. Compiling every installed file instead would take minutes: pulumi_aws alone is
270 MB of source, and the programs use a dozen of its 250 subpackages.

So setup imports what is used, in two processes side by side while the Node runtime downloads:
- pytest collects the suite, which imports every test module and all that they import;
- a second process imports the pulumi_aws subpackages that the stacks use, and moto's server
  and the backends of the services that our code creates clients for.

Both lists are read from the repository's own sources, so a new subpackage or service is
picked up without editing this file. If one is missed, it is compiled when first imported, as
before. Warming never fails setup: a module that does not import here fails where it is used.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from payments_tools.cli import exit_with
from shared.settings import find_repo_root

REPO_ROOT = find_repo_root(Path(__file__).parent)
SOURCES = ("stacks", "shared", "tools", "policy", "bootstrap")

_AWS_SUBPACKAGE = re.compile(r"(?<![\w.])aws\.([a-z][a-z0-9_]*)\.[A-Za-z_]")
_CLIENT = re.compile(r"\bclients?\(\s*[\"']([a-z][a-z0-9-]*)[\"']")


def _source_text(root: Path) -> str:
    """Every Python source of the repository's own packages (not the tests, not the virtualenv)."""
    return "\n".join(path.read_text(encoding="utf-8") for folder in SOURCES for path in sorted((root / folder).rglob("*.py")))


def used_aws_subpackages(root: Path = REPO_ROOT) -> list[str]:
    """The pulumi_aws subpackages that the code names, such as `aws.s3.Bucket` → `s3`."""
    return sorted(set(_AWS_SUBPACKAGE.findall(_source_text(root))))


def used_services(root: Path = REPO_ROOT) -> list[str]:
    """The AWS services that the code creates boto3 clients for, such as `session.client("s3")` → `s3`."""
    return sorted(set(_CLIENT.findall(_source_text(root))))


def import_script(subpackages: list[str], services: list[str]) -> str:
    """Python that imports each subpackage and moto backend, skipping any that does not import."""
    return textwrap.dedent(
        f"""
        import contextlib, importlib
        import moto.server
        from moto.backends import get_backend
        for name in {subpackages!r}:
            with contextlib.suppress(Exception):
                # pulumi_aws loads a subpackage lazily, on the first attribute asked of it.
                getattr(importlib.import_module("pulumi_aws." + name), "_utilities")
        for service in {services!r}:
            with contextlib.suppress(Exception):
                get_backend(service)
        """
    )


def commands(root: Path = REPO_ROOT, python: str = sys.executable) -> list[list[str]]:
    """The two warming processes: pytest's collection, and the imports that only running code makes."""
    return [
        [python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        [python, "-c", import_script(used_aws_subpackages(root), used_services(root))],
    ]


def main(argv: list[str] | None = None) -> int:
    """Run both warming processes side by side; report a failure but never fail setup over it."""
    del argv
    running = [subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for cmd in commands()]
    for proc in running:
        _, err = proc.communicate()
        if proc.returncode != 0:
            last = err.strip().splitlines()[-1:] or ["no message"]
            print(f"setup: warming the bytecode cache stopped early ({last[0]}); modules compile when first imported", file=sys.stderr)
    return 0


if __name__ == "__main__":
    exit_with(main())
