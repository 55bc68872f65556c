"""Who acts: the request (or command) names the actor once, services record what they are given."""

from __future__ import annotations

from types import SimpleNamespace

import click
import pytest
from flask import g
from sqlalchemy import select

from app import audit
from app.audit import CLI, PIPELINE, SYSTEM, Actor, Entry
from app.audit.models import AuditRecord
from app.awards.models import AwardDecision
from app.awards.operations import revoke
from app.extensions import db
from tests.factories import AwardFactory, PersonFactory


def test_the_stored_forms_are_the_trails():
    assert str(Actor("api_key", "k1")) == "api_key:k1"
    assert str(Actor("admin", "ada@example.edu")) == "admin:ada@example.edu"
    assert str(PIPELINE) == "system:pipeline"
    assert (str(SYSTEM), str(CLI)) == ("system", "cli")


def test_staff_are_named_by_public_id_and_name(app):
    named, unnamed = PersonFactory(name="Tess Teacher"), PersonFactory(name="")
    assert str(Actor.staff(named)) == f"staff:{named.public_id} Tess Teacher"
    assert str(Actor.staff(unnamed)) == f"staff:{unnamed.public_id}"


@pytest.mark.parametrize(
    ("held", "expected"),
    [
        ({"api_key": SimpleNamespace(public_id="key1")}, Actor("api_key", "key1")),
        (
            {"admin_user": SimpleNamespace(email="ada@example.edu")},
            Actor("admin", "ada@example.edu"),
        ),
        # A key wins over a console session held in the same request.
        (
            {
                "api_key": SimpleNamespace(public_id="key1"),
                "admin_user": SimpleNamespace(email="ada@example.edu"),
            },
            Actor("api_key", "key1"),
        ),
        ({}, SYSTEM),  # a request nobody signed (a platform's registration handshake)
    ],
)
def test_a_request_names_its_actor(app, held, expected):
    with app.test_request_context("/"):
        for name, value in held.items():
            setattr(g, name, value)
        assert Actor.from_request() == expected


def test_a_launched_user_is_named_by_public_id(app):
    person = PersonFactory()
    with app.test_request_context("/"):
        g.launch_session = SimpleNamespace(user_id=person.id)
        assert Actor.from_request() == Actor("lti_user", person.public_id)


def test_outside_a_request_the_cli_or_the_system_acts(app):
    with click.Context(click.Command("award")):
        assert Actor.from_request() == CLI
    assert Actor.from_request() == SYSTEM


def test_a_service_records_the_actor_it_is_given_whoever_the_request_names(app):
    assertion = AwardFactory()
    admin = Actor("admin", "ada@example.edu")
    with app.test_request_context("/"):
        g.api_key = SimpleNamespace(public_id="someone-else")
        revoke(assertion, "issued in error", actor=admin)
    record = db.session.scalars(
        select(AuditRecord).where(AuditRecord.subject == f"assertion:{assertion.public_id}")
    ).one()
    decision = db.session.scalars(
        select(AwardDecision).where(AwardDecision.assertion_id == assertion.id)
    ).one()
    assert (record.action, record.actor, decision.actor) == (
        "assertion.revoked",
        "admin:ada@example.edu",
        "admin:ada@example.edu",
    )


def test_an_entry_without_an_actor_is_refused(app):
    with pytest.raises(ValueError, match="actor"):
        audit.record_many([Entry("award.manual", "assertion:x", {})])
