"""Staff status comes from the course's own roles, never from what a person is elsewhere.

Canvas sends ``institution/person#Instructor`` to anyone who teaches any course of the account,
also in courses where they are a student. These launches come from the sandbox's Canvas, where a
learner of one course teaches another.
"""

from __future__ import annotations

import jwt
import pytest

from app.extensions import db
from app.models import Membership, Registration
from lti.sandbox import seed
from lti.sandbox import vocab as v

ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"
INSTITUTION_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"


@pytest.fixture
def learner_who_teaches_elsewhere(registered):
    """(course id, login): a learner of a new Canvas course who teaches another course."""
    app = registered.sandbox
    seminar = seed.create_course(
        app, "canvas", "Seminar in Ethics", learners=1, tas=0, columns=(("Essay", 10.0),)
    )
    tutoring = seed.create_course(
        app, "canvas", "Peer Tutoring", learners=0, tas=0, columns=(("Attendance", 1.0),)
    )
    login = seminar.learner_logins[0]
    seed.enroll(app, "canvas", tutoring.course_id, login, "teacher")
    return seminar.course_id, login


def test_canvas_sends_institution_instructor_to_a_learner_who_teaches_elsewhere(
    registered, browser, learner_who_teaches_elsewhere
):
    course_id, login = learner_who_teaches_elsewhere
    url = seed.launch_url(registered.sandbox, "canvas", course_id, login)
    form = browser.walk(browser.get(url), stop_at="/lti/launch")
    roles = jwt.decode(form.fields["id_token"], options={"verify_signature": False})[ROLES]
    assert v.ROLE_INST_INSTRUCTOR in roles and v.ROLE_LEARNER in roles
    assert v.ROLE_INSTRUCTOR not in roles


def test_institution_instructor_role_does_not_make_a_learner_staff(
    registered, browser, learner_who_teaches_elsewhere
):
    course_id, login = learner_who_teaches_elsewhere
    final = browser.walk(
        browser.get(seed.launch_url(registered.sandbox, "canvas", course_id, login))
    )
    assert final.status_code == 200, final.text[:400]
    assert final.url.startswith(registered.tool_url + "/course/learner")
    assert Membership.query.one().is_staff is False
    # The learner's token does not open the staff page either.
    token = final.url.split("lt=")[1].split("&")[0]
    staff = browser.get(registered.tool_url + "/course/staff", params={"lt": token})
    assert staff.status_code == 403


def _launch_as_institution_admin(registered, browser, course_id, login):
    """The learner's launch, re-signed by the platform with the institution Administrator role
    added (what Canvas sends an account administrator)."""
    url = seed.launch_url(registered.sandbox, "canvas", course_id, login)
    form = browser.walk(browser.get(url), stop_at="/lti/launch")
    kid, pem = seed.platform_private_key(registered.sandbox, "canvas")
    claims = jwt.decode(form.fields["id_token"], options={"verify_signature": False})
    claims[ROLES] = [*claims[ROLES], INSTITUTION_ADMIN]
    form.fields["id_token"] = jwt.encode(claims, pem, "RS256", headers={"kid": kid})
    return browser.walk(browser.submit(form, form.action))


def test_institution_administrator_is_staff_only_where_the_registration_opts_in(
    registered, browser, runner, learner_who_teaches_elsewhere
):
    course_id, login = learner_who_teaches_elsewhere
    final = _launch_as_institution_admin(registered, browser, course_id, login)
    assert final.url.startswith(registered.tool_url + "/course/learner")

    public_id = (
        Registration.query.filter_by(issuer=registered.platforms["canvas"].issuer).one().public_id
    )
    db.session.rollback()  # end the read: the CLI and the live server write next
    result = runner.invoke(args=["lti", "institution-admins", public_id, "--staff"])
    assert result.exit_code == 0, result.output
    assert "are staff" in result.output
    final = _launch_as_institution_admin(registered, browser, course_id, login)
    assert final.url.startswith(registered.tool_url + "/course/staff"), final.text[:400]

    result = runner.invoke(args=["lti", "institution-admins", public_id, "--not-staff"])
    assert result.exit_code == 0, result.output
    final = _launch_as_institution_admin(registered, browser, course_id, login)
    assert final.url.startswith(registered.tool_url + "/course/learner")
