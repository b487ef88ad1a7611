"""`make local-api` as a command: what it prints, and a taken port reported at once.

Apart from test_local_api_e2e.py on purpose: each run starts its own local API in this process,
and moto's backends are per process, so starting one empties the tables of any other running
here (LocalApi.start resets them). In a module of their own these tests never overlap that
module's long-lived API, whatever the order the tests run in.
"""

import shutil
import socket

import pytest

from payments_tools import local_api
from payments_tools.harness import REPO_ROOT

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (REPO_ROOT / "node_modules").is_dir(), reason="needs Node.js and `make setup`"
)


def test_make_local_api_prints_the_url_and_a_working_test_merchant_key(capsys):
    assert local_api.main(["--port", "0", "--moto-port", "0", "--max-seconds", "0", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "local API (production contract payments-api-production-eu1, stage production) at http://127.0.0.1:" in out
    assert "test merchant m_" in out and ": API key pk_live_" in out
    assert "make merchant-add NAME=Acme MERCHANT_ARGS='--endpoint-url http://127.0.0.1:" in out


def test_a_taken_port_is_reported_not_waited_on(capsys):
    with socket.create_server(("127.0.0.1", 0)) as listener:
        taken = str(listener.getsockname()[1])
        assert local_api.main(["--port", "0", "--moto-port", taken, "--max-seconds", "0", "--quiet"]) == 2
    assert f"moto cannot listen on 127.0.0.1:{taken}" in capsys.readouterr().err
