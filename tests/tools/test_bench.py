"""`make bench`: figures when the pieces exist, `skipped: <why>` when they do not, and never a failure."""

import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from payments_tools import bench
from payments_tools import plan as plan_module
from payments_tools.harness import REPO_ROOT
from payments_tools.plan import LayerPlan


def test_missing_pieces_are_skipped_with_a_reason(tmp_path, monkeypatch, capsys):
    def broken_plan(repo_root, layers=(), *, on_layer=None, **_):
        on_layer(LayerPlan("foundation", True, [{"type": "t"}], {}, 0.25))
        raise RuntimeError("data layer exploded")

    monkeypatch.setattr(plan_module, "plan_layers", broken_plan)
    monkeypatch.setattr(bench, "PACKAGING_MODULE", "payments_compute.no_such_module")
    monkeypatch.setattr(bench, "INIT_SCRIPT", tmp_path / "missing-init.mjs")
    monkeypatch.setattr(bench, "LATENCY_SCRIPT", tmp_path / "missing-latency.mjs")
    # The floor comparison runs seven plans in fresh processes: its own test fakes them.
    monkeypatch.setattr(bench, "_measure", lambda command, cwd: bench.skipped("python exited 1: no plan here"))
    monkeypatch.chdir(REPO_ROOT)
    assert bench.main([]) == 0
    out = capsys.readouterr().out
    assert "skipped: python exited 1: no plan here" in out
    assert "foundation         0.25s     1 resources" in out
    assert "skipped: the data layer failed to plan" in out and "data layer exploded" in out
    assert "skipped: payments_compute.no_such_module.build_zip is not available" in out
    assert "missing-init.mjs does not exist" in out
    assert "missing-latency.mjs does not exist" in out


def test_plan_times_are_printed_per_layer_with_the_total(monkeypatch, capsys):
    def fake_plan(repo_root, layers=(), *, on_layer=None, **_):
        on_layer(LayerPlan("foundation", True, [{}, {}], {}, 1.5))
        on_layer(LayerPlan("data", False))
        return []

    monkeypatch.setattr(plan_module, "plan_layers", fake_plan)
    bench.bench_plan(REPO_ROOT)
    out = capsys.readouterr().out
    assert "foundation         1.50s     2 resources" in out and "data           not built" in out and "total (wall)" in out


def test_zip_sizes_come_from_the_compute_packager(monkeypatch, capsys):
    pytest.importorskip(bench.PACKAGING_MODULE)
    bench.bench_zip_sizes(REPO_ROOT)
    out = capsys.readouterr().out
    assert "payments-process-payment-dev" in out and "KiB" in out


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_latency_script_runs_against_a_moto_server_started_and_stopped_by_bench(tmp_path, monkeypatch, capsys):
    script = tmp_path / bench.LATENCY_SCRIPT
    script.parent.mkdir(parents=True)
    script.write_text(
        textwrap.dedent("""
        const response = await fetch(`${process.env.AWS_ENDPOINT_URL}/moto-api/data.json`);
        console.log(`moto answered ${response.status}`);
    """)
    )
    # Another moto_server earlier on PATH (a system-wide install) must not be the one measured.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    impostor = elsewhere / "moto_server"
    impostor.write_text(f"#!/bin/sh\ntouch {tmp_path / 'impostor-ran'}\n")
    impostor.chmod(0o755)
    monkeypatch.setenv("PATH", f"{elsewhere}{os.pathsep}{os.environ['PATH']}")
    bench.bench_latency(tmp_path)
    out = capsys.readouterr().out
    assert "moto answered 200" in out
    assert not (tmp_path / "impostor-ran").exists()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_a_failing_script_is_a_skip_not_a_failure(tmp_path, capsys):
    script = tmp_path / bench.INIT_SCRIPT
    script.parent.mkdir(parents=True)
    script.write_text("throw new Error('handler import failed');\n")
    bench.bench_cold_start(tmp_path)
    assert "skipped:" in capsys.readouterr().out


def test_a_settings_error_is_reported_as_a_settings_error(tmp_path, monkeypatch, capsys):
    import yaml

    settings = yaml.safe_load((REPO_ROOT / "config" / "production.yaml").read_text(encoding="utf-8"))
    settings["kms"] = {"deletionWindowDays": 3}
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "production.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    bench.bench_plan(tmp_path)
    out = capsys.readouterr().out
    assert "skipped: settings error" in out and "kms.deletionWindowDays: 3 is less than the minimum of 7" in out
    assert "layer failed to plan" not in out


