"""The learner's ways in: "Add to wallet" on My badges and All my badges, and the award email's
link; what the offer page shows; rate limits."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import segno

from app.audit import SYSTEM
from app.awards import operations as awards
from app.extensions import db
from app.models import LtiUser
from app.notifications import tasks
from app.wallets.models import WalletOffer
from tests.factories import AwardFactory, BadgeFactory, CourseFactory, IssuerFactory
from tests.notifications.conftest import smtp_server  # noqa: F401  (a fixture)
from tests.wallets.conftest import add_to_wallet
from tests.wallets.test_oid4vci import LDP, Session
from tests.wallets.wallet import Wallet


def _page(client, path: str, token: str) -> str:
    response = client.get(path, query_string={"lt": token})
    db.session.rollback()  # the test client shares this thread's session: end its read
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_my_badges_and_all_my_badges_offer_valid_awards_only(client, earned):
    public_id = earned.assertion.public_id
    form = f'action="/learner/wallet/badge/{public_id}"'
    assert form in _page(client, "/course/learner", earned.token)
    assert form in _page(client, "/learner/all", earned.token)
    assert earned.other.public_id not in _page(client, "/course/learner", earned.token)

    awards.revoke(db.session.merge(earned.assertion), "Issued in error", actor=SYSTEM)
    db.session.rollback()
    assert form not in _page(client, "/course/learner", earned.token)
    assert form not in _page(client, "/learner/all", earned.token)


def test_the_offer_page_shows_both_codes_and_plain_steps(client, earned):
    response = client.post(
        f"/learner/wallet/badge/{earned.assertion.public_id}",
        data={"lt": earned.token, "back": "all"},
    )
    db.session.rollback()
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = add_to_wallet(client, earned.assertion.public_id, earned.token)
    text = page.html
    assert "Add Cell Biology to your wallet" in text
    assert 'data-testid="wallet-steps"' in text and "Learner Credential Wallet" in text
    offer_link = page.href("wallet-link")
    assert offer_link.startswith("openid-credential-offer://?credential_offer_uri=")
    assert page.href("lcw-link").startswith("dccrequest://request?request=")
    # Each QR code carries its link (segno draws the same matrix for the same text).
    for testid, link in (("wallet-qr", offer_link), ("lcw-qr", page.href("lcw-link"))):
        figure = re.search(rf'data-testid="{testid}">(<svg.*?</svg>)', text, re.S)
        assert figure, testid
        expected = segno.make(link, error="m").svg_inline(scale=4, border=4, light="#fff")
        path = re.search(r' d="([^"]+)"', expected).group(1)
        assert path in figure.group(1)
    # Back where the learner came from, with their launch token.
    assert "/learner/all?lt=" in response.get_data(as_text=True)


def test_the_award_email_leads_to_an_offer(client, earned, smtp_server):
    tasks.send_award_email(earned.assertion.id)
    [mail] = smtp_server.inbox.messages
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    link = re.search(r"Add it to your digital wallet: (\S+)", text).group(1)
    assert link.endswith("/wallet") and link in html
    path = urlsplit(link).path

    landing = client.get(path)  # mail scanners follow links: a GET makes no offer
    assert landing.status_code == 200
    assert 'data-testid="add-to-wallet"' in landing.get_data(as_text=True)
    assert db.session.query(WalletOffer).count() == 0
    db.session.rollback()

    offer_page = client.post(path)
    db.session.rollback()
    assert offer_page.status_code == 200
    body = offer_page.get_data(as_text=True)
    offer_link = re.search(r'href="([^"]*)" data-testid="wallet-link"', body).group(1)
    session = Session(Wallet(), offer_link.replace("&amp;", "&"))
    answer = session.credential(session.access(), LDP)
    assert answer.status == 200
    credential = answer.body["credentials"][0]["credential"]
    assert credential["credentialSubject"]["id"] == session.wallet.did
    assert client.post("/learner/accept/forged-token/wallet").status_code == 400


def test_offers_are_rate_limited(app, client, earned):
    app.config["RATE_LIMIT_SHARE"] = "2/minute"
    try:
        statuses = [
            add_to_wallet(client, earned.assertion.public_id, earned.token).status for _ in range(3)
        ]
    finally:
        app.config["RATE_LIMIT_SHARE"] = "30/minute"
    assert statuses == [200, 200, 429]


def test_an_award_from_another_lms_is_not_offered_from_this_launch(client, earned):
    """One person (same LMS issuer and ``sub``: Canvas cloud shares its issuer) awarded under
    another registration: this launch offers only this registration's awards."""
    elsewhere = CourseFactory(title="Chemistry 101")
    ana = earned.assertion.lti_user_id
    badge = BadgeFactory(
        issuer=IssuerFactory(name="Other College"), context=elsewhere, name="Titration"
    )
    other_award = AwardFactory(badge=badge, user=db.session.get(LtiUser, ana))
    db.session.commit()
    db.session.rollback()
    assert add_to_wallet(client, other_award.public_id, earned.token).status == 404
    assert db.session.query(WalletOffer).count() == 0
    db.session.rollback()
