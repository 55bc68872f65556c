"""The guarded client itself: every spelling of a refused address, pinning, redirects,
timeouts, size caps, TLS name checks, and errors that never carry a body."""

from __future__ import annotations

import ipaddress
import time

import pytest
import requests
from flask import Flask, Response, redirect, request

from app import outbound
from tests.support.live import serve

# Cloud metadata services in every spelling the security review found (and more):
# refused even where private networks are allowed.
METADATA = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",  # IPv4-mapped
    "http://[::ffff:a9fe:a9fe]/latest/meta-data/",  # the same, hex
    "http://[::169.254.169.254]/latest/meta-data/",  # IPv4-compatible
    "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",  # NAT64
    "http://[2002:a9fe:a9fe::1]/latest/meta-data/",  # 6to4
    "http://[fd00:ec2::254]/latest/meta-data/",  # AWS over IPv6 (a ULA)
    "http://100.100.100.200/latest/meta-data/",  # Alibaba (carrier-grade NAT range)
    "http://[fe80::a9fe:a9fe]/",  # link-local
    "http://169.254.170.2/v2/credentials",  # ECS task credentials (link-local)
]
# Private, loopback and special addresses: refused unless private networks are allowed.
PRIVATE = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f.0.0.1/",
    "http://017700000001/",
    "http://localhost/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::127.0.0.1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://[fd12:3456::1]/",
    "http://100.64.0.1/",
    "http://[::ffff:10.0.0.1]/",
]
NEVER = [
    "http://0.0.0.0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
]


@pytest.mark.parametrize("url", METADATA + PRIVATE + NEVER)
def test_every_spelling_is_refused_before_connecting(app, url, connections):
    with pytest.raises(outbound.OutboundRefused) as info:
        outbound.session(allow_private=False).get(url)
    assert "refused" in str(info.value)
    assert connections == []


@pytest.mark.parametrize("url", METADATA + NEVER)
def test_metadata_stays_refused_where_private_networks_are_allowed(app, url, connections):
    with pytest.raises(outbound.OutboundRefused):
        outbound.session(allow_private=True).get(url)
    assert connections == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "gopher://x/",
        "http://user:pw@example.com/",
        "//example.com/x",
        "/x",
        "",
    ],
)
def test_only_plain_http_urls(app, url, connections):
    with pytest.raises(requests.RequestException):
        outbound.session().get(url)
    assert connections == []


def test_the_setting_is_off_by_default(monkeypatch, tmp_path):
    from app.settings import load_settings

    monkeypatch.delenv("OUTBOUND_ALLOW_PRIVATE_NETWORKS", raising=False)
    assert load_settings(tmp_path)["OUTBOUND_ALLOW_PRIVATE_NETWORKS"] is False


@pytest.fixture
def server():
    """A loopback server with the routes the tests need; yields its base URL."""
    app = Flask("remote")
    seen: dict[str, str] = {}

    @app.get("/hello")
    def hello():
        seen["host"] = request.headers.get("Host", "")
        return "hello"

    @app.get("/to-metadata")
    def to_metadata():
        return redirect("http://169.254.169.254/latest/meta-data/iam/")

    @app.get("/loop")
    def loop():
        return redirect("/loop")

    @app.get("/big")
    def big():
        return Response(b"x" * (2 * 1024 * 1024), content_type="text/plain")

    @app.get("/drip")
    def drip():
        def slowly():
            for _ in range(40):
                time.sleep(0.1)
                yield b"."

        return Response(slowly(), content_type="text/plain")

    @app.get("/secret-error")
    def secret_error():
        return Response("db_password=hunter2", 500, content_type="text/html; charset=utf-8")

    with serve(app, "127.0.0.1") as base:
        yield base, seen


def test_the_connection_goes_to_the_checked_address_and_keeps_the_name(
    app, server, fake_dns, connections
):
    base, seen = server
    port = base.rsplit(":", 1)[1]
    lookups = fake_dns("lms.rebind.test", ["127.0.0.1", "10.9.9.9"])
    response = outbound.session(allow_private=True).get(f"http://lms.rebind.test:{port}/hello")
    assert response.text == "hello"
    assert seen["host"] == f"lms.rebind.test:{port}"  # the name, not the pinned address
    assert lookups == ["lms.rebind.test"]  # resolved once: a second answer is never asked for
    assert [host for host, _ in connections] == ["127.0.0.1"]


