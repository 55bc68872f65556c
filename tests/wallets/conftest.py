"""The tool served over real HTTP, a learner with an award, and the way a learner gets an
offer: "Add to wallet" on My badges (a POST with their launch token)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pytest

from app.extensions import db
from app.models import Assertion
from tests.factories import (
    AwardFactory,
    BadgeFactory,
    CourseFactory,
    PersonFactory,
    token_for,
)
from tests.support.live import serve


@pytest.fixture(scope="session")
def tool_url(_app_session):
    with serve(_app_session, "localhost") as url:
        yield url


@dataclass
class Earned:
    assertion: Assertion
    token: str  # the learner's launch token
    other: Assertion  # another learner's award in the same course
    other_token: str


@pytest.fixture
def earned(app, tool_url) -> Earned:
    app.config["PUBLIC_BASE_URL"] = tool_url
    course = CourseFactory(title="Biology 101")
    ana = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    ben = PersonFactory(course=course, name="Ben Okafor", email="ben@example.org")
    badge = BadgeFactory(context=course, name="Cell Biology")
    earned = Earned(
        AwardFactory(badge=badge, user=ana),
        token_for(course, ana),
        AwardFactory(badge=badge, user=ben),
        token_for(course, ben),
    )
    db.session.commit()
    db.session.rollback()  # SQLite: no read transaction held while the server thread writes
    return earned


@dataclass
class OfferPage:
    status: int
    html: str

    def href(self, testid: str) -> str:
        match = re.search(rf'href="([^"]*)" data-testid="{testid}"', self.html)
        assert match, f"no {testid} link"
        return html.unescape(match.group(1))

    @property
    def pin(self) -> str | None:
        match = re.search(r'data-testid="wallet-pin">(\d+)<', self.html)
        return match.group(1) if match else None


def add_to_wallet(client, public_id: str, token: str, *, pin: bool = False) -> OfferPage:
    """Choose "Add to wallet" on My badges."""
    form = {"lt": token}
    if pin:
        form["pin"] = "1"
    response = client.post(f"/learner/wallet/badge/{public_id}", data=form)
    db.session.rollback()
    return OfferPage(response.status_code, response.get_data(as_text=True))
