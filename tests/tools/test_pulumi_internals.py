"""The offline plan's use of Pulumi's private runtime: still there, and no error left unretrieved."""

import asyncio
import gc
import importlib
import inspect
import json
import subprocess
import sys
import warnings
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from payments_tools import pulumi_internals
from payments_tools.mocks import PlanMocks

changed = pulumi_internals.changed


def test_the_failure_message_names_the_version_the_module_and_the_way_out():
    message = changed("SETTINGS.outputs is gone")
    assert "Pulumi 3." in message and "SETTINGS.outputs is gone" in message
    assert "tools/payments_tools/pulumi_internals.py" in message and "requirements.txt" in message


@pytest.mark.parametrize(("module", "names"), list(pulumi_internals.USED.items()))
def test_every_private_name_the_plan_uses_still_exists(module, names):
    try:
        imported = importlib.import_module(module)
    except ImportError as exc:
        pytest.fail(changed(f"module {module} is gone: {exc}"))
    for name in names:
        if not hasattr(imported, name):
            pytest.fail(changed(f"{module}.{name} is gone"))


def test_the_process_wide_state_has_the_shape_the_reset_expects():
    settings = importlib.import_module("pulumi.runtime.settings").SETTINGS
    for attribute in pulumi_internals.SETTINGS_STATE:
        if not hasattr(settings, attribute):
            pytest.fail(changed(f"SETTINGS.{attribute} is gone"))
    if not isinstance(settings.outputs, set):
        pytest.fail(changed(f"SETTINGS.outputs is a {type(settings.outputs).__name__}, not a set of tasks"))
    manager = settings.rpc_manager
    if not (isinstance(getattr(manager, "rpcs", None), list) and callable(getattr(manager, "clear", None))):
        pytest.fail(changed("SETTINGS.rpc_manager no longer has an `rpcs` list and `clear()`"))
    run_pulumi_func = importlib.import_module("pulumi.runtime.stack").run_pulumi_func
    if not inspect.iscoroutinefunction(run_pulumi_func) or list(inspect.signature(run_pulumi_func).parameters) != ["func"]:
        pytest.fail(changed("run_pulumi_func is no longer `async def run_pulumi_func(func)`"))


def _run(program, mocks=None, registrations=None):
    pulumi_internals.run_with_mocks(
        program,
        mocks=mocks or PlanMocks(),
        config={},
        project="internals",
        stack="test",
        organization="organization",
        registrations=[] if registrations is None else registrations,
    )


def _failing_program():
    def fail(_):
        raise ValueError("upstream output missing")

    source = pulumi.Output.from_input("value").apply(fail)
    thing = pulumi.CustomResource("test:index:Thing", "thing", {"input": source})
    pulumi.CustomResource("test:index:Thing", "other", {"input": source})
    # An Output built from parts awaits them in turn: a failed first part leaves the rest unawaited.
    pulumi.Output.all(source, thing.urn).apply(lambda parts: parts)
    pulumi.Output.concat("prefix-", source)


def failed_then_healthy() -> dict[str, Any]:
    """Run a failing program, then a healthy one, each followed by a full collection; say what surfaced."""
    unretrieved = []
    loop = asyncio.get_event_loop_policy().get_event_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: unretrieved.append((context.get("message"), repr(context.get("future")))))
    try:
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            with pytest.raises(Exception, match="upstream output missing"):
                _run(_failing_program)
            gc.collect()
        exported = {}

        def healthy():
            pulumi.export("answer", 42)
            exported.update(pulumi_internals.root_outputs())

        _run(healthy)
        gc.collect()
    finally:
        loop.set_exception_handler(previous)
    return {"unretrieved": unretrieved, "warnings": [str(w.message) for w in warned], "exported": exported}


def test_a_failed_program_leaves_no_error_unretrieved_and_the_next_program_runs_clean():
    # In a fresh process, so that the collections find only these two programs' leftovers, not what
    # earlier tests left for the collector, and walk a small heap instead of the whole suite's.
    code = f"import json, runpy; print(json.dumps(runpy.run_path({__file__!r})['failed_then_healthy']()))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"unretrieved": [], "warnings": [], "exported": {"answer": 42}}


