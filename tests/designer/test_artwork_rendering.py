"""The designer renders artwork once per save, before writing anything, in the limited child.

A slow file used to hold the database for a minute ("database is locked"): uploads were
drawn four times, twice after a flush. Now every save asks the child process once, while no
row of the save exists yet, and a file the sanitizer or the limits stop leaves no trace.
"""

from __future__ import annotations

import io
import time

import pytest
from sqlalchemy import func, select

import badge_design.artwork
from app.extensions import db
from app.models import Context  # noqa: F401  (loads every model in dependency order first)
from app.openbadges.models import Badge, BadgeImage
from tests.badge_design.hostile_corpus import CORPUS
from tests.designer.conftest import bearer

DESIGN = {"template": "star", "title": "Lab Safety"}


@pytest.fixture
def renders(monkeypatch):
    """Each call to the child process, with what the database held at that moment."""
    calls: list[dict[str, object]] = []
    real = badge_design.artwork.run_limited

    def counted(function, *args, **kwargs):
        calls.append(
            {
                "badges": db.session.scalar(select(func.count()).select_from(Badge)),
                "pending": bool(db.session.new or db.session.dirty),
            }
        )
        return real(function, *args, **kwargs)

    monkeypatch.setattr(badge_design.artwork, "run_limited", counted)
    return calls


def _upload(client, token, name: str, data: bytes):
    form = {"name": "Uploaded", "description": "From a file.", "file": (io.BytesIO(data), name)}
    return client.post(
        "/course/designer/upload",
        data=form,
        headers=bearer(token),
        content_type="multipart/form-data",
    )


def test_a_design_is_rendered_once_before_anything_is_written(client, course, renders):
    response = client.post(
        "/course/designer/save",
        headers=bearer(course.staff_token),
        json={"design": DESIGN, "name": "Lab Safety", "description": "Works safely."},
    )
    assert response.status_code == 200, response.get_json()
    assert renders == [{"badges": 0, "pending": False}]


@pytest.mark.parametrize("name", ["markers_inherited_from_a_group", "nested_patterns"])
def test_an_upload_is_rendered_once_before_anything_is_written(client, course, renders, name):
    response = _upload(client, course.staff_token, f"{name}.svg", CORPUS[name]())
    assert response.status_code == 200, response.get_json()
    assert renders == [{"badges": 0, "pending": False}]
    assert response.get_json()["warnings"]


@pytest.mark.parametrize(
    "name",
    ["markers_on_a_long_path", "tiny_dashes_on_a_long_path", "nested_masks", "huge_mask_surface"],
)
def test_a_costly_upload_is_refused_in_seconds_and_leaves_nothing(client, course, name):
    start = time.monotonic()
    response = _upload(client, course.staff_token, f"{name}.svg", CORPUS[name]())
    assert time.monotonic() - start < 20  # wall clock on a shared machine; CPU: a few ms
    assert response.status_code == 422
    message = response.get_json()["errors"]["file"]
    assert "too complex" in message or "dashed lines" in message
    assert db.session.scalar(select(func.count()).select_from(Badge)) == 0
    assert db.session.scalar(select(func.count()).select_from(BadgeImage)) == 0


def test_a_save_refused_by_a_locked_database_is_written_on_a_fresh_try(
    client, course, renders, monkeypatch
):
    """Under `make run`, the worker commits a sync while the designer's request holds an older
    SQLite snapshot: the first write is refused ("database is locked"). The save is written
    again from a fresh snapshot, and the artwork is not drawn a second time."""
    from sqlalchemy.exc import OperationalError

    import app.designer.operations as designer

    real, refusals = designer.create_badge, []

    def locked_once(*args, **kwargs):
        if not refusals:
            refusals.append(1)
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr(designer, "create_badge", locked_once)
    response = client.post(
        "/course/designer/save",
        headers=bearer(course.staff_token),
        json={"design": DESIGN, "name": "Lab Safety", "description": "Works safely."},
    )
    assert response.status_code == 200, response.get_json()
    assert refusals == [1] and len(renders) == 1
    assert db.session.scalar(select(func.count()).select_from(Badge)) == 1
