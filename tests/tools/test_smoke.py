"""`make smoke` against `make local-api`: every step passes, a failing step is named, the synthetic
merchant is suspended either way; the TLS step against loopback TLS servers."""

import datetime as dt
import io
import json
import shutil
import socket
import ssl
import threading

import boto3
import pytest

from payments_tools import smoke as tool
from payments_tools.harness import REPO_ROOT
from payments_tools.local_api import PRODUCTION_REGION, LocalApi
from payments_tools.smoke import Smoke, StepFailed, run_smoke
from shared.errors import ConfigError
from shared.settings import load_settings

needs_node = pytest.mark.skipif(
    shutil.which("node") is None or not (REPO_ROOT / "node_modules").is_dir(), reason="needs Node.js and `make setup`"
)
STEPS = ["onboard", "tls", "unauthenticated", "create", "read", "refund", "receipt", "suspend"]


@pytest.fixture(scope="module")
def api():
    with LocalApi(load_settings(REPO_ROOT)) as running:
        yield running


def steps_of(output):
    return [line[1:-1] for line in output.splitlines() if line.startswith("[") and line.endswith("]")]


def smoke_merchants(api, before=frozenset()):
    """The smoke test's merchants, leaving out those in `before` (made by the tests that ran earlier on this API)."""
    return [m for m in api.merchants().list() if m["name"].startswith("smoke test") and m["merchantId"] not in before]


def merchant_ids(api):
    return frozenset(m["merchantId"] for m in smoke_merchants(api))


@needs_node
def test_every_step_passes_against_the_local_api_and_the_merchant_is_suspended(api):
    before = merchant_ids(api)
    out = io.StringIO()
    assert run_smoke(api.url, api.merchants(), out) == 0, out.getvalue()
    text = out.getvalue()
    assert steps_of(text) == STEPS
    assert "smoke: all steps passed" in text
    assert "→ POST" in text and "← 201" in text and "← 401" in text, "every request and result is printed"
    assert text.count("→ POST " + api.url + "/payments ") == 2
    [merchant] = smoke_merchants(api, before)
    assert merchant["status"] == "suspended"
    assert "pk_live_" not in text.replace(merchant["apiKeyPrefix"], ""), "the key is never printed whole"


@needs_node
def test_a_failing_step_is_named_and_exits_non_zero_and_the_merchant_is_still_suspended(api):
    s3 = boto3.resource(
        "s3", endpoint_url=api.endpoint, region_name=PRODUCTION_REGION, aws_access_key_id="local", aws_secret_access_key="local"
    )
    bucket = s3.Bucket(api.names.buckets["payments-receipts-dev"])
    # The bucket comes back as the local API made it, encrypted with the data key, for the module's later tests.
    encryption = s3.meta.client.get_bucket_encryption(Bucket=bucket.name)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    before = merchant_ids(api)
    bucket.objects.all().delete()
    bucket.delete()
    try:
        out = io.StringIO()
        assert run_smoke(api.url, api.merchants(), out) == 1
    finally:
        s3.create_bucket(Bucket=bucket.name, CreateBucketConfiguration={"LocationConstraint": PRODUCTION_REGION})
        s3.meta.client.put_bucket_encryption(Bucket=bucket.name, ServerSideEncryptionConfiguration=encryption)
    assert s3.meta.client.get_bucket_encryption(Bucket=bucket.name)["ServerSideEncryptionConfiguration"] == encryption
    text = out.getvalue()
    assert "smoke: FAILED at step 'receipt': expected 200, got 500" in text
    assert steps_of(text)[-2:] == ["receipt", "suspend"]
    [merchant] = smoke_merchants(api, before)
    assert merchant["status"] == "suspended"


@needs_node
def test_an_api_that_lets_anonymous_calls_through_fails_the_unauthenticated_step(api):
    class Open(Smoke):
        def request(self, method, path, **kwargs):
            if kwargs.get("key") is None and self.step == "unauthenticated":
                kwargs["key"] = self.key
            return super().request(method, path, **kwargs)

        def run(self, key):
            self.key = key
            super().run(key)

    smoke = Open(api.url, io.StringIO())
    _, issued = api.merchants().add("smoke test open")
    with pytest.raises(StepFailed) as failed:
        smoke.run(issued.key)
    assert failed.value.step == "unauthenticated" and "got 404" in failed.value.reason


def test_onboarding_failure_is_named(capsys):
    class NoTable:
        table = "missing"

        def add(self, name):
            from payments_tools.merchants import MerchantError

            raise MerchantError("merchant m_1: ResourceNotFoundException")

    out = io.StringIO()
    assert run_smoke("http://127.0.0.1:9", NoTable(), out) == 1
    assert "FAILED at step 'onboard'" in out.getvalue()


def test_the_url_comes_from_the_edge_layers_custom_domain_output(tmp_path):
    calls = []

    def pulumi(command, cwd):
        calls.append((command, cwd.name))
        return json.dumps("https://api.payments.example.com")

    assert tool._custom_domain_url(tmp_path, "prod", pulumi) == "https://api.payments.example.com"
    assert calls == [(["pulumi", "stack", "output", "customDomainUrl", "--json", "-s", "prod"], "edge")]
    with pytest.raises(ConfigError, match="is not a URL"):
        tool._custom_domain_url(tmp_path, "prod", lambda c, d: json.dumps(None))


# --- the TLS step, against TLS servers on loopback ------------------------------------------------------


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1 (cryptography ships with moto)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_file, key_file


def tls_server(certificate, minimum, maximum):
    """A loopback server that completes `handshakes` TLS handshakes within [minimum, maximum], then stops."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    context.minimum_version, context.maximum_version = minimum, maximum
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve():
        for _ in range(2):
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1]


def test_tls_step_passes_when_the_server_negotiates_tls_1_2_or_newer(certificate):
    port = tls_server(certificate, ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)
    out = io.StringIO()
    Smoke(f"https://127.0.0.1:{port}", out, cafile=str(certificate[0])).check_tls()
    assert "negotiated TLSv1.3" in out.getvalue()


def test_tls_step_fails_named_when_the_server_stays_below_tls_1_2(certificate):
    try:
        port = tls_server(certificate, ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1)
    except (ValueError, ssl.SSLError):
        pytest.skip("this OpenSSL cannot serve TLS 1.1")
    with pytest.raises(StepFailed) as failed:
        Smoke(f"https://127.0.0.1:{port}", io.StringIO(), cafile=str(certificate[0])).check_tls()
    assert failed.value.step == "tls"


@pytest.mark.parametrize(
    ("smoke", "expected"),
    [
        ("1", ["pulumi-up-foundation", "pulumi-up-data", "pulumi-up-compute", "pulumi-up-edge", "smoke", "pulumi-up-observability"]),
        ("0", ["pulumi-up-foundation", "pulumi-up-data", "pulumi-up-compute", "pulumi-up-edge", "pulumi-up-observability"]),
    ],
)
def test_deploy_all_runs_the_smoke_test_right_after_edge_unless_smoke_is_0(smoke, expected):
    import subprocess

    steps = subprocess.run(
        [
            "make",
            "-C",
            str(REPO_ROOT),
            "--no-print-directory",
            "--eval",
            "print-steps: ; @echo $(DEPLOY_ALL_STEPS)",
            "print-steps",
            f"SMOKE={smoke}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert steps == expected
