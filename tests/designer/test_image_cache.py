"""Saved artwork is served from the process cache: no database trip, same bytes and ETags."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from app.artwork import badge_artwork
from app.extensions import db
from app.openbadges import badges, image_cache
from tests.factories import BadgeFactory, IssuerFactory


@pytest.fixture
def badge(app):
    return BadgeFactory(
        issuer=IssuerFactory(name="Example U"),
        name="Cached",
        description="A cached badge.",
        criteria_narrative="Be cached.",
        artwork=badge_artwork("Cached", design={"title": "Cached", "template": "shield"}),
    )


def _count_queries():
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    return statements, lambda: event.remove(db.engine, "before_cursor_execute", record)


def test_second_fetch_needs_no_database_and_revalidates(client, badge):
    path = f"/ob/badges/{badge.public_id}/image/1.png"
    image_cache.clear()
    first = client.get(path)
    statements, stop = _count_queries()
    try:
        second = client.get(path)
        not_modified = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        svg = client.get(path.replace(".png", ".svg"))
    finally:
        stop()
    assert statements == []
    assert second.data == first.data and second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Cache-Control"] == "public, max-age=31536000"
    assert not_modified.status_code == 304
    assert svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<svg")


def test_a_new_version_is_served_beside_the_old_one(client, badge):
    old = client.get(f"/ob/badges/{badge.public_id}/image/1.png").data
    badges.save_artwork(
        badge, badge_artwork("Cached", design={"title": "Redesigned", "template": "star"})
    )
    db.session.commit()
    new = client.get(f"/ob/badges/{badge.public_id}/image/2.png").data
    assert new != old
    assert client.get(f"/ob/badges/{badge.public_id}/image/1.png").data == old


def test_unknown_versions_are_not_cached(client, badge):
    assert client.get(f"/ob/badges/{badge.public_id}/image/9.png").status_code == 404
    assert image_cache.get(badge.public_id, 9) is None


def test_budget_evicts_least_recently_used(monkeypatch):
    image_cache.clear()
    monkeypatch.setattr(image_cache, "MAX_BYTES", 250)
    image_cache.put("a", 1, b"x" * 100, None)
    image_cache.put("b", 1, b"y" * 100, None)
    assert image_cache.get("a", 1) is not None  # "a" is now the most recently used
    image_cache.put("c", 1, b"z" * 100, None)
    assert image_cache.get("b", 1) is None
    assert image_cache.get("a", 1) is not None and image_cache.get("c", 1) is not None
    image_cache.clear()


def test_entries_expire(monkeypatch):
    image_cache.clear()
    image_cache.put("a", 1, b"x", None)
    monkeypatch.setattr(image_cache, "TTL_SECONDS", -1.0)
    assert image_cache.get("a", 1) is None
