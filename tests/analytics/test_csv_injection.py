"""No CSV the tool writes can make a spreadsheet run a formula, whoever typed the text.

The attack: a learner sets their LMS display name to a formula; the LMS sends it in launches
and in the roster (NRPS); staff open an export in a spreadsheet, which runs it.
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from app.analytics.streaming import csv_chunks, spreadsheet_safe
from app.audit import SYSTEM
from app.awards.operations import badge_saved
from app.extensions import db
from app.grades.sync import sync_course
from app.models import LtiUser
from tests.grades.support import live_assertions, new_badge, new_course

FORMULA_NAME = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_could_start_a_formula_gets_a_leading_quote(text: str) -> None:
    assert spreadsheet_safe(text) == "'" + text
    assert spreadsheet_safe("Ada Lovelace") == "Ada Lovelace"


def test_numbers_stay_numbers_and_text_is_quoted_in_the_written_csv() -> None:
    text = "".join(csv_chunks(("name", "score"), [{"name": "-2", "score": -2}]))
    assert text == "name,score\n'-2,-2\n"


def _rename_in_the_lms(env, slug: str, login: str, given: str, family: str) -> None:
    from lti.sandbox.db import session_scope
    from lti.sandbox.models import Platform, User

    with session_scope(env.sandbox) as s:
        user = s.scalars(
            select(User)
            .join(Platform, Platform.id == User.platform_id)
            .where(Platform.slug == slug, User.login == login)
        ).one()
        user.given_name, user.family_name = given, family


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_formula_in_a_learners_lms_name_is_inert_in_every_export(
    client, admin, registered, browser
):
    course = new_course(registered, browser, learners=3, score_fraction=1.0)
    learner_login = course.info.learner_logins[0]
    given, _, family = FORMULA_NAME.partition(" ")
    _rename_in_the_lms(registered, course.slug, learner_login, given, family)
    sync_course(course.context.id)  # the roster (NRPS) brings the name
    badge = new_badge(course.context, {"column": course.column("Exam").public_id, "min_percent": 0})
    badge_saved(badge, SYSTEM, requested_by="test")  # enabling awards everyone who qualifies
    learner = db.session.scalars(select(LtiUser).where(LtiUser.name == FORMULA_NAME)).one()
    assert learner.id in {a.lti_user_id for a in live_assertions(badge)}

    from app.api.auth import create_key

    _key, secret = create_key(course.context.registration_id)
    exports = {
        "staff": lambda: client.get(
            "/course/analytics/export/assertions.csv", query_string={"lt": course.token}
        ),
        "api": lambda: client.get(
            "/api/v1/exports/assertions",
            query_string={"format": "csv"},
            headers={"Authorization": f"Bearer {secret}"},
        ),
        "console": lambda: admin.get(
            f"/admin/analytics/{course.context.registration.public_id}/export/assertions.csv"
        ),
    }
    for where, fetch in exports.items():
        response = fetch()
        text = response.get_data(as_text=True)  # streamed: read before the next request
        assert response.status_code == 200, (where, text)
        rows = _rows(text)
        # The pages' downloads head their columns for people (app.analytics.exports), the API
        # with the field names.
        names = {row["recipient_name" if where == "api" else "Learner"] for row in rows}
        assert "'" + FORMULA_NAME in names and FORMULA_NAME not in names, where
        assert not any(
            cell.startswith(("=", "+", "-", "@", "\t", "\r"))
            for row in rows
            for cell in row.values()
        ), where
