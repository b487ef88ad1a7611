"""Which layers CI previews and deploys for a change."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from payments_tools import changed_layers as cl
from payments_tools.harness import REPO_ROOT
from shared.outputs import Compute, Data, Edge, Foundation, Observability
from shared.settings import LAYERS

LAYER_OF = {c.__name__: c.LAYER for c in (Foundation, Data, Compute, Edge, Observability)}


def test_layers_match_the_settings_deploy_order() -> None:
    assert cl.LAYERS == LAYERS


def test_upstream_is_what_each_stack_really_references() -> None:
    for layer in LAYERS:
        sources = [*(REPO_ROOT / "stacks" / layer).glob("*.py"), *(REPO_ROOT / "stacks" / layer).glob("payments_*/*.py")]
        text = "\n".join(p.read_text(encoding="utf-8") for p in sources)
        referenced = {LAYER_OF[name] for name in re.findall(r"ctx\.upstream\((\w+)\.LAYER\)", text)}
        assert set(cl.UPSTREAM[layer]) == referenced, layer


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (["stacks/observability/payments_observability/alarms.py"], ["observability"]),
        (["stacks/edge/README.md"], ["edge", "observability"]),
        (["stacks/data/payments_data/tables.py"], ["data", "compute", "edge", "observability"]),  # edge reads compute
        (["stacks/compute/handlers/payments/get-payment.mjs"], ["compute", "edge", "observability"]),
        (["package-lock.json"], ["compute", "edge", "observability"]),
        (["stacks/foundation/payments_foundation/keys.py"], list(LAYERS)),
        (["shared/naming.py"], list(LAYERS)),
        (["config/production.yaml"], list(LAYERS)),
        (["requirements.txt"], list(LAYERS)),
        (["policy/payments_policy/rules.py"], list(LAYERS)),
        (["README.md", "tests/data/test_tables.py", "tools/payments_tools/report.py", ".github/workflows/pr.yml"], []),
        (["bootstrap/ci-access/payments_ci_access/policies.py"], []),
        ([""], []),
    ],
)
def test_a_change_selects_its_layers_and_everything_downstream(paths: list[str], expected: list[str]) -> None:
    assert cl.affected(paths) == expected


def test_step_outputs_are_one_flag_per_layer_and_a_json_list() -> None:
    assert cl.step_outputs(["data", "compute"]) == (
        'foundation=false\ndata=true\ncompute=true\nedge=false\nobservability=false\nlayers=["data","compute"]\n'
    )


def test_runs_as_a_plain_script_with_the_standard_library_only() -> None:
    script = REPO_ROOT / "tools" / "payments_tools" / "changed_layers.py"
    result = subprocess.run(
        [sys.executable, "-I", str(script)], input="stacks/edge/payments_edge/waf.py\n", capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == 'layers=["edge","observability"]'
    everything = subprocess.run([sys.executable, "-I", str(script), "--all"], input="", capture_output=True, text=True, check=True)
    assert "foundation=true" in everything.stdout


def test_main_reads_paths_from_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("shared/tags.py\n"))
    assert cl.main([]) == 0
    assert "observability=true" in capsys.readouterr().out
