"""Launch benchmark: Badgebridge beside a bare pylti1p3 tool, through the sandbox Canvas.

Both tools run under gunicorn (``--workers`` x 4 threads, default 1 x 4) in the same run,
registered with the same sandbox Canvas-shaped platform (itself under gunicorn). Each launch is
what a browser does: the sandbox's login initiation form → the tool's ``/lti/login`` → the
sandbox's authorization endpoint (which signs the id_token, RS256) → the tool's
``/lti/launch`` → the tool's page. Every learner launches once first (not measured: the first
launch creates their rows); then ``--launches`` repeat launches at ``--concurrency`` are
measured, the two tools taking turns in rounds so that both see the same machine.

Reported per tool: launches/s, p50/p99 of the whole launch and of the tool's own three
requests, and the tool's CPU per launch read from ``/proc/<pid>/stat`` (utime + stime of the
gunicorn workers, so neither the sandbox nor the load generator is counted), with the goals;
beside it the sandbox's own CPU per launch (its two pages and the key set), so that a slow
platform shows up as the platform.

Usage: ``.venv/bin/python bench/launch.py [--launches 300] [--concurrency 4] [--workers 1]
[--database-url postgresql://…] [--redis-url redis://…/1] [--tree OLDER_CHECKOUT]``. The
PostgreSQL database and the Redis database given are emptied first. ``--tree`` serves
Badgebridge from another checkout (``git archive <commit> | tar -x -C DIR``): before and after
from the same script, each beside the baseline.
"""

from __future__ import annotations

import argparse
import html
import json
import multiprocessing as mp
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._machine import machine_facts  # noqa: E402

SLUG = "canvas"
BARE_CLIENT_ID = "10000000000002"
BARE_DEPLOYMENT_ID = "2:bare-pylti1p3-tool"
CPU_GOAL = 0.5  # our CPU per launch at most half the bare tool's
P99_GOAL_MS = 100.0
_FORM = re.compile(r'<form[^>]*action="([^"]*)"')
_FIELD = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)"')
_AUTH_URL = re.compile(r'data-auth-url="([^"]*)"')
_NEXT_URL = re.compile(r'data-next="([^"]*)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str) -> None:
    import requests

    for _ in range(300):
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


def _gunicorn(
    target: str, port: int, workers: int, env: dict[str, str], cwd: Path = ROOT
) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            target,
        ],
        env=env,
        cwd=cwd,
    )


def _cpu_seconds(master: int) -> float:
    """utime + stime of ``master``'s worker processes (its children), in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:  # fields after the name: state, ppid, …
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _form(page: str) -> tuple[str, dict[str, str]]:
    action = _FORM.search(page)
    if action is None:
        raise AssertionError(f"no form in {page[:300]!r}")
    fields = {html.unescape(k): html.unescape(v) for k, v in _FIELD.findall(page)}
    return html.unescape(action.group(1)), fields


def _launch(session: Any, start_url: str) -> float:
    """One launch as a browser makes it; returns the seconds spent in the tool's requests."""
    from urllib.parse import urljoin

    session.cookies.clear()
    action, fields = _form(session.get(start_url).text)  # the LMS's login initiation
    t0 = time.perf_counter()
    login = session.post(action, data=fields, allow_redirects=False)
    tool = time.perf_counter() - t0
    if login.status_code == 302:
        auth_url = login.headers["Location"]
    else:  # Badgebridge offers the platform's postMessage storage first (Canvas)
        match = _AUTH_URL.search(login.text)
        assert match, login.text[:300]
        auth_url = html.unescape(match.group(1))
    action, fields = _form(session.get(auth_url).text)  # the LMS signs the id_token
    t0 = time.perf_counter()
    launch = session.post(action, data=fields, allow_redirects=False)
    if launch.status_code == 302:
        page_url = urljoin(action, launch.headers["Location"])
    else:
        match = _NEXT_URL.search(launch.text)
        assert match, launch.text[:300]
        page_url = urljoin(action, html.unescape(match.group(1)))
    page = session.get(page_url)
    tool += time.perf_counter() - t0
    assert page.status_code == 200, page.text[:300]
    return tool


