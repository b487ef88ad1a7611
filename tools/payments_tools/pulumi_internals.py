"""Every use the offline plan makes of Pulumi's private runtime, in one place.

Pulumi's public mock API (`pulumi.runtime.set_mocks`) runs one program per process, as the CLI
does. The plan and the tests run many programs in one process, one after another, so between
programs they must reset what Pulumi keeps process-wide: the root stack resource, the RPC manager
and the set of tracked outputs. None of that is public API; a Pulumi upgrade may rename or
reshape it. `tests/tools/test_pulumi_internals.py` checks every name used here and fails with
`INTERNALS_CHANGED` when one moves, instead of letting the plan misbehave quietly.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.metadata
import inspect
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

import pulumi
import pulumi.runtime.resource
import pulumi.runtime.rpc
from pulumi.runtime import known_types
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import resource_pb2, source_pb2
from pulumi.runtime.settings import SETTINGS, set_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

INTERNALS_CHANGED = (
    "Pulumi {version} changed a private runtime API the offline plan relies on ({detail}); "
    "update tools/payments_tools/pulumi_internals.py for this Pulumi version or pin the previous one in requirements.txt"
)


def changed(detail: str) -> str:
    """The message for a private API that is no longer what this module expects."""
    return INTERNALS_CHANGED.format(version=importlib.metadata.version("pulumi"), detail=detail)


USED: dict[str, tuple[str, ...]] = {
    "pulumi.runtime.settings": ("SETTINGS", "set_root_resource"),
    "pulumi.runtime.stack": ("run_pulumi_func",),
    "pulumi.runtime.sync_await": ("_sync_await",),
    "pulumi.runtime.resource": ("_get_stack_trace",),
    "pulumi.runtime.rpc": ("contains_unknowns",),
    "pulumi.runtime.known_types": ("is_unknown",),
    "pulumi.runtime.mocks": ("MockMonitor",),
    "pulumi.runtime.proto.source_pb2": ("StackTrace",),
}
"""Module → the private names this module imports from it (the test imports each)."""

SETTINGS_STATE: tuple[str, ...] = ("rpc_manager", "outputs")
"""The process-wide state on `SETTINGS` that one program leaves for the next."""


def run_with_mocks(
    program: Callable[[], None],
    *,
    mocks: pulumi.runtime.Mocks,
    config: Mapping[str, str],
    project: str,
    stack: str,
    organization: str,
    registrations: list[dict[str, Any]],
) -> None:
    """Run `program` under `mocks` as Pulumi's language host would, on Pulumi's event loop; raise what it raises.

    Before it starts, what an earlier program left behind is settled and forgotten, and the
    program gets a fresh root stack and its own config. If it fails, what it leaves is settled at
    once too, so no error of its outputs is reported later as "Future exception was never retrieved".
    Every registration request is appended to `registrations` (see `RecordingMonitor`), also
    those of a program that fails.
    """
    settle()
    pulumi.runtime.set_all_config(dict(config))
    set_root_resource(None)  # type: ignore[arg-type]  # set_mocks creates a fresh root stack only when there is none
    monitor = RecordingMonitor(mocks, registrations)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, organization=organization, monitor=monitor)
    # Objects older than this program move out of the collector's view, so that if it fails, the
    # futures it created are found by scanning only what it allocated.
    gc.freeze()
    capture = pulumi.runtime.resource._get_stack_trace
    pulumi.runtime.resource._get_stack_trace = _no_stack_trace
    scan = pulumi.runtime.rpc.contains_unknowns
    pulumi.runtime.rpc.contains_unknowns = contains_unknowns
    try:
        _sync_await(run_pulumi_func(program))
    except BaseException:
        _close_unstarted_coroutines_of_this_program()
        settle()
        _retrieve_errors_of_this_program()
        raise
    finally:
        pulumi.runtime.resource._get_stack_trace = capture
        pulumi.runtime.rpc.contains_unknowns = scan
        gc.unfreeze()


class RecordingMonitor(MockMonitor):
    """Pulumi's mock monitor, also keeping what each registration request says that mocks are never told.

    `Mocks.new_resource` receives a resource's type, name, inputs and provider, but neither its
    URN nor what it depends on (`depends_on`, and every resource an input was taken from). Those
    are the ordering guarantees the layers make (a log group exists before its function, a bucket
    policy waits for the public access block), so the plan records them for every resource, once,
    rather than each test wrapping the monitor itself. Registrations run on Pulumi's worker
    threads; `list.append` is atomic, so no lock is needed.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks, registrations: list[dict[str, Any]]) -> None:
        super().__init__(mocks)
        self.registrations = registrations

    def RegisterResource(self, request: resource_pb2.RegisterResourceRequest) -> resource_pb2.RegisterResourceResponse:
        response: resource_pb2.RegisterResourceResponse = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        depends = set(request.dependencies)
        for property_dependencies in request.propertyDependencies.values():
            depends.update(property_dependencies.urns)
        self.registrations.append(
            {
                "urn": response.urn,
                "type": request.type,
                "name": request.name,
                "custom": request.custom,
                "provider": request.provider,
                "dependencies": sorted(depends),
            }
        )
        return response


