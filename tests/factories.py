"""factory_boy factories for the core rows: a platform and its deployment, a course, people,
issuers, badges, gradebook columns and grades, awards.

Rows the services only store (registrations, courses, people, columns, grades) are written
as they are. Rows a service computes (an issuer's signing keys, a badge's rendered artwork,
an award's signed credential and status-list slot) are made by calling that service, so a
test never meets a state the product could not have produced.

Call a factory to create (``CourseFactory(title=...)``); ``.build()`` is not supported by
the service-made ones. Every factory commits: the test client's requests run in their own
app context and session, and see only committed rows.
"""

from __future__ import annotations

from typing import Any

import factory
from factory.alchemy import SQLAlchemyModelFactory

from app.artwork import badge_artwork
from app.extensions import db
from app.grades import jobs
from app.grades.models import Column, Grade, Job, JobState
from app.launch_session import LaunchSession
from app.models import Context, Deployment, LtiUser, Membership, Registration
from app.models.base import utcnow
from app.openbadges import badges, issuers, operations
from app.openbadges.models import Assertion, Badge, Issuer


class _Factory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session = db.session  # scoped to the app context, as the app's own code
        sqlalchemy_session_persistence = "commit"


class RegistrationFactory(_Factory):
    """A platform (issuer + client_id), active, with a key set URL as the service requires."""

    class Meta:
        model = Registration

    name = "Example LMS"
    issuer = factory.Sequence(lambda n: f"https://lms{n}.example.edu")
    client_id = factory.Sequence(lambda n: f"client-{n}")
    auth_login_url = factory.LazyAttribute(lambda o: f"{o.issuer}/auth")
    auth_token_url = factory.LazyAttribute(lambda o: f"{o.issuer}/token")
    key_set_url = factory.LazyAttribute(lambda o: f"{o.issuer}/jwks")


class DeploymentFactory(_Factory):
    """A deployment of the tool inside a registration."""

    class Meta:
        model = Deployment

    registration = factory.SubFactory(RegistrationFactory)
    deployment_id = factory.Sequence(lambda n: f"dep-{n}")


class CourseFactory(_Factory):
    """An LMS course (LTI context) in its own deployment of its own platform."""

    class Meta:
        model = Context

    deployment = factory.SubFactory(DeploymentFactory)
    registration = factory.SelfAttribute("deployment.registration")
    lti_context_id = factory.Sequence(lambda n: f"course-{n}")
    title = "Biology 101"


class MembershipFactory(_Factory):
    """A person's roles in a course, as a roster sync records them: Instructor for staff,
    Learner otherwise."""

    class Meta:
        model = Membership

    context = factory.SubFactory(CourseFactory)
    user = factory.SubFactory(
        "tests.factories.PersonFactory",
        issuer=factory.SelfAttribute("..context.registration.issuer"),
    )
    is_staff = False
    roles = factory.LazyAttribute(lambda o: ["Instructor" if o.is_staff else "Learner"])


class PersonFactory(_Factory):
    """A person as a platform knows them; ``course=`` also enrols them there
    (``staff=True``: as an instructor), on that course's platform."""

    class Meta:
        model = LtiUser

    class Params:
        course = None
        staff = False

    issuer = factory.LazyAttribute(
        lambda o: o.course.registration.issuer if o.course else "https://lms.example.edu"
    )
    sub = factory.Sequence(lambda n: f"sub-{n}")
    name = factory.Sequence(lambda n: f"Learner {n}")
    email = factory.LazyAttribute(lambda o: f"{o.sub}@example.org")
    membership = factory.Maybe(
        "course",
        yes_declaration=factory.RelatedFactory(
            MembershipFactory,
            factory_related_name="user",
            context=factory.SelfAttribute("..course"),
            is_staff=factory.SelfAttribute("..staff"),
        ),
    )


