"""The CLR 2.0 course record offered to a wallet the same way as a badge: the test wallet
takes the offer from My badges and All my badges and verifies what it gets (proof, schema,
holder binding); another learner's record is not theirs to offer."""

from __future__ import annotations

import html
import json
import re

from app.extensions import db
from app.openbadges.verify import verify
from tests.learner.test_course_record import _assert_clr_valid
from tests.wallets.conftest import OfferPage
from tests.wallets.test_oid4vci import Session
from tests.wallets.wallet import Wallet

CLR_LDP = "ClrCredential_ldp_vc"
CLR_JWT = "ClrCredential_jwt_vc_json"


def _record_form(client, path: str, token: str) -> str:
    response = client.get(path, query_string={"lt": token})
    db.session.rollback()
    assert response.status_code == 200
    match = re.search(
        r'<form method="post" action="([^"]*)"[^>]*>\s*<input type="hidden" name="lt"[^>]*>'
        r'(?:\s*<input type="hidden" name="back"[^>]*>)?\s*<button[^>]*'
        r'data-testid="add-record-to-wallet"',
        response.get_data(as_text=True),
    )
    assert match, "no Add record to wallet form"
    return html.unescape(match.group(1))


def _offer(client, action: str, token: str) -> OfferPage:
    response = client.post(action, data={"lt": token})
    db.session.rollback()
    return OfferPage(response.status_code, response.get_data(as_text=True))


def test_a_wallet_takes_the_course_record_bound_to_its_key(client, earned):
    action = _record_form(client, "/course/learner", earned.token)
    page = _offer(client, action, earned.token)
    assert page.status == 200, page.html
    session = Session(Wallet(), page.href("wallet-link"))
    assert set(session.offer["credential_configuration_ids"]) == {CLR_LDP, CLR_JWT}
    access = session.access()

    answer = session.credential(access, CLR_LDP)
    assert answer.status == 200, answer.body
    record = answer.body["credentials"][0]["credential"]
    assert "ClrCredential" in record["type"]
    assert record["credentialSubject"]["id"] == session.wallet.did
    _assert_clr_valid(record)
    report = verify(json.dumps(record))
    assert report.valid, report.errors
    # The record lists the learner's badge, as the download does.
    held = record["credentialSubject"]["verifiableCredential"]
    assert [c["id"] for c in held] == [earned.assertion.credential["id"]]

    token = session.credential(access, CLR_JWT)
    assert token.status == 200, token.body
    assert verify(token.body["credentials"][0]["credential"]).valid


def test_all_my_badges_offers_the_record_of_every_course(client, earned):
    action = _record_form(client, "/learner/all", earned.token)
    assert action.split("/")[-1].startswith("all~")
    assert _offer(client, action, earned.token).status == 200


def test_another_learners_record_cannot_be_offered(client, earned):
    action = _record_form(client, "/course/learner", earned.token)
    # Ben posts the form action naming Ana's record, with his own launch.
    assert _offer(client, action, earned.other_token).status == 404
