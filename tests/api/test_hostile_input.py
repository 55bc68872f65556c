"""Hostile and malformed input to /api/v1: every answer is JSON with a code and a field, no 500."""

from __future__ import annotations

import json

import pytest

ROUTES_WITH_BODIES = [
    ("post", "/api/v1/issuers"),
    ("post", "/api/v1/badges"),
    ("post", "/api/v1/webhooks"),
]


def _issuer_and_badge(client, headers) -> str:
    client.post(
        "/api/v1/issuers",
        headers=headers,
        json={"name": "One U", "url": "https://one.example", "email": "b@one.example"},
    )
    badge = client.post(
        "/api/v1/badges",
        headers=headers,
        json={"name": "Teamwork", "description": "Works in teams"},
    )
    assert badge.status_code == 201, badge.json
    return badge.json["id"]


def _error(response, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.is_json, response.content_type
    assert response.json["error"] == code
    if field is not None:
        assert response.json["field"] == field


@pytest.mark.parametrize(("method", "path"), ROUTES_WITH_BODIES)
def test_deeply_nested_json_is_refused(client, keys, method, path):
    _admin, one, _two = keys
    deep = "[" * 2000 + "]" * 2000
    response = getattr(client, method)(
        path,
        headers={**one, "Content-Type": "application/json"},
        data=json.dumps({"name": "x"})[:-1] + f', "d": {deep}}}',
    )
    _error(response, 400, "too_deep")


def test_deep_json_on_patch_and_award(client, keys):
    _admin, one, _two = keys
    badge_id = _issuer_and_badge(client, one)
    deep = '{"criteria": ' + '{"all": [' * 1500 + "]}" * 1500 + "}"
    headers = {**one, "Content-Type": "application/json"}
    _error(client.patch(f"/api/v1/badges/{badge_id}", headers=headers, data=deep), 400, "too_deep")
    _error(
        client.post(f"/api/v1/badges/{badge_id}/assertions", headers=headers, data=deep),
        400,
        "too_deep",
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tags": "not a list"}, "/tags"),
        ({"tags": ["ok", 2]}, "/tags/1"),
        ({"name": 5}, "/name"),
        ({"enabled": "yes"}, "/enabled"),
        ({"design": "a string"}, "/design"),
        ({"expires_days": 10**20}, "/expires_days"),
        ({"alignments": ["x"]}, "/alignments/0"),
        ({"context_id": {"a": 1}}, "/context_id"),
        ({"name": "x" * 301}, "/name"),
        ({"name": "nul\x00byte"}, "/name"),
    ],
)
def test_wrong_types_in_badge_patch_are_422_with_the_field(client, keys, change, field):
    _admin, one, _two = keys
    badge_id = _issuer_and_badge(client, one)
    _error(
        client.patch(f"/api/v1/badges/{badge_id}", headers=one, json=change), 422, "invalid", field
    )


def test_strings_longer_than_their_column_and_nul_are_refused(client, keys):
    _admin, one, _two = keys
    too_long = client.post(
        "/api/v1/issuers",
        headers=one,
        json={"name": "n" * 301, "url": "https://one.example", "email": "b@one.example"},
    )
    _error(too_long, 422, "invalid", "/name")
    nul = client.post(
        "/api/v1/issuers",
        headers=one,
        json={"name": "One", "url": "https://one.example", "email": "b\x00@one.example"},
    )
    _error(nul, 422, "invalid", "/email")
    badge_id = _issuer_and_badge(client, one)
    award = client.post(
        f"/api/v1/badges/{badge_id}/assertions",
        headers=one,
        json={"email": "a@example.org", "name": "N" * 301},
    )
    _error(award, 422, "invalid", "/name")
    nan = client.post(
        f"/api/v1/badges/{badge_id}/assertions",
        headers={**one, "Content-Type": "application/json"},
        data='{"email": "a@example.org", "name": NaN}',
    )
    _error(nan, 400, "bad_request")
    _error(client.get("/api/v1/badges/abc%00def", headers=one), 400, "bad_request", "public_id")
    _error(client.get("/api/v1/badges?status=a%00b", headers=one), 400, "bad_request", "status")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=99999999999999999999", "page"),
        ("page=0", "page"),
        ("per_page=abc", "per_page"),
        ("page=" + "9" * 5000, "page"),
    ],
)
def test_paging_parameters_are_bounded(client, keys, query, field):
    _admin, one, _two = keys
    _error(client.get(f"/api/v1/badges?{query}", headers=one), 400, "bad_request", field)


def test_webhook_limit_must_be_a_number(client, keys):
    _admin, one, _two = keys
    _error(
        client.get("/api/v1/webhooks/whatever?limit=abc", headers=one), 400, "bad_request", "limit"
    )


def test_crlf_in_a_paged_query_never_reaches_the_link_header(client, keys):
    _admin, one, _two = keys
    _issuer_and_badge(client, one)
    client.post("/api/v1/badges", headers=one, json={"name": "Second", "description": "d"})
    response = client.get("/api/v1/badges?per_page=1&x=a%0D%0ASet-Cookie:%20evil=1", headers=one)
    assert response.status_code == 200
    link = response.headers["Link"]
    assert "\r" not in link and "\n" not in link and "Set-Cookie" not in response.headers
    assert "x=a%0D%0ASet-Cookie%3A+evil%3D1" in link and "page=2" in link


def test_errors_outside_the_routes_are_json(client, keys):
    _admin, one, _two = keys
    html = {"Accept": "text/html"}
    _error(client.get("/api/v1/no-such-thing", headers={**one, **html}), 404, "not_found")
    _error(client.delete("/api/v1/badges", headers={**one, **html}), 405, "method_not_allowed")
    big = client.post(
        "/api/v1/badges",
        headers={**one, "Content-Type": "application/json"},
        data=b'{"name": "' + b"x" * (3 * 1024 * 1024) + b'"}',
    )
    _error(big, 413, "request_entity_too_large")


def test_an_unexpected_error_is_json(app, client, keys, monkeypatch):
    _admin, one, _two = keys

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("app.api.issuers.issuer_json", broken)
    client.post(
        "/api/v1/issuers",
        headers=one,
        json={"name": "One U", "url": "https://one.example", "email": "b@one.example"},
    )
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.get("/api/v1/issuers", headers={**one, "Accept": "text/html"})
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    _error(response, 500, "internal_error")
    assert "boom" not in response.get_data(as_text=True)