class IssuerFactory(_Factory):
    """An issuer with its signing keys, made by the Open Badges service."""

    class Meta:
        model = Issuer

    name = "Example University"
    url = "https://example.edu"
    email = "badges@example.edu"

    @classmethod
    def _create(cls, model_class: type[Issuer], *args: Any, **kwargs: Any) -> Issuer:
        name, url, email = kwargs.pop("name"), kwargs.pop("url"), kwargs.pop("email")
        return issuers.create_issuer(name, url, email, **kwargs)


class BadgeFactory(_Factory):
    """A badge with its default artwork, made by the Open Badges service. ``context``: the
    course it belongs to (None: a badge of no course, as the command line makes)."""

    class Meta:
        model = Badge

    issuer = factory.SubFactory(IssuerFactory)
    context = None
    name = factory.Sequence(lambda n: f"Skill {n}")
    description = factory.LazyAttribute(lambda o: f"Shows mastery of {o.name}.")
    criteria_narrative = factory.LazyAttribute(lambda o: f"Earn 80 % in the {o.name} quiz.")
    artwork = factory.LazyAttribute(lambda o: badge_artwork(o.name))

    @classmethod
    def _create(cls, model_class: type[Badge], *args: Any, **kwargs: Any) -> Badge:
        context = kwargs.pop("context")
        return badges.create_badge(
            kwargs.pop("issuer"),
            kwargs.pop("name"),
            kwargs.pop("description"),
            kwargs.pop("criteria_narrative"),
            context_id=context.id if context is not None else None,
            **kwargs,
        )


class AwardFactory(_Factory):
    """An award of ``badge`` to ``user`` (an LTI user with their email), issued and signed by
    the Open Badges service (``now``, ``expires_at`` passed through); builds the assertion."""

    class Meta:
        model = Assertion

    badge = factory.SubFactory(BadgeFactory)
    user = factory.SubFactory(PersonFactory)
    evidence = factory.LazyFunction(lambda: [{"name": "Quiz score", "narrative": "Scored 85 %"}])
    now = None
    expires_at = None

    @classmethod
    def _create(cls, model_class: type[Assertion], *args: Any, **kwargs: Any) -> Assertion:
        user = kwargs.pop("user")
        recipient = operations.Recipient(email=user.email, name=user.name, lti_user_id=user.id)
        return operations.issue(kwargs.pop("badge"), recipient, **kwargs).assertion


class ColumnFactory(_Factory):
    """A gradebook column (an AGS line item, out of 100 unless told) of a course."""

    class Meta:
        model = Column

    context = factory.SubFactory(CourseFactory)
    lti_lineitem_id = factory.Sequence(lambda n: f"https://lms.example.edu/lineitems/{n}")
    label = factory.Sequence(lambda n: f"Quiz {n}")
    score_maximum = 100.0


class GradeFactory(_Factory):
    """A learner's stored grade in a column, as a sync leaves it (no award pipeline runs)."""

    class Meta:
        model = Grade

    class Params:
        column = factory.SubFactory(ColumnFactory)
        user = factory.SubFactory(PersonFactory)

    column_id = factory.SelfAttribute("column.id")
    user_id = factory.SelfAttribute("user.id")
    score = 85.0
    maximum = factory.SelfAttribute("column.score_maximum")
    timestamp = factory.LazyFunction(utcnow)
    source = "ags"


class SyncJobFactory(_Factory):
    """A queued course sync, recorded but not yet handed to the queue: the test runs it (what
    ``jobs.request_job`` records before it enqueues)."""

    class Meta:
        model = Job

    class Params:
        context = factory.SubFactory(CourseFactory)

    kind = jobs.SYNC
    context_id = factory.SelfAttribute("context.id")
    state = JobState.QUEUED
    attempts = 0


def token_for(context: Context, user: LtiUser, *, staff: bool = False) -> str:
    """The launch token a launch of ``user`` in ``context`` hands the browser."""
    return LaunchSession(
        registration_id=context.registration_id,
        deployment_id=context.deployment_id,
        context_id=context.id,
        user_id=user.id,
        is_staff=staff,
    ).token()
