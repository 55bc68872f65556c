"""Launch path benchmark: OIDC login + launch + landing page, with gunicorn (2 workers).

The load generator plays the platform: it answers the tool's login redirect by minting the
id_token itself (RS256, as the LMS would), so what is measured is the tool's whole launch path:
``POST /lti/login`` → ``POST /lti/launch`` (signature, nonce, state, upserts) → landing page.
Beside it, from the same run, a trivial endpoint (``/livez``) on the same server gives the
ceiling, so the ratio survives a noisy machine.

Usage: ``.venv/bin/python bench/launch.py [--seconds 20] [--concurrency 8]``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._machine import machine_facts  # noqa: E402

ISSUER = "https://bench-lms.example"
CLIENT_ID = "bench-client"
DEPLOYMENT = "1"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup(env: dict[str, str], private_pem: str, kid: str) -> None:
    """Migrate a fresh database and register the bench platform with an inline key set."""
    code = f"""
import json, jwt
from flask_migrate import upgrade
from app import create_app
from lti.registrations import PlatformSpec, save_platform
from cryptography.hazmat.primitives.serialization import load_pem_private_key
app = create_app()
with app.app_context():
    upgrade()
    key = load_pem_private_key({private_pem!r}.encode(), None).public_key()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key))
    jwk.update(kid={kid!r}, alg="RS256", use="sig")
    save_platform(PlatformSpec(issuer={ISSUER!r}, client_id={CLIENT_ID!r},
        auth_login_url={ISSUER!r} + "/auth", auth_token_url={ISSUER!r} + "/token",
        key_set={{"keys": [jwk]}}, deployment_ids=({DEPLOYMENT!r},)))
"""
    subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL
    )


def _claims(nonce: str, user: int) -> dict:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": f"user-{user}",
        "nonce": nonce,
        "iat": now,
        "exp": now + 60,
        "name": f"Learner {user}",
        "email": f"l{user}@example.edu",
        CLAIM + "deployment_id": DEPLOYMENT,
        CLAIM + "version": "1.3.0",
        CLAIM + "message_type": "LtiResourceLinkRequest",
        CLAIM + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
        CLAIM + "resource_link": {"id": "rl-1", "title": "Badges"},
        CLAIM + "context": {"id": f"course-{user % 20}", "title": "Bench course"},
        CLAIM + "target_link_uri": "",
    }


def _worker(args: tuple[str, str, str, str, float, int, int]) -> list[float]:
    """One client process: ``threads`` threads, each launching in a loop until the deadline."""
    import threading

    import jwt
    import requests
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    base, mode, pem, kid, deadline, threads, seed = args
    # Parse the key once: OpenSSL's PEM load checks the RSA key and costs ~18 ms per call.
    key = load_pem_private_key(pem.encode(), None)
    latencies: list[float] = []
    lock = threading.Lock()

    def loop(n: int) -> None:
        session = requests.Session()
        # A realistic class: the same 500 learners (20 courses) launch again and again.
        user = seed * 1000 + n * 100
        while time.time() < deadline:
            start = time.perf_counter()
            if mode == "livez":
                session.get(base + "/livez").raise_for_status()
            else:
                user = (user + 1) % 500
                session.cookies.clear()
                login = session.post(
                    base + "/lti/login",
                    allow_redirects=False,
                    data={
                        "iss": ISSUER,
                        "client_id": CLIENT_ID,
                        "login_hint": str(user),
                        "target_link_uri": base + "/lti/launch",
                        "lti1p3_new_window": "1",
                    },
                )
                query = parse_qs(urlsplit(login.headers["Location"]).query)
                token = jwt.encode(
                    _claims(query["nonce"][0], user), key, "RS256", headers={"kid": kid}
                )
                launch = session.post(
                    base + "/lti/launch",
                    allow_redirects=False,
                    data={"id_token": token, "state": query["state"][0]},
                )
                assert launch.status_code == 302, launch.text[:300]
                landing = session.get(base + launch.headers["Location"])
                assert landing.status_code == 200, landing.text[:300]
            with lock:
                latencies.append(time.perf_counter() - start)

    pool = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies


def _run(
    base: str, mode: str, pem: str, kid: str, seconds: float, concurrency: int, processes: int
) -> dict[str, float]:
    deadline = time.time() + seconds
    per = max(1, concurrency // processes)
    with mp.Pool(processes) as pool:
        results = pool.map(
            _worker, [(base, mode, pem, kid, deadline, per, i) for i in range(processes)]
        )
    lat = sorted(x for r in results for x in r)
    return {
        "count": len(lat),
        "rate": len(lat) / seconds,
        "p50": statistics.median(lat) * 1000,
        "p99": lat[int(len(lat) * 0.99) - 1] * 1000,
    }


def main() -> None:
    """Start gunicorn on a fresh SQLite database, load it, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--processes", type=int, default=2, help="load generator processes")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    tmp = Path(tempfile.mkdtemp(prefix="bench-launch-"))
    pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    kid = uuid.uuid4().hex
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url or f"sqlite:///{tmp / 'bench.db'}",
        "SECRET_KEY": "bench",
        "PUBLIC_BASE_URL": base,
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    _setup(env, pem, kid)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "app:create_app()",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        _run(base, "launch", pem, kid, 2, args.concurrency, args.processes)  # warm up
        ceiling = _run(base, "livez", pem, kid, args.seconds, args.concurrency, args.processes)
        launch = _run(base, "launch", pem, kid, args.seconds, args.concurrency, args.processes)
    finally:
        server.terminate()
        server.wait(10)
    db = "SQLite" if not args.database_url else args.database_url.split(":")[0]
    print(
        f"\nLaunch benchmark (gunicorn 2 workers, {db}, {args.concurrency} concurrent clients, "
        f"{args.seconds:.0f} s each)"
    )
    print(f"{'what':<44}{'per s':>10}{'p50 ms':>10}{'p99 ms':>10}{'n':>8}")
    for name, r in (
        ("full launch (login + launch + landing page)", launch),
        ("trivial endpoint /livez (ceiling)", ceiling),
    ):
        print(f"{name:<44}{r['rate']:>10.1f}{r['p50']:>10.1f}{r['p99']:>10.1f}{r['count']:>8}")
    print(
        f"ratio: one full launch costs as much as {ceiling['rate'] / launch['rate']:.1f} "
        f"trivial requests (3 HTTP requests per launch)"
    )
    print(machine_facts())
    print(json.dumps({"launch": launch, "ceiling": ceiling}))


if __name__ == "__main__":
    main()
