"""The deploy safety catch: YES=1 proceeds, a terminal confirms, anything else is refused."""

from __future__ import annotations

import io

import pytest

from payments_tools.confirm import Refused, decide, main

TARGET = "payments-data/prod"


def never_asked(prompt: str) -> str:
    raise AssertionError(f"asked {prompt!r}")


def test_yes_proceeds_without_asking_even_without_a_terminal() -> None:
    assert decide("up", TARGET, yes=True, interactive=False, ask=never_asked) == ["--yes"]
    assert decide("destroy", TARGET, yes=True, interactive=False, ask=never_asked) == ["--yes"]


@pytest.mark.parametrize("action", ["up", "destroy"])
def test_without_a_terminal_and_without_yes_nothing_runs(action: str) -> None:
    with pytest.raises(Refused, match=r"without a terminal to confirm on; .* set YES=1"):
        decide(action, TARGET, yes=False, interactive=False, ask=never_asked)  # type: ignore[arg-type]


def test_up_on_a_terminal_leaves_the_question_to_pulumi_up() -> None:
    # No --yes: `pulumi up` shows its preview and asks before it changes anything.
    assert decide("up", TARGET, yes=False, interactive=True, ask=never_asked) == []


def test_destroy_on_a_terminal_needs_the_stack_name_typed() -> None:
    prompts: list[str] = []
    assert decide("destroy", TARGET, yes=False, interactive=True, ask=lambda p: prompts.append(p) or f"{TARGET}\n") == []
    assert TARGET in prompts[0]
    with pytest.raises(Refused, match=r"typed 'prod', not 'payments-data/prod': nothing was destroyed"):
        decide("destroy", TARGET, yes=False, interactive=True, ask=lambda p: "prod")
    with pytest.raises(Refused):
        decide("destroy", TARGET, yes=False, interactive=True, ask=lambda p: "")


def test_main_prints_the_flags_and_refuses_with_exit_1(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal
    monkeypatch.delenv("YES", raising=False)
    assert main(["up", "--layer", "data", "--stack", "prod"]) == 1
    assert "refusing to up payments-data/prod" in capsys.readouterr().err
    monkeypatch.setenv("YES", "1")
    assert main(["destroy", "--layer", "edge", "--stack", "prod"]) == 0
    assert capsys.readouterr().out.strip() == "--yes"
    monkeypatch.setenv("YES", "true")  # only YES=1 counts, as documented
    assert main(["up", "--layer", "data", "--stack", "prod"]) == 1