def _client(urls: list[str]) -> list[tuple[float, float]]:
    """One concurrent client: its launches one after another, (whole, tool-only) seconds."""
    import requests

    session = requests.Session()
    out = []
    for url in urls:
        start = time.perf_counter()
        tool = _launch(session, url)
        out.append((time.perf_counter() - start, tool))
    return out


def _drive(pool: Any, urls: list[str], concurrency: int) -> tuple[list[tuple[float, float]], float]:
    chunks = [urls[i::concurrency] for i in range(concurrency)]
    start = time.perf_counter()
    results = pool.map(_client, chunks)
    return [x for r in results for x in r], time.perf_counter() - start


def _seed_sandbox(sandbox: Any, tool_url: str, bare_url: str, learners: int) -> dict[str, Any]:
    from lti.sandbox.seed import (
        CANVAS_CLIENT_ID,
        CANVAS_DEPLOYMENT_ID,
        create_course,
        platform_info,
        register_tool,
    )

    courses = {}
    for name, url, client_id, deployment_id in (
        ("badgebridge", tool_url, CANVAS_CLIENT_ID, CANVAS_DEPLOYMENT_ID),
        ("bare", bare_url, BARE_CLIENT_ID, BARE_DEPLOYMENT_ID),
    ):
        register_tool(
            sandbox,
            SLUG,
            url,
            client_id=client_id,
            deployment_id=deployment_id,
            flavour="canvas",
        )
        course = create_course(
            sandbox, SLUG, f"Bench course ({name})", learners=learners, client_id=client_id
        )
        courses[name] = (course, asdict(platform_info(sandbox, SLUG, client_id)))
    return courses


def _setup_badgebridge(
    env: dict[str, str], info: dict[str, Any], postgres: bool, tree: Path
) -> None:
    """Migrate a fresh database and register the sandbox Canvas (a subprocess: the load
    generator's processes must not inherit the tool's connections)."""
    code = f"""
from flask_migrate import upgrade
from app import create_app
from app.extensions import db
from app.registrations.operations import PlatformSpec, save_platform
try:
    from app.audit import SYSTEM
    who = {{"actor": SYSTEM}}
except ImportError:  # an older --tree, from before services were told who acts
    who = {{}}
info = {info!r}
app = create_app()
with app.app_context():
    if {postgres!r}:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade()
    save_platform(PlatformSpec(issuer=info["issuer"], client_id=info["client_id"],
        auth_login_url=info["auth_login_url"], auth_token_url=info["auth_token_url"],
        auth_audience=info["auth_audience"], key_set_url=info["key_set_url"],
        deployment_ids=(info["deployment_id"],), name="Sandbox Canvas", product_family="canvas"),
        **who)
"""
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=tree)


def _bare_config(path: Path, info: dict[str, Any]) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    entry = {
        "default": True,
        "client_id": info["client_id"],
        "auth_login_url": info["auth_login_url"],
        "auth_token_url": info["auth_token_url"],
        "auth_audience": info["auth_audience"],
        "key_set_url": info["key_set_url"],
        "key_set": None,
        "deployment_ids": [info["deployment_id"]],
    }
    path.write_text(json.dumps({"registrations": {info["issuer"]: [entry]}, "private_key": pem}))


def _summary(
    samples: list[tuple[float, float]], wall: float, cpu: float, platform_cpu: float
) -> dict[str, float]:
    whole = sorted(s[0] * 1000 for s in samples)
    tool = sorted(s[1] * 1000 for s in samples)

    def p99(xs: list[float]) -> float:
        return xs[max(0, int(len(xs) * 0.99 + 0.5) - 1)]

    return {
        "launches": len(samples),
        "per_s": len(samples) / wall,
        "p50": statistics.median(whole),
        "p99": p99(whole),
        "tool_p50": statistics.median(tool),
        "tool_p99": p99(tool),
        "cpu_ms": cpu * 1000 / len(samples),
        "platform_cpu_ms": platform_cpu * 1000 / len(samples),
    }


