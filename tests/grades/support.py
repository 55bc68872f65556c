"""Helpers for the pipeline tests: a sandbox course launched once, a badge over its columns."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from app.extensions import db
from app.grades.models import Column
from app.models import Context
from app.openbadges.models import Assertion, Badge
from lti.sandbox.seed import CourseInfo, create_course, launch_url
from tests.factories import BadgeFactory, IssuerFactory
from tests.support.lti_env import LtiEnv

# Courses made so far by each test (its node id). The sandbox draws a course's scores from a
# generator seeded with its title, so a title counted across the whole process gave a test's
# learners different scores depending on how many courses earlier tests had made (after the
# pipeline API tests, a pseudo-locale learner scored below the badge's threshold).
_MADE: Counter[str] = Counter()


@dataclass
class Course:
    """A sandbox course the tool has seen launched (its Context exists)."""

    env: LtiEnv
    slug: str
    info: CourseInfo
    context: Context
    token: str  # the teacher's launch token (``lt``)

    def column(self, label: str) -> Column:
        return db.session.scalars(
            select(Column).where(Column.context_id == self.context.id, Column.label == label)
        ).one()


def new_course(
    env: LtiEnv,
    browser: Any,
    slug: str = "moodle",
    learners: int = 20,
    columns: tuple[tuple[str, float], ...] = (("Exam", 100.0),),
    score_fraction: float = 1.0,
) -> Course:
    """Create a course in the sandbox and launch it once as its teacher. The test's first course
    is "Course 1", its second "Course 2" …: the same title, hence the same scores, whatever ran
    before it."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]  # minus the phase
    _MADE[test] += 1
    title = f"Course {_MADE[test]}"
    info = create_course(
        env.sandbox,
        slug,
        title,
        learners=learners,
        columns=columns,
        score_fraction=score_fraction,
        seed=learners,
    )
    landing = browser.walk(
        browser.get(launch_url(env.sandbox, slug, info.course_id, info.teacher_login))
    )
    token = parse_qs(urlsplit(landing.url).query)["lt"][0]
    context = db.session.scalars(
        select(Context).where(Context.lti_context_id == info.context_id)
    ).one()
    return Course(env, slug, info, context, token)


def new_badge(
    context: Context,
    criteria: dict[str, Any] | None,
    *,
    name: str = "Achiever",
    enabled: bool = True,
) -> Badge:
    """A badge of the course (with the registration's issuer, made on first use)."""
    from app.openbadges.models import Issuer

    issuer = db.session.scalars(
        select(Issuer).where(Issuer.registration_id == context.registration_id)
    ).first()
    if issuer is None:
        issuer = IssuerFactory(
            name="Test University",
            url="https://university.example",
            email="badges@university.example",
            registration_id=context.registration_id,
        )
    return BadgeFactory(
        issuer=issuer,
        context=context,
        name=name,
        description=f"{name} of the course",
        criteria_narrative="Meet the criteria",
        criteria=criteria,
        enabled=enabled,
    )


def live_assertions(badge: Badge) -> list[Assertion]:
    return list(
        db.session.scalars(
            select(Assertion).where(Assertion.badge_id == badge.id, Assertion.revoked_at.is_(None))
        )
    )


def sandbox_scores(env: LtiEnv, line_item_id: int) -> dict[str, float]:
    """The platform's own truth: learner sub -> score given in one column."""
    from lti.sandbox.db import session_scope
    from lti.sandbox.models import Result, User

    with session_scope(env.sandbox) as s:
        rows = s.execute(
            select(User.lti_id, Result.score_given)
            .join(Result, Result.user_id == User.id)
            .where(Result.line_item_id == line_item_id)
        )
        return {sub: score for sub, score in rows if score is not None}
