"""`make setup` compiles what the tests and the plan import (payments_tools.warm_bytecode)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

from payments_tools import warm_bytecode


def test_every_pulumi_aws_subpackage_the_plan_registers_resources_from_is_warmed(planned_example):
    # `aws:s3/bucketV2:BucketV2` comes from pulumi_aws.s3; `aws:lambda/function:Function` from lambda_.
    registered = {r["type"].split(":")[1].split("/")[0] for r in planned_example.registrations if r["type"].startswith("aws:")}
    warmed = {name.removesuffix("_") for name in warm_bytecode.used_aws_subpackages()}
    assert registered, "the example plan registered no AWS resources"
    assert registered <= warmed, f"not warmed: {sorted(registered - warmed)}"


def test_a_url_is_not_taken_for_a_subpackage_and_client_services_are_found(tmp_path):
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "a.py").write_text(
        "import pulumi_aws as aws\n"
        'aws.s3.Bucket("b")\n'
        'url = "https://console.aws.amazon.com/cloudwatch"\n'
        'session.client("dynamodb")\n'
        "clients('route53')\n",
        encoding="utf-8",
    )
    assert warm_bytecode.used_aws_subpackages(tmp_path) == ["s3"]
    assert warm_bytecode.used_services(tmp_path) == ["dynamodb", "route53"]


def test_the_warming_imports_load_each_subpackage_and_backend_and_a_missing_name_does_not_stop_them():
    script = warm_bytecode.import_script(["no_such_subpackage", "sns"], ["no-such-service", "sts"])
    script += "\nimport sys; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    # moto's server side of each service too, which only a request would load otherwise
    assert {"pulumi_aws.sns.topic", "moto.server", "moto.sts.models", "moto.sts.urls", "moto.sts.responses"} <= loaded


def test_the_repositorys_own_modules_are_compiled_where_imports_look_for_them(tmp_path, monkeypatch):
    module = tmp_path / "repo" / "stacks" / "layer" / "payments_layer" / "only_main_imports_this.py"
    module.parent.mkdir(parents=True)
    module.write_text("VALUE = 1\n", encoding="utf-8")
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "pycache"))
    warm_bytecode.compile_sources(tmp_path / "repo")  # the other source folders are absent: skipped
    compiled = Path(importlib.util.cache_from_source(str(module)))
    assert compiled.is_file() and compiled.is_relative_to(tmp_path / "pycache")


def test_a_warming_process_that_fails_is_reported_and_setup_goes_on(monkeypatch, capsys):
    failing = [sys.executable, "-c", "raise SystemExit('no pulumi_aws here')"]
    monkeypatch.setattr(warm_bytecode, "commands", lambda: [failing, [sys.executable, "-c", "pass"]])
    assert warm_bytecode.main() == 0
    err = capsys.readouterr().err
    assert "warming the bytecode cache stopped early (no pulumi_aws here)" in err