def test_a_dual_stack_name_connects_over_ipv4(app, server, fake_dns, connections):
    base, _seen = server  # listens on 127.0.0.1 only
    port = base.rsplit(":", 1)[1]
    fake_dns("dual.test", ["::1,127.0.0.1"])
    assert outbound.session(allow_private=True).get(f"http://dual.test:{port}/hello").ok
    assert [host for host, _ in connections] == ["127.0.0.1"]


def test_dns_rebinding_cannot_reach_a_private_address(app, server, fake_dns, connections):
    # The name answers a public address to the check, then loopback: the connection still
    # goes to the address that was checked (and the test guard stops it from leaving).
    base, seen = server
    port = base.rsplit(":", 1)[1]
    lookups = fake_dns("lms.rebind.test", ["203.0.114.7", "127.0.0.1"])
    with pytest.raises(requests.ConnectionError):
        outbound.session(allow_private=False).get(f"http://lms.rebind.test:{port}/hello")
    assert "host" not in seen
    assert lookups == ["lms.rebind.test"]
    assert [host for host, _ in connections] == ["203.0.114.7"]


def test_a_name_with_any_private_answer_is_refused(app, fake_dns, connections):
    fake_dns("mixed.test", ["203.0.114.7,10.0.0.5"])
    with pytest.raises(outbound.OutboundRefused) as info:
        outbound.session(allow_private=False).get("http://mixed.test/")
    assert "10.0.0.5" in str(info.value)
    assert connections == []


def test_redirect_to_metadata_is_refused(app, server, connections):
    base, _seen = server
    with pytest.raises(outbound.OutboundRefused) as info:
        outbound.session(allow_private=True).get(f"{base}/to-metadata")
    assert "169.254.169.254" in str(info.value)
    assert all(not host.startswith("169.254") for host, _ in connections)


def test_redirects_are_bounded(app, server):
    base, _seen = server
    with pytest.raises(requests.TooManyRedirects):
        outbound.session(allow_private=True).get(f"{base}/loop")


def test_answers_are_capped(app, server):
    base, _seen = server
    with pytest.raises(outbound.ResponseTooLarge):
        outbound.session(allow_private=True, max_bytes=1024 * 1024).get(f"{base}/big")


def test_a_dripping_server_hits_the_total_timeout(app, server):
    base, _seen = server
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        outbound.session(allow_private=True, total_timeout=1.0).get(f"{base}/drip")
    assert time.monotonic() - started < 2.0


def test_errors_name_status_and_type_never_the_body(app, server):
    base, _seen = server
    response = outbound.session(allow_private=True).get(f"{base}/secret-error")
    assert outbound.describe(response) == "HTTP 500 (text/html)"


def test_tls_name_is_checked_against_the_url_not_the_pinned_address(app, fake_dns, tmp_path):
    import datetime
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lms.tls.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("lms.tls.test")]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    seen = {}
    tls = Flask("tls")

    @tls.get("/")
    def index():
        seen["sni"] = request.environ.get("HTTP_HOST")
        return "secure"

    import threading

    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, tls, threaded=True, ssl_context=context)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        port = httpd.server_port
        fake_dns("lms.tls.test", ["127.0.0.1"])
        fake_dns("impostor.tls.test", ["127.0.0.1"])
        session = outbound.session(allow_private=True)
        ok = session.get(f"https://lms.tls.test:{port}/", verify=str(cert_file))
        assert ok.text == "secure" and seen["sni"] == f"lms.tls.test:{port}"
        with pytest.raises(requests.exceptions.SSLError):
            session.get(f"https://impostor.tls.test:{port}/", verify=str(cert_file))
    finally:
        httpd.shutdown()


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "203.0.114.7",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ],
)
def test_global_addresses_are_allowed_in_every_spelling(address):
    assert outbound.refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("address", "with_setting"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("10.1.2.3", True),
        ("192.168.0.9", True),
        ("fd12:3456::1", True),
        ("100.64.0.1", True),
        ("::ffff:10.0.0.1", True),
        ("169.254.169.254", False),
        ("fe80::1", False),
        ("fd00:ec2::254", False),
        ("100.100.100.200", False),
        ("::ffff:169.254.169.254", False),
        ("0.0.0.0", False),
    ],
)
def test_the_setting_opens_private_networks_but_never_metadata(address, with_setting):
    ip = ipaddress.ip_address(address)
    assert outbound.refusal(ip) is not None
    assert (outbound.refusal(ip, allow_private=True) is None) is with_setting