def _no_stack_trace() -> source_pb2.StackTrace:
    """An empty stack trace for a resource registration under mocks.

    For every resource, Pulumi walks the Python stack and resolves each frame's file and line, so
    the CLI can show where a resource was declared. The mock monitor throws that away, and the
    walk was the biggest single cost of running a program: about a third of the offline plan's
    program time, more under pytest's deep stacks. A real `pulumi up` never runs through here.
    """
    return source_pb2.StackTrace()


def contains_unknowns(val: Any) -> bool:
    """Whether `val` holds an unknown anywhere in its dicts and lists: Pulumi's answer, without its garbage.

    Pulumi asks this of every output's value (`_OutputData`), some 80,000 times in a test run. Its
    own version defines a recursive function inside each call, and each such function refers to
    itself through its closure: a small reference cycle, with its `set[int]` annotation, that only
    the cyclic collector can free. Those cycles were two thirds of all the garbage the programs left,
    and collecting them cost the plan and every test process time for nothing. This walk keeps
    its own list instead and leaves nothing behind; it enters dicts and lists only, as Pulumi does,
    and takes the same parameter name, for callers that pass it by keyword.
    """
    is_unknown = known_types.is_unknown
    pending = [val]
    seen: set[int] = set()
    while pending:
        item = pending.pop()
        if is_unknown(item):
            return True
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def wait(awaitable: Awaitable[Any]) -> Any:
    """The value of `awaitable`, awaited on Pulumi's event loop from synchronous program code."""
    return _sync_await(awaitable)


def settle() -> None:
    """Finish what a program left on the event loop and forget Pulumi's process-wide state.

    A program that raised leaves tasks running, RPCs outstanding and outputs whose futures
    hold errors: Pulumi's runtime stops awaiting them at the first error, since the CLI would end
    the process there. Pending tasks are cancelled and awaited; every finished future's error is
    retrieved (the program's first error is already being reported); then the RPC manager and
    the output set are emptied so the next program does not await them and report their errors
    as its own.
    """
    loop = asyncio.get_event_loop_policy().get_event_loop()
    pending = [task for task in _tasks_since_last_settle(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    for awaitable in [*SETTINGS.rpc_manager.rpcs, *SETTINGS.outputs]:
        if isinstance(awaitable, asyncio.Future) and awaitable.done() and not awaitable.cancelled():
            awaitable.exception()  # marks the error as retrieved
    SETTINGS.rpc_manager.clear()
    SETTINGS.outputs.clear()


_TRACKED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, weakref.WeakSet[asyncio.Task[Any]]] = weakref.WeakKeyDictionary()
"""Per loop, every task made on it since its last `settle`; as in asyncio's own registry, a finished task no one holds drops out."""


def _tracked_task(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kwargs: Any) -> asyncio.Task[Any]:
    """The task factory on Pulumi's loop: asyncio's own Task, remembered for the next `settle`."""
    task: asyncio.Task[Any] = asyncio.Task(coro, loop=loop, **kwargs)
    tracked = _TRACKED.get(loop)
    if tracked is None:  # not setdefault: that would build a WeakSet for each of a plan's ~20,000 tasks
        tracked = _TRACKED[loop] = weakref.WeakSet()
    tracked.add(task)
    return task


def _tasks_since_last_settle(loop: asyncio.AbstractEventLoop) -> list[asyncio.Task[Any]]:
    """The tasks made on `loop` since the last call, and from now on track the ones made next.

    `asyncio.all_tasks` would do, but it walks every task still alive in the process, finished
    ones included, and the outputs of earlier programs (kept by the plan and by tests) hold their
    tasks alive: in the test suite that is tens of thousands of tasks walked before every program.
    The first call on a loop, or on one with a task factory of someone else's, falls back to it.
    """
    factory = loop.get_task_factory()
    if factory is _tracked_task:
        tasks = list(_TRACKED.pop(loop, ()))
    else:
        tasks = list(asyncio.all_tasks(loop))
        if factory is None:
            loop.set_task_factory(_tracked_task)  # type: ignore[arg-type]
    return tasks


def _close_unstarted_coroutines_of_this_program() -> None:
    """Close the coroutines the failed program created but never started.

    An Output awaits its resources, value, known and secret parts in turn; when one fails, the
    coroutines for the later parts are never awaited and Python warns about each when it is
    collected. The program is over, so nothing will await them: closing them says so.
    """
    for obj in gc.get_objects():
        if inspect.iscoroutine(obj) and inspect.getcoroutinestate(obj) == inspect.CORO_CREATED:
            obj.close()


def _retrieve_errors_of_this_program() -> None:
    """Retrieve the error of every failed future the failed program created.

    Pulumi resolves a resource's value, known and secret futures with the same error and awaits
    only the first, so the other two are never retrieved; they are reachable from nothing Pulumi
    exposes. With older objects frozen (see `run_with_mocks`), the collector lists only this
    program's allocations.
    """
    for obj in gc.get_objects():
        if isinstance(obj, asyncio.Future) and obj.done() and not obj.cancelled():
            obj.exception()


def root_outputs() -> dict[str, Any]:
    """The resolved outputs the running program exported (`pulumi.export`)."""
    root = pulumi.runtime.get_root_resource()
    exported = getattr(root, "outputs", {})
    return dict(wait(pulumi.Output.from_input(exported).future()) or {})