def main() -> None:
    """Start the sandbox and both tools, launch, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--launches", type=int, default=300, help="measured repeat launches")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--learners", type=int, default=50, help="learners per course")
    parser.add_argument("--rounds", type=int, default=3, help="turns the tools take")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per tool")
    parser.add_argument("--database-url", help="PostgreSQL (emptied); default: fresh SQLite")
    parser.add_argument(
        "--redis-url", help="Redis (emptied) for both tools' caches, and our queue and limits"
    )
    parser.add_argument("--only", choices=("badgebridge", "bare"), help="run one tool")
    parser.add_argument(
        "--tree",
        type=Path,
        default=ROOT,
        help="serve Badgebridge from this checkout (e.g. an older commit's, for before/after)",
    )
    args = parser.parse_args()

    from lti.sandbox import create_app as create_sandbox
    from lti.sandbox.seed import launch_url

    tmp = Path(tempfile.mkdtemp(prefix="bench-launch-"))
    ports = {name: _free_port() for name in ("sandbox", "badgebridge", "bare")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    sandbox_config = {
        "SANDBOX_DATABASE_URL": f"sqlite:///{tmp / 'sandbox.db'}",
        "SANDBOX_BASE_URL": urls["sandbox"],
        "SECRET_KEY": "bench-sandbox-secret",
    }
    sandbox = create_sandbox(sandbox_config)
    courses = _seed_sandbox(sandbox, urls["badgebridge"], urls["bare"], args.learners)

    base_env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "HUEY_IMMEDIATE")}
    base_env["PYTHONPATH"] = os.pathsep.join(
        filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))
    )
    if args.redis_url:
        base_env["REDIS_URL"] = args.redis_url
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
    env_ours = {
        **base_env,
        "DATABASE_URL": args.database_url or f"sqlite:///{tmp / 'tool.db'}",
        "SECRET_KEY": "bench-tool-secret",
        "PUBLIC_BASE_URL": urls["badgebridge"],
        "HUEY_SQLITE_PATH": str(tmp / "jobs.db"),  # syncs are queued; no consumer runs
        "OUTBOUND_ALLOW_PRIVATE_NETWORKS": "1",  # the sandbox's key set is on loopback
        "RATE_LIMIT_LTI_LOGIN": "100000/minute",  # every launch comes from one address
    }
    env_ours["PYTHONPATH"] = os.pathsep.join((str(args.tree), base_env["PYTHONPATH"]))
    _setup_badgebridge(env_ours, courses["badgebridge"][1], bool(args.database_url), args.tree)
    _bare_config(tmp / "bare.json", courses["bare"][1])
    env_bare = {**base_env, "BARE_TOOL_CONFIG": str(tmp / "bare.json")}
    env_bare["CACHE_DIR"] = str(tmp / "bare-cache")

    servers = {
        "sandbox": _gunicorn(
            f"lti.sandbox:create_app({sandbox_config!r})",
            ports["sandbox"],
            2,
            {**base_env, "SANDBOX_DATABASE_URL": sandbox_config["SANDBOX_DATABASE_URL"]},
        ),
        "badgebridge": _gunicorn(
            f"app:create_app({{'CACHE_DIR': {str(tmp / 'cache')!r}}})",
            ports["badgebridge"],
            args.workers,
            env_ours,
            args.tree,
        ),
        "bare": _gunicorn(
            "bench.bare_pylti1p3_tool:create_app()", ports["bare"], args.workers, env_bare
        ),
    }
    tools = [args.only] if args.only else ["badgebridge", "bare"]
    results: dict[str, dict[str, float]] = {}
    try:
        for url in urls.values():
            _wait(url + "/")

        def starts(name: str, count: int) -> list[str]:
            course = courses[name][0]
            client_id = courses[name][1]["client_id"]
            logins = course.learner_logins
            return [
                launch_url(
                    sandbox, SLUG, course.course_id, logins[i % len(logins)], client_id=client_id
                )
                for i in range(count)
            ]

        samples: dict[str, list[tuple[float, float]]] = {t: [] for t in tools}
        wall = dict.fromkeys(tools, 0.0)
        cpu = dict.fromkeys(tools, 0.0)
        platform_cpu = dict.fromkeys(tools, 0.0)
        ctx = mp.get_context("fork")
        with ctx.Pool(args.concurrency) as pool:
            for name in tools:  # first launches: every learner once (rows created)
                _drive(pool, starts(name, len(courses[name][0].learner_logins)), args.concurrency)
            per_round = args.launches // args.rounds
            for _round in range(args.rounds):
                for name in tools:
                    batch = starts(name, per_round)
                    before = _cpu_seconds(servers[name].pid)
                    before_platform = _cpu_seconds(servers["sandbox"].pid)
                    got, seconds = _drive(pool, batch, args.concurrency)
                    cpu[name] += _cpu_seconds(servers[name].pid) - before
                    platform_cpu[name] += _cpu_seconds(servers["sandbox"].pid) - before_platform
                    samples[name] += got
                    wall[name] += seconds
        results = {t: _summary(samples[t], wall[t], cpu[t], platform_cpu[t]) for t in tools}
    finally:
        for proc in servers.values():
            proc.send_signal(signal.SIGTERM)
        for proc in servers.values():
            proc.wait(15)
        shutil.rmtree(tmp, ignore_errors=True)

    db = "PostgreSQL" if args.database_url else "SQLite"
    cache = "Redis" if args.redis_url else "file-system cache"
    print(
        f"\nLaunch benchmark: {db} + {cache}; gunicorn {args.workers} worker(s) x 4 threads per "
        f"tool; {args.concurrency} concurrent; {len(next(iter(samples.values())))} repeat "
        "launches per tool through the sandbox Canvas (initiation, login, authorization, "
        f"launch, page); Badgebridge from {args.tree}"
    )
    head = f"{'tool':<32}{'launch/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'tool p50':>9}{'tool p99':>9}"
    print(head + f"{'CPU ms/launch':>14}{'LMS CPU ms':>11}")
    labels = {"badgebridge": "Badgebridge", "bare": "bare pylti1p3 tool (baseline)"}
    for name, r in results.items():
        print(
            f"{labels[name]:<32}{r['per_s']:>9.1f}{r['p50']:>8.1f}{r['p99']:>8.1f}"
            f"{r['tool_p50']:>9.1f}{r['tool_p99']:>9.1f}{r['cpu_ms']:>14.2f}"
            f"{r['platform_cpu_ms']:>11.2f}"
        )
    if len(results) == 2:
        ratio = results["badgebridge"]["cpu_ms"] / results["bare"]["cpu_ms"]
        p99 = results["badgebridge"]["p99"]
        print(
            f"CPU per launch, Badgebridge / baseline: {ratio:.2f} (goal <= {CPU_GOAL}: "
            f"{'met' if ratio <= CPU_GOAL else 'NOT met'}); Badgebridge p99 {p99:.1f} ms "
            f"(goal < {P99_GOAL_MS:.0f} ms: {'met' if p99 < P99_GOAL_MS else 'NOT met'})"
        )
    print("p50/p99: the whole launch incl. the sandbox's two pages; tool p50/p99: the tool's")
    print("three requests (login, launch, page). CPU: the tool's gunicorn workers, /proc;")
    print("LMS CPU: the sandbox's gunicorn workers over the same launches.")
    print(machine_facts())
    print(json.dumps({"workers": args.workers, "database": db, "cache": cache, **results}))


if __name__ == "__main__":
    main()