def test_programs_skip_pulumis_per_resource_stack_walk_and_leave_it_in_place_afterwards():
    from pulumi.runtime import resource

    original = resource._get_stack_trace
    if list(inspect.signature(original).parameters):
        pytest.fail(changed("pulumi.runtime.resource._get_stack_trace now takes arguments"))
    _assert_replaced_only_while_a_program_runs(resource, "_get_stack_trace", pulumi_internals._no_stack_trace)


def _assert_replaced_only_while_a_program_runs(module: Any, name: str, replacement: Any) -> None:
    """`module.name` is `replacement` inside a program, and Pulumi's own again after it, even after one that failed."""
    original = getattr(module, name)
    seen = []

    def program():
        seen.append(getattr(module, name))
        pulumi.CustomResource("test:index:Thing", "thing", {"tags": {"a": "b"}})

    _run(program)
    assert seen == [replacement]
    assert getattr(module, name) is original
    with pytest.raises(Exception, match="upstream output missing"):
        _run(_failing_program)
    assert getattr(module, name) is original


def _unknowns_samples() -> list[Any]:
    """Values the scan must answer as Pulumi does: nesting, sharing, cycles, and containers it does not enter."""
    unknown = pulumi.output.UNKNOWN
    cycle: list[Any] = [1]
    cycle.append(cycle)
    cycle_then_unknown: list[Any] = [1]
    cycle_then_unknown.extend([cycle_then_unknown, {"deep": [unknown]}])
    looped: dict[str, Any] = {"a": {"b": 1}}
    looped["a"]["back"] = looped
    shared = {"x": 1}
    return [
        None,
        0,
        "",
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        unknown,
        [unknown],
        {"a": unknown},
        {"a": [{"b": [1, 2, {"c": unknown}]}]},
        {"a": [{"b": [1, 2, {"c": 3}]}]},
        (unknown,),
        {unknown},
        {"a": (unknown,)},  # tuples and sets are not entered, by Pulumi either
        cycle,
        cycle_then_unknown,
        looped,
        [shared, shared, {"y": shared}],
        [[[[[]]]]],
    ]


def test_programs_scan_for_unknowns_as_pulumi_does_without_leaving_garbage_and_restore_pulumis_scan():
    from pulumi.runtime import rpc

    original = rpc.contains_unknowns
    if list(inspect.signature(original).parameters) != ["val"]:
        pytest.fail(changed("pulumi.runtime.rpc.contains_unknowns is no longer `contains_unknowns(val)`"))
    samples = _unknowns_samples()
    assert [pulumi_internals.contains_unknowns(v) for v in samples] == [original(v) for v in samples]
    assert sum(map(pulumi_internals.contains_unknowns, samples)) == 5  # the answers compared are not all the same

    scans = samples * 50

    def garbage_after(scan: Callable[[Any], bool]) -> int:
        # The suite's heap moves out of the collector's view first: a full collection of it would cost
        # far more than the scans, and would count garbage the scans did not make.
        gc.freeze()
        try:
            for value in scans:
                scan(value)
            return gc.collect()
        finally:
            gc.unfreeze()

    assert garbage_after(pulumi_internals.contains_unknowns) < len(scans) // 10  # none of its own; other threads may leave a little
    if garbage_after(original) < len(scans):
        pytest.fail(changed("pulumi.runtime.rpc.contains_unknowns no longer leaves a reference cycle per call: drop the replacement"))

    _assert_replaced_only_while_a_program_runs(rpc, "contains_unknowns", pulumi_internals.contains_unknowns)


def test_a_task_a_failed_program_left_waiting_is_cancelled_before_the_next_program_runs():
    left: list[asyncio.Task[None]] = []

    def failing():
        # Say a program started work that waits on something that will now never come: it must not
        # wake up inside the next program and register resources there.
        async def wait_for_what_never_comes():
            await asyncio.get_running_loop().create_future()

        left.append(asyncio.ensure_future(wait_for_what_never_comes()))
        raise ValueError("program failed")

    with pytest.raises(Exception, match="program failed"):
        _run(failing)
    assert left[0].cancelled()
    ran = []
    _run(lambda: ran.append(True))
    assert ran == [True]


