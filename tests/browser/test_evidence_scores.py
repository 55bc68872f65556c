"""A real browser: an instructor chooses, per badge, whether public evidence shows scores.

From an empty database and a sandbox launch: design and save a badge, open it under
"Criteria, awards and reviews", and turn scores in the public evidence on and off again.
"""

from __future__ import annotations

import pytest

from tests.browser.shots import save_careful_reader

pytestmark = pytest.mark.browser


def test_instructor_chooses_scores_in_public_evidence(registered, chromium_context, app):
    _page, frame = save_careful_reader(chromium_context, registered)
    frame.get_by_role("link", name="Back to the course's badges").click()
    frame.locator('[data-testid="open-awards"]').click(timeout=60_000)
    frame.get_by_role("link", name="Careful Reader").click(timeout=60_000)

    frame.get_by_text("not the scores").wait_for(timeout=60_000)  # the default
    frame.locator('[data-testid="evidence-scores"]').click()
    frame.get_by_text("show the learner's scores in their evidence").wait_for(timeout=60_000)
    frame.get_by_role("button", name="Show only which criteria were met").click()
    frame.get_by_text("which criteria were met, without scores").wait_for(timeout=60_000)

    from sqlalchemy import select

    from app.extensions import db
    from app.openbadges.models import Badge

    db.session.expire_all()
    assert db.session.scalars(select(Badge)).one().evidence_shows_scores is False
