"""Compile, during `make setup`, the Python that the tests, the plan and moto_server import.

uv installs packages without bytecode, and `.pycache/` (see the Makefile) starts empty on a
fresh clone. The first `make test` then compiled about 2,400 modules while it ran: both pytest
workers and the Node suite's moto_server compiled the same modules at the same time, which cost
about 11 CPU-s. Compiling every installed file instead would take minutes: pulumi_aws alone is
270 MB of source, and the programs use a dozen of its 250 subpackages.

So setup imports what is used, in two processes side by side while the Node runtime downloads:
- pytest collects the suite, which imports every test module and all that they import;
- a second process imports the pulumi_aws subpackages that the stacks use; for each service
  that our code creates clients for, moto's backend and server side and botocore's model; and
  compiles the few packages that only a served request loads;
- meanwhile this process compiles the repository's own modules.

The subpackages and services are read from the repository's own sources, so a new one is picked
up without editing this file. If a module is missed, it is compiled when first imported, as
before; `make measure` counts those. Warming never fails setup: a module that does not import
here fails where it is used.
"""

from __future__ import annotations

import compileall
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from payments_tools.cli import exit_with
from shared.settings import PRODUCTION_REGION, find_repo_root

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


RUNTIME_PACKAGES = ("moto.core", "moto.moto_api", "flask", "cryptography.hazmat.backends.openssl", "cryptography.hazmat.bindings.openssl")
"""Packages whose modules load only once a request is served (moto_server's health check, IAM's
access control, Flask's debug helpers, the OpenSSL backend of moto's KMS and ACM): compiled whole.
Found by listing what the first `make test` of a fresh clone still compiled."""


def import_script(subpackages: list[str], services: list[str]) -> str:
    """Python that imports and compiles what running code loads: each subpackage, each service's moto backend and server, a boto3 client.

    Importing a backend loads only its models: its URL map and responses load when the first
    request reaches it, through moto_server or the in-process stubber alike, and more of its
    package when an operation needs it. So the server's app for the service is built, and the
    service's whole moto package compiled (compileall skips what the imports already compiled).
    Making a client parses botocore's model of the service into `.pycache/botocore-models`
    (shared.aws), as every test process would on its first call. Whatever fails is skipped.
    """
    return textwrap.dedent(
        f"""
        import compileall, contextlib, importlib, os
        import moto.server
        from moto.backends import get_backend
        from moto.moto_server.werkzeug_app import create_backend_app
        from shared import aws

        def compile_package(name):
            with contextlib.suppress(Exception):
                compileall.compile_dir(os.path.dirname(importlib.import_module(name).__file__), quiet=2)

        for name in {subpackages!r}:
            with contextlib.suppress(Exception):
                # pulumi_aws loads a subpackage lazily, on the first attribute asked of it.
                getattr(importlib.import_module("pulumi_aws." + name), "_utilities")
        session = aws.process_session(region_name={PRODUCTION_REGION!r})
        for service in {services!r}:
            with contextlib.suppress(Exception):
                backends = get_backend(service)
                create_backend_app(service)
                compile_package(backends.backend.__module__.rpartition(".")[0])
            with contextlib.suppress(Exception):
                session.client(service)
        for name in {RUNTIME_PACKAGES!r}:
            compile_package(name)
        """
    )


def commands(root: Path = REPO_ROOT, python: str = sys.executable) -> list[list[str]]:
    """The two warming processes: pytest's collection, and the imports that only running code makes."""
    return [
        [python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        [python, "-c", import_script(used_aws_subpackages(root), used_services(root))],
    ]


def compile_sources(root: Path = REPO_ROOT) -> None:
    """Compile every module of the repository's own packages: the stacks' `__main__.py` imports some that no test imports.

    compileall writes where an import would (`sys.pycache_prefix`) and skips what is up to date.
    """
    for folder in SOURCES:
        compileall.compile_dir(root / folder, quiet=2)


def main(argv: list[str] | None = None) -> int:
    """Run both warming processes side by side, and compile our own sources meanwhile; report a failure but never fail setup over it."""
    del argv
    running = [subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for cmd in commands()]
    compile_sources()
    for proc in running:
        _, err = proc.communicate()
        if proc.returncode != 0:
            last = err.strip().splitlines()[-1:] or ["no message"]
            print(f"setup: warming the bytecode cache stopped early ({last[0]}); modules compile when first imported", file=sys.stderr)
    return 0


if __name__ == "__main__":
    exit_with(main())
