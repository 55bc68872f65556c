"""Decisions and changes across the product append audit records, and the chain holds."""

from __future__ import annotations

import json

from sqlalchemy import select

from app import audit
from app.audit import Actor
from app.audit.models import AuditRecord
from app.awards.models import ReviewItem
from app.awards.operations import award_manually, badge_saved, decide_review, revoke_award
from app.extensions import db
from tests.factories import BadgeFactory, CourseFactory, PersonFactory


def _records() -> list[AuditRecord]:
    return list(db.session.scalars(select(AuditRecord).order_by(AuditRecord.seq)))


def test_awards_reviews_revocations_rules_and_registrations_are_recorded(app):
    from app.registrations import operations as registrations

    context = CourseFactory()
    learner = PersonFactory(course=context, name="Lee Learner", email="lee@example.edu")
    other = PersonFactory(course=context, name="Ola Other", email="ola@example.edu")
    badge = BadgeFactory(context=context, name="Foundations")
    before = len(_records())

    assertion = award_manually(badge, learner, Actor("lti_user", "tess"), "finished the project")
    revoke_award(assertion, Actor("lti_user", "tess"), "awarded to the wrong learner")
    item = ReviewItem(
        badge_id=badge.id, user_id=other.id, data={"evidence": ["Quiz: 78 % of 80 % needed"]}
    )
    db.session.add(item)
    db.session.commit()
    decide_review(item, approve=False, actor=Actor("lti_user", "tess"), reason="late submission")
    badge.criteria, badge.enabled = None, False
    badge_saved(badge, Actor("api_key", "key"), requested_by="api:key")
    registration = context.registration
    admin = Actor("admin", "ada@example.edu")
    registrations.set_registration_status(registration.public_id, "disabled", admin)
    registrations.add_deployment(registration, "dep-extra", admin)

    new = _records()[before:]
    actions = [r.action for r in new]
    assert actions == [
        "award.manual_award",
        "assertion.revoked",
        "review.denied",
        "badge.rule_changed",
        "registration.status",
        "registration.deployment_added",
    ], actions
    award = json.loads(new[0].data_json)
    assert new[0].subject == f"assertion:{assertion.public_id}"
    # No request here: each record names the actor its service was given.
    assert [r.actor for r in new] == [
        *["lti_user:tess"] * 3,
        "api_key:key",
        *["admin:ada@example.edu"] * 2,
    ]
    assert award["reason"] == "finished the project"
    assert award["learner"] == learner.public_id and "lee@example.edu" not in new[0].data_json
    assert json.loads(new[2].data_json)["evidence"] == ["Quiz: 78 % of 80 % needed"]
    assert all(r.tenant == registration.public_id for r in new)
    assert json.loads(new[4].data_json)["status"] == "disabled"
    assert audit.verify().ok


def test_cli_awards_are_recorded_and_the_chain_holds(app, runner):
    badge = BadgeFactory(context=CourseFactory(), name="Foundations")
    result = runner.invoke(
        args=[
            "badges",
            "award",
            badge.public_id,
            "--email",
            "ada@example.edu",
            "--name",
            "Ada",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    assertion_id = json.loads(result.output)["assertion_id"]
    recorded = [r for r in _records() if r.action == "award.cli"]
    assert [r.subject for r in recorded] == [f"assertion:{assertion_id}"]
    assert recorded[0].actor == "cli"
    again = runner.invoke(
        args=[
            "badges",
            "award",
            badge.public_id,
            "--email",
            "ada@example.edu",
            "--name",
            "Ada",
            "--json",
        ]
    )
    assert again.exit_code == 0
    assert len([r for r in _records() if r.action == "award.cli"]) == 1  # idempotent
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