def test_the_plan_is_compared_with_its_import_floor_on_cpu_time(monkeypatch, capsys):
    # record, then plan/floor rounds as (wall, cpu): the median of the rounds' CPU ratios (1.10,
    # 1.20, 2.00) is the headline, where best against best (3.00 / 2.00) would say 1.50
    timings = iter([(1.0, 1.0), (4.0, 3.3), (2.0, 3.0), (3.5, 3.0), (2.5, 2.5), (4.0, 4.0), (2.0, 2.0)])

    def fake_measure(command, cwd):
        if "record" in command:
            Path(command[-1]).write_text('["json"]')
        return bench.Timing(*next(timings))

    monkeypatch.setattr(bench, "_measure", fake_measure)
    bench.bench_plan_floor(REPO_ROOT, rounds=3)
    out = capsys.readouterr().out
    assert "plan               3.00s CPU   3.50s wall  (CPU of each run: 3.30, 3.00, 4.00)" in out
    assert "import floor       2.00s CPU   2.00s wall  (1 modules; CPU of each run: 3.00, 2.50, 2.00)" in out
    assert "ratio              1.20x CPU, the median of the rounds (1.10, 1.20, 2.00)" in out
    assert "best vs best       1.50x CPU   1.75x wall" in out


def fake_valgrind(tmp_path: Path, plan: int, floor: int) -> Path:
    """A `valgrind` that runs nothing and writes a callgrind summary: `plan` instructions for the plan, `floor` for the floor."""
    script = tmp_path / "valgrind"
    script.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import sys
            out = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("--callgrind-out-file="))
            count = {plan} if "payments_tools.plan" in sys.argv else {floor}
            open(out, "w").write(f"events: Ir\\nsummary: {{count}}\\ntotals: {{count}}\\n")
            """
        )
    )
    script.chmod(0o755)
    return script


def test_the_plan_is_compared_with_its_import_floor_in_instructions_under_callgrind(tmp_path, monkeypatch, capsys):
    valgrind = fake_valgrind(tmp_path, plan=10_470_000_000, floor=7_160_000_000)
    monkeypatch.setattr(bench.shutil, "which", lambda name: str(valgrind) if name == "valgrind" else None)
    monkeypatch.setattr(bench, "_measure", lambda command, cwd: bench.Timing(1.0, 1.0))  # the recording run
    bench.bench_plan_instructions(REPO_ROOT)
    out = capsys.readouterr().out
    assert "plan              10.47 G instructions" in out
    assert "import floor       7.16 G instructions" in out
    assert "ratio              1.46x  (target <= 1.5x)" in out


def test_without_valgrind_the_instruction_count_is_a_skip(monkeypatch, capsys):
    monkeypatch.setattr(bench.shutil, "which", lambda name: None)
    bench.bench_plan_instructions(REPO_ROOT)
    assert "skipped: valgrind is not installed" in capsys.readouterr().out


def test_a_run_callgrind_cannot_count_is_a_skip(tmp_path, monkeypatch, capsys):
    broken = tmp_path / "valgrind"
    broken.write_text("#!/bin/sh\necho 'valgrind: no such tool' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr(bench.shutil, "which", lambda name: str(broken))
    monkeypatch.setattr(bench, "_measure", lambda command, cwd: bench.Timing(1.0, 1.0))
    bench.bench_plan_instructions(REPO_ROOT)
    out = capsys.readouterr().out
    assert "under callgrind exited 1: valgrind: no such tool" in out
    assert "ratio" not in out


def test_make_bench_leaves_the_minutes_long_instruction_count_out_unless_asked(monkeypatch):
    ran: list[str] = []
    monkeypatch.setattr(bench, "BENCHES", {name: (lambda root, name=name: ran.append(name)) for name in bench.BENCHES})
    bench.main([])
    assert ran == list(bench.DEFAULT_BENCHES) and "plan-instructions" not in ran
    ran.clear()
    bench.main(["--only", "plan-instructions"])
    assert ran == ["plan-instructions"]
