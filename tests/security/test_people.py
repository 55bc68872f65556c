"""Per-person export and erasure, from the API and the console: revoke and forget, the audit
chain still verifies."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.audit.chain import verify as verify_chain
from app.extensions import db
from app.grades.models import Grade
from app.models import AuditRecord, LtiUser, Membership
from app.openbadges.models import Assertion
from tests.api.test_pipeline_api import create_key
from tests.factories import (
    AwardFactory,
    BadgeFactory,
    ColumnFactory,
    CourseFactory,
    GradeFactory,
    PersonFactory,
)
from tests.support.admin import csrf_of


@pytest.fixture
def ana(app):
    course = CourseFactory(title="Biology 101")
    ana = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    column = ColumnFactory(context=course, label="Quiz 1", score_maximum=10)
    GradeFactory(column=column, user=ana, score=9, timestamp=datetime(2025, 3, 1, tzinfo=UTC))
    badge = BadgeFactory(context=course, name="Cell Biology")
    AwardFactory(badge=badge, user=ana)
    return ana


@pytest.fixture
def admin_key(app):
    _key, secret = create_key(None)
    return {"Authorization": f"Bearer {secret}"}


def test_export_holds_everything_about_the_person(client, ana, admin_key):
    data = client.get("/api/v1/people/export?email=ANA@example.org", headers=admin_key).json
    assert data["lms_identities"][0]["name"] == "Ana Lima"
    assert data["grades"][0]["score"] == 9 and data["grades"][0]["column"] == "Quiz 1"
    assert data["courses"][0]["course"] == "Biology 101"
    assert data["awards"][0]["badge"] == "Cell Biology" and data["awards"][0]["credential"]
    by_id = client.get(f"/api/v1/people/export?user_id={ana.public_id}", headers=admin_key)
    assert by_id.json["awards"][0]["id"] == data["awards"][0]["id"]
    exports = db.session.scalars(
        select(AuditRecord).where(AuditRecord.action == "person.exported")
    ).all()
    assert len(exports) == 2 and "ana@" not in exports[0].data_json


def test_only_admin_keys_and_known_people(client, ana, admin_key):
    membership = db.session.scalars(select(Membership)).first()
    _key, secret = create_key(membership.context.registration_id)
    tenant = client.get(
        "/api/v1/people/export?email=ana@example.org", headers={"Authorization": f"Bearer {secret}"}
    )
    assert tenant.status_code == 403 and tenant.json["error"] == "forbidden"
    nobody = client.get("/api/v1/people/export?email=nobody@example.org", headers=admin_key)
    assert nobody.status_code == 404 and nobody.json["error"] == "not_found"
    missing = client.post("/api/v1/people/erase", headers=admin_key, json={})
    assert missing.status_code == 422 and missing.json["field"] == "user_id"


def test_erasure_revokes_and_forgets_and_the_chain_still_verifies(client, ana, admin_key):
    assertion_id = db.session.scalar(select(Assertion.public_id))
    done = client.post("/api/v1/people/erase", headers=admin_key, json={"email": "ana@example.org"})
    assert done.status_code == 200, done.json
    assert done.json == {
        "awards_revoked": 1,
        "awards_forgotten": 1,
        "lms_identities_deleted": 1,
        "emails_deleted": 0,
    }
    db.session.expire_all()
    row = db.session.scalars(select(Assertion)).one()
    assert row.revoked and row.recipient_email is None and row.recipient_name == ""
    assert row.lti_user_id is None and "ana@" not in row.recipient_key
    for model in (LtiUser, Grade, Membership):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
    public = json.loads(client.get(f"/ob/v2/assertions/{assertion_id}").data)
    assert public["revoked"] is True
    assert "Ana" not in client.get(f"/ob/verify/{assertion_id}").text
    assert verify_chain().ok
    again = client.post(
        "/api/v1/people/erase", headers=admin_key, json={"email": "ana@example.org"}
    )
    assert again.status_code == 404


def test_console_export_and_erase(admin, ana):
    page = admin.get("/admin/people/?email=ana@example.org")
    assert page.status_code == 200 and "grades: 1" in page.text
    download = admin.get("/admin/people/export?email=ana@example.org")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.json["lms_identities"][0]["email"] == "ana@example.org"
    refused = admin.post("/admin/people/erase?email=ana@example.org")
    assert refused.status_code == 400  # no CSRF token
    done = admin.post(
        "/admin/people/erase?email=ana@example.org",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=True,
    )
    assert "1 awards revoked" in done.text
    assert db.session.scalar(select(func.count()).select_from(LtiUser)) == 0
