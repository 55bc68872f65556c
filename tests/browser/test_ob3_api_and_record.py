"""By clicking from a sandbox launch: a learner downloads their signed course record (CLR 2.0)
from My badges, then connects an Open Badges 3.0 API client (a wallet) to their badges by
typing the code its authorization page shows into My badges; the wallet then reads the badge
through the API. Screenshots go to ``/tmp/polish-shots``."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from flask import Flask
from jsonschema import Draft201909Validator

from tests.browser.shots import (
    SHOTS,
    open_canvas_tool,
    publish_clear_writer,
    save_shot,
    settle,
)
from tests.support.live import serve

pytestmark = pytest.mark.browser

WAIT = 30_000


def test_learner_downloads_the_record_and_approves_a_wallet(registered, chromium_context):
    from app.openbadges import verify
    from app.openbadges.jsonld import clr_schema
    from lti.sandbox.seed import create_course

    course = create_course(
        registered.sandbox,
        "canvas",
        "Record course",
        learners=1,
        tas=0,
        columns=(("Essay", 100.0),),
        score_fraction=1.0,
    )
    teacher, tool = open_canvas_tool(
        chromium_context, registered, course.course_id, course.teacher_login
    )
    tool.locator('[data-testid="open-designer"]').click()
    publish_clear_writer(tool, "Essay (out of 100)", wait=WAIT)
    teacher.close()

    learner, mine = open_canvas_tool(
        chromium_context, registered, course.course_id, course.learner_logins[0]
    )
    mine.locator('[data-testid="earned-badge"]').wait_for(timeout=WAIT)
    with learner.expect_download(timeout=WAIT) as download:
        mine.locator('[data-testid="download-record"]').click()
    record = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert download.value.suggested_filename == "Course record Record course.json"
    assert list(Draft201909Validator(clr_schema()).iter_errors(record)) == []
    assert [c["name"] for c in record["credentialSubject"]["verifiableCredential"]] == [
        "Clear writer"
    ]
    assert verify.verify(json.dumps(record)).valid
    save_shot(learner, SHOTS / "ob3-my-badges-record-1366.png", full_page=True)

    # A wallet (its own small site on loopback) registers and sends the learner's browser
    # to the authorization page.
    wallet_site = Flask("wallet")
    wallet_site.add_url_rule("/cb", "cb", lambda: "<p>Wallet</p>")
    with serve(wallet_site, "127.0.0.1") as wallet_url:
        _approve_wallet(chromium_context, registered, learner, mine, wallet_url)


def _approve_wallet(chromium_context, registered, learner, mine, wallet_url: str) -> None:
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    from app.ob3api import spec
    from tests.ob3api.client import METADATA

    base = registered.tool_url
    redirect_uri = wallet_url + "/cb"
    sdd = requests.get(base + spec.DISCOVERY_PATH, timeout=30).json()
    scheme = sdd["components"]["securitySchemes"]["OAuth2ACG"]
    metadata = {
        **METADATA,
        **{k: wallet_url + "/" for k in ("client_uri", "logo_uri", "tos_uri", "policy_uri")},
        "redirect_uris": [redirect_uri],
        "scope": spec.CREDENTIAL_READONLY,
    }
    wallet = requests.post(scheme["x-imssf-registrationUrl"], json=metadata, timeout=30).json()
    verifier = "v" * 64
    query = {
        "response_type": "code",
        "client_id": wallet["client_id"],
        "redirect_uri": redirect_uri,
        "scope": spec.CREDENTIAL_READONLY,
        "state": "wallet-state",
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    authorize_url = scheme["flows"]["authorizationCode"]["authorizationUrl"]
    tab = chromium_context.new_page()
    tab.set_viewport_size({"width": 1024, "height": 800})
    tab.goto(authorize_url + "?" + urlencode(query))
    code_text = tab.locator('[data-testid="user-code"]').inner_text(timeout=WAIT)
    save_shot(tab, SHOTS / "ob3-authorize-1024.png", full_page=True)

    # In the course, My badges: the learner types the code and approves the named wallet.
    settle(learner)
    code_box = mine.locator('[data-testid="app-code"]')
    code_box.fill(code_text)
    code_box.press("Enter")  # the keyboard, as many would: no hit-testing of a moving frame
    mine.locator('[data-testid="connect-app"]').wait_for(timeout=WAIT)
    assert "Example Wallet" in mine.locator('[data-testid="connect-app"]').inner_text()
    save_shot(learner, SHOTS / "ob3-approve-app-1366.png", full_page=True)
    settle(learner)
    mine.locator('[data-testid="approve-app"]').click()
    mine.locator('[data-testid="notice"]', has_text="Approved").wait_for(timeout=WAIT)

    # The waiting page continues by itself to the wallet, with a code for the PKCE exchange.
    tab.wait_for_url(re.compile(re.escape(redirect_uri) + ".*"), timeout=WAIT)
    answer = {k: v[0] for k, v in parse_qs(urlsplit(tab.url).query).items()}
    assert answer["state"] == "wallet-state"
    tokens = requests.post(
        scheme["flows"]["authorizationCode"]["tokenUrl"],
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": redirect_uri,
            "scope": spec.CREDENTIAL_READONLY,
            "code_verifier": verifier,
        },
        auth=(wallet["client_id"], wallet["client_secret"]),
        timeout=30,
    ).json()
    badges = requests.get(
        sdd["servers"][0]["url"] + "/credentials",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=30,
    )
    assert badges.status_code == 200
    assert [c["name"] for c in badges.json()["credential"]] == ["Clear writer"]
