"""Suite-wide fixtures."""

from __future__ import annotations

import copy
import datetime as dt
import fcntl
import gc
import os
import pickle
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from shared.build import BUILD_DIR_VARIABLE

if TYPE_CHECKING:
    from payments_tools.plan import LayerPlan

# Pulumi, botocore and moto are imported inside the fixtures that need them: pytest-xdist's
# controller process loads this file too, and runs no test.


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Once pytest's end-of-session collection has looked for leaked unraisable errors, freeze the heap.

    pytest collects twice at the end of each test process: when it unconfigures, then again in a
    clean-up step. The first pass finds the garbage and reports what leaked (CPython needs one pass;
    the second is there for PyPy). Walking the whole heap again found nothing and cost each xdist
    worker about 0.3 s at the end of the run; frozen, the second pass walks only what the clean-up
    itself allocates, so it still catches that. This hook runs after pytest's own (trylast);
    tests/test_suite_end.py shows a leak is still reported. The interpreter's own collection at
    exit then skips the frozen heap too (about 0.6 s per process), as the tools' do
    (payments_tools.cli.exit_with).
    """
    gc.freeze()


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
    """Deployment packages and other generated files go to a temporary folder, not `build/`.

    The xdist workers of one run share it: bundles and zips are content-addressed and written
    atomically (a finished one is renamed into place), so the second worker to need the
    handlers' bundle reuses the first one's instead of running esbuild again.
    """
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "build"
    folder.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(BUILD_DIR_VARIABLE, str(folder))
        yield folder


@pytest.fixture(autouse=True, scope="session")
def one_botocore_model_loader() -> Iterator[None]:
    """Every boto3 session in the test process reads service models through one shared loader.

    moto resets boto3's default session each time an emulated account starts, and each new
    session would parse the endpoint table and every service model it uses again (about a tenth
    of the suite's CPU time). The deploy code already shares one loader (`shared.aws`); this gives
    the tests' own `boto3.client(...)` calls the same. Models are read-only data, so nothing a
    test does can leak through them.
    """
    import botocore.session

    from shared import aws

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", lambda *_args, **_kwargs: aws.model_loader())
        yield


@dataclass
class ExamplePlan:
    """The offline plan of the shipped settings and inventory, and every registration the mock monitor saw."""

    plans: dict[str, LayerPlan]

    @property
    def registrations(self) -> list[dict[str, Any]]:
        """Every layer's registrations, in deploy order (URN, type, name, custom, provider, dependencies)."""
        return [r for plan in self.plans.values() for r in plan.registrations]


@pytest.fixture(scope="session")
def planned_example(tmp_path_factory: pytest.TempPathFactory) -> ExamplePlan:
    """All five layers planned once per test run, as `make plan` plans them (URN, type, custom, provider per registration).

    Planning takes about 1.5 s of CPU. The first xdist worker to need it plans it and keeps a
    pickled copy in the run's shared temporary folder; a worker that needs it meanwhile waits on
    the lock and reads that copy instead of planning again. Tests read deep copies (`example_plan`),
    so a copy serves as well as the original.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _plan_example()
    shared = tmp_path_factory.getbasetemp().parent
    kept = shared / "planned-example.pickle"
    with (shared / "planned-example.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if kept.is_file():
            plan: ExamplePlan = pickle.loads(kept.read_bytes())
            return plan
        plan = _plan_example()
        kept.write_bytes(pickle.dumps(plan))
        return plan


def _plan_example() -> ExamplePlan:
    from payments_tools.harness import REPO_ROOT
    from payments_tools.plan import emulated_dev_account, plan_layers

    with emulated_dev_account(REPO_ROOT):
        plans = plan_layers(REPO_ROOT)
    return ExamplePlan({p.layer: p for p in plans})


@pytest.fixture
def example_plan(planned_example: ExamplePlan) -> ExamplePlan:
    """The whole example plan, shared by the tests that read it: each test gets its own deep copy."""
    return copy.deepcopy(planned_example)
