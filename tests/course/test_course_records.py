import pytest

from app.course.operations import (
    LaunchFacts,
    PersonFacts,
    is_staff_role,
    record_launch,
)
from app.models import Context, LtiUser, Membership
from tests.factories import DeploymentFactory

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


@pytest.mark.parametrize(
    ("roles", "staff"),
    [
        ([MEMBERSHIP + "Instructor"], True),
        ([MEMBERSHIP + "Instructor#TeachingAssistant"], True),
        ([MEMBERSHIP + "ContentDeveloper"], True),
        (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"], False),
        (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"], False),
        (["http://purl.imsglobal.org/vocab/lis/v2/system/person#SysAdmin"], False),
        (["Instructor"], True),  # Moodle's NRPS short names
        (["TeachingAssistant"], True),
        ([MEMBERSHIP + "Learner"], False),
        (
            [
                "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student",
                MEMBERSHIP + "Learner",
                "http://purl.imsglobal.org/vocab/lis/v2/system/person#User",
            ],
            False,
        ),
        ([MEMBERSHIP + "Mentor"], False),
        ([], False),
    ],
)
def test_role_mapping(roles, staff):
    assert is_staff_role(roles) is staff


@pytest.mark.parametrize(
    ("role", "staff"),
    [
        ("http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator", True),
        ("http://purl.imsglobal.org/vocab/lis/v2/system/person#SysAdmin", True),
        ("http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor", False),
    ],
)
def test_institution_administrators_count_only_when_opted_in(role, staff):
    assert is_staff_role([role, MEMBERSHIP + "Learner"], institution_admins=True) is staff


def _facts(reg, dep, **person):
    return LaunchFacts(
        registration_id=reg.id,
        deployment_id=dep.id,
        person=PersonFacts(issuer=reg.issuer, sub="42", **person),
        lti_context_id="course-1",
        context_title="Biology 101",
        context_label="BIO101",
        roles=[MEMBERSHIP + "Learner"],
    )


def test_record_launch_upserts_and_never_erases_known_values(app):
    dep = DeploymentFactory()
    reg = dep.registration
    first = record_launch(_facts(reg, dep, name="Ada Lovelace", email="ada@example.edu"))
    second = record_launch(_facts(reg, dep, name="", email=None))  # LMS sent no PII this time
    assert first == second
    user = LtiUser.query.one()
    assert (user.name, user.email) == ("Ada Lovelace", "ada@example.edu")
    assert Context.query.one().title == "Biology 101"
    membership = Membership.query.one()
    assert membership.is_staff is False and membership.active is True
