"""Rate limits on anonymous endpoints, and no storage written for an unregistered LTI login."""

from __future__ import annotations

from pathlib import Path

import pytest

LOGIN = {
    "iss": "https://unknown-lms.example",
    "login_hint": "u1",
    "client_id": "nobody",
    "target_link_uri": "http://localhost/lti/launch",
}


@pytest.fixture
def low_limits(app):
    """Limits low enough to reach in a test; the defaults are put back afterwards."""
    names = ("RATE_LIMIT_LTI_LOGIN", "RATE_LIMIT_PUBLIC_PAGES", "RATE_LIMIT_SHARE")
    saved = {name: app.config[name] for name in names}
    app.config.update(dict.fromkeys(names, "3/minute"))
    yield
    app.config.update(saved)


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/lti/login", {"query_string": LOGIN}),
        ("post", "/lti/login", {"data": LOGIN}),
        ("get", "/ob/verify/no-such-award", {}),
        ("get", "/ob/v2/assertions/no-such-award", {}),
        ("post", "/share/no-such-award/linkedin_profile", {}),
    ],
)
def test_anonymous_endpoints_are_rate_limited_per_address(client, low_limits, method, path, kwargs):
    call = getattr(client, method)
    answers = [call(path, **kwargs).status_code for _ in range(3)]
    assert 429 not in answers
    limited = call(path, **kwargs)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    # Another address has its own budget.
    other = call(path, environ_base={"REMOTE_ADDR": "203.0.113.9"}, **kwargs)
    assert other.status_code != 429


def test_default_limits_leave_ordinary_use_alone(client):
    answers = {client.get("/ob/verify/no-such-award").status_code for _ in range(20)}
    assert answers == {404}


def _cache_files(app) -> set[Path]:
    return set(Path(app.config["CACHE_DIR"]).rglob("*"))


@pytest.mark.parametrize(
    "extra", [{}, {"lti1p3_new_window": "1"}, {"lti_storage_target": "_parent"}]
)
def test_a_login_from_an_unregistered_platform_writes_nothing(app, client, extra):
    if app.config.get("CACHE_TYPE") != "FileSystemCache":
        pytest.skip("counts cache files: the file-system cache only")
    # A first login warms what every request shares (the registrations' version stamp);
    # from then on an unregistered platform's logins must leave no trace, however many.
    client.get("/lti/login", query_string={**LOGIN, "iss": "https://warm-up.example"})
    before = _cache_files(app)
    response = client.get("/lti/login", query_string={**LOGIN, **extra})
    assert response.status_code in (200, 400, 403)
    assert _cache_files(app) == before


@pytest.fixture
def behind_one_proxy(app):
    """The application as deployed behind one reverse proxy (TRUSTED_PROXY_HOPS=1)."""
    from app import trust_proxies

    plain = app.wsgi_app
    trust_proxies(app, 1)
    yield
    app.wsgi_app = plain


def test_behind_a_proxy_each_client_has_its_own_budget(client, low_limits, behind_one_proxy):
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # every request arrives from the proxy

    def ask(client_address: str) -> int:
        return client.get(
            "/ob/verify/no-such-award",
            environ_base=proxy,
            headers={"X-Forwarded-For": client_address},
        ).status_code

    assert [ask("198.51.100.7") for _ in range(4)][-1] == 429
    assert ask("198.51.100.8") == 404  # another client behind the same proxy


def test_the_limiter_runs_only_on_routes_with_a_limit(client, monkeypatch):
    from app.extensions import limiter

    resolved: list[str | None] = []
    resolve = limiter.limit_manager.resolve_limits

    def spy(app, endpoint=None, *args, **kwargs):
        resolved.append(endpoint)
        return resolve(app, endpoint, *args, **kwargs)

    monkeypatch.setattr(limiter.limit_manager, "resolve_limits", spy)
    plain = client.get("/lti/launch")  # the launch URL's explanation page: no limit
    assert plain.status_code == 200
    assert "X-RateLimit-Limit" not in plain.headers
    assert resolved == []
    limited = client.get("/lti/login", query_string=LOGIN)
    assert resolved == ["lti.login"]  # once, by its own limit's decorator
    assert "X-RateLimit-Limit" in limited.headers
    assert client.get("/ob/verify/no-such-award").headers["X-RateLimit-Limit"]  # a blueprint's


def test_counting_logins_starts_no_thread_per_login(app, client, low_limits, monkeypatch):
    """Without Redis, limits count in memory; sweeping expired counters must not start a
    thread per counted hit (limits' own memory storage restarts a 10 ms timer each time)."""
    import threading
    import time

    if app.config["RATELIMIT_STORAGE_URI"] != "swept-memory://":
        pytest.skip("the in-memory storage only")
    started: list[threading.Timer] = []
    real_start = threading.Timer.start

    def start(timer: threading.Timer) -> None:
        started.append(timer)
        real_start(timer)

    monkeypatch.setattr(threading.Timer, "start", start)
    answers = []
    for _ in range(4):
        answers.append(client.get("/lti/login", query_string=LOGIN).status_code)
        time.sleep(0.02)  # longer than limits' 10 ms timer: each hit would start another
    assert answers[-1] == 429  # still counted: 3 per minute
    assert len(started) <= 1