def test_tasks_made_between_programs_are_settled_by_the_next_one():
    loop = asyncio.get_event_loop_policy().get_event_loop()
    _run(lambda: None)
    between = loop.create_task(asyncio.sleep(3600))
    _run(lambda: None)
    assert between.cancelled()


def test_the_first_look_at_a_loop_finds_every_task_already_there_and_tracks_the_rest():
    loop = asyncio.new_event_loop()
    try:
        before = loop.create_task(asyncio.sleep(3600))
        assert pulumi_internals._tasks_since_last_settle(loop) == [before]
        after = loop.create_task(asyncio.sleep(3600))
        assert pulumi_internals._tasks_since_last_settle(loop) == [after]
        assert pulumi_internals._tasks_since_last_settle(loop) == []
        for task in (before, after):
            task.cancel()
        loop.run_until_complete(asyncio.gather(before, after, return_exceptions=True))
    finally:
        loop.close()


def test_a_loop_with_a_task_factory_of_its_own_keeps_it_and_is_searched_in_full():
    loop = asyncio.new_event_loop()

    def own_factory(loop, coro, **kwargs):
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(own_factory)
    try:
        task = loop.create_task(asyncio.sleep(3600))
        assert pulumi_internals._tasks_since_last_settle(loop) == [task]
        assert pulumi_internals._tasks_since_last_settle(loop) == [task]
        assert loop.get_task_factory() is own_factory
        task.cancel()
        loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
    finally:
        loop.close()


def test_settling_one_loop_leaves_the_tasks_of_another_for_its_own_settle():
    loops = [asyncio.new_event_loop(), asyncio.new_event_loop()]
    try:
        for loop in loops:
            assert pulumi_internals._tasks_since_last_settle(loop) == []  # the first look installs the tracking
        first, second = (loop.create_task(asyncio.sleep(3600)) for loop in loops)
        assert pulumi_internals._tasks_since_last_settle(loops[0]) == [first]
        assert pulumi_internals._tasks_since_last_settle(loops[1]) == [second]
        for loop, task in zip(loops, (first, second), strict=True):
            task.cancel()
            loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
    finally:
        for loop in loops:
            loop.close()


def _program_with_dependencies() -> None:
    provider = pulumi.ProviderResource("test", "explicit", {})
    first = pulumi.CustomResource("test:index:Thing", "first", {"input": "a"}, opts=pulumi.ResourceOptions(provider=provider))
    pulumi.CustomResource("test:index:Thing", "after", {"input": "b"}, opts=pulumi.ResourceOptions(depends_on=[first]))
    pulumi.CustomResource("test:index:Thing", "fed", {"input": first.id})
    pulumi.ComponentResource("test:index:Group", "group")


def test_every_registration_is_recorded_with_its_urn_kind_provider_and_what_it_waits_for():
    mocks, registrations = PlanMocks(), []
    _run(_program_with_dependencies, mocks, registrations)
    by_name = {r["name"]: r for r in registrations}
    assert set(by_name) == {"internals-test", "explicit", "first", "after", "fed", "group"}  # the root stack too
    urn = "urn:pulumi:test::internals::pulumi:pulumi:Stack${}::{}".format
    first = by_name["first"]
    assert first["urn"] == urn("test:index:Thing", "first")
    assert (first["type"], first["custom"], first["dependencies"]) == ("test:index:Thing", True, [])
    assert first["provider"].startswith(by_name["explicit"]["urn"] + "::")  # `<provider urn>::<provider id>`
    assert by_name["after"]["dependencies"] == [first["urn"]]  # depends_on
    assert by_name["fed"]["dependencies"] == [first["urn"]]  # an input taken from first's output
    assert (by_name["group"]["custom"], by_name["group"]["provider"]) == (False, "")
    assert {r["name"] for r in mocks.resources} == set(by_name) - {"internals-test"}  # the mocks are told of all but the stack, as before


def test_a_failed_program_keeps_what_it_registered_before_it_failed():
    registrations = []

    def register_then_fail() -> None:
        pulumi.CustomResource("test:index:Thing", "before", {"input": "a"})
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        _run(register_then_fail, registrations=registrations)
    assert "before" in [r["name"] for r in registrations]
