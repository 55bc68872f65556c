"""The OB 3.0 API as Service Provider, driven as a client application would: discovery,
dynamic registration, authorization code with PKCE (the learner approves in My badges),
getCredentials with paging, getProfile, refresh and revocation; and refused: other learners'
credentials, wrong scopes, a bad code_verifier, a reused code, a plain PKCE challenge, an
unregistered redirect URI. Bodies are checked against 1EdTech's bundled JSON schemas."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft201909Validator

from app.ob3api import spec
from app.openbadges.jsonld import schema
from tests.factories import (
    AwardFactory,
    BadgeFactory,
    CourseFactory,
    IssuerFactory,
    MembershipFactory,
    PersonFactory,
    token_for,
)
from tests.ob3api.client import REDIRECT_URI, ObClient, path, query_of

READ = spec.CREDENTIAL_READONLY
PROFILE = spec.PROFILE_READONLY


def _valid(document, name: str) -> None:
    errors = [e.message for e in Draft201909Validator(schema(name)).iter_errors(document)]
    assert errors == []


def _waiting_page(client, response):
    """Follow the authorization endpoint to its waiting page; returns (page URL, user code)."""
    assert response.status_code == 302
    page_url = response.headers["Location"]
    page = client.get(path(page_url))
    assert page.status_code == 200
    code = re.search(r'data-testid="user-code">([A-Z0-9-]+)<', page.get_data(as_text=True))
    return page_url, code.group(1)


def approve(http, page_url: str, user_code: str, context, user, decision: str = "approve"):
    """The learner, in My badges (their launch), enters the code and answers; then their
    browser's waiting page continues to the client. Returns that final response."""
    lt = token_for(context, user)
    shown = http.post("/learner/apps/connect", data={"lt": lt, "code": user_code.lower()})
    assert shown.status_code == 200 and "Example Wallet" in shown.get_data(as_text=True)
    public_id = re.search(r"/learner/apps/connect/([0-9a-f-]+)", shown.get_data(as_text=True))
    answered = http.post(
        f"/learner/apps/connect/{public_id.group(1)}", data={"lt": lt, "decision": decision}
    )
    assert answered.status_code == 303
    return http.get(path(page_url))


@pytest.fixture
def world(app):
    course = CourseFactory(title="Biology 101")
    ana = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    ben = PersonFactory(course=course, name="Ben Okafor", email="ben@example.org")
    issuer = IssuerFactory()
    ana_awards = [
        AwardFactory(badge=BadgeFactory(issuer=issuer, context=course, name=f"Skill {n}"), user=ana)
        for n in range(3)
    ]
    ben_award = AwardFactory(
        badge=BadgeFactory(issuer=issuer, context=course, name="Ben's skill"), user=ben
    )
    # The same person on another LMS (another tenant): never reachable through this grant.
    elsewhere = CourseFactory(title="Elsewhere 101")
    MembershipFactory(context=elsewhere, user=ana)
    foreign = AwardFactory(
        badge=BadgeFactory(issuer=issuer, context=elsewhere, name="Elsewhere skill"), user=ana
    )
    return course, ana, ben, ana_awards, ben_award, foreign


def _authorized(http, ob: ObClient, course, user, scope: str):
    response, verifier, state = ob.start(scope)
    page_url, user_code = _waiting_page(http, response)
    final = approve(http, page_url, user_code, course, user)
    assert final.status_code == 302
    back = final.headers["Location"]
    assert back.startswith(REDIRECT_URI)
    answer = query_of(back)
    assert answer["state"] == state
    assert "code" in answer, back
    return answer["code"], verifier


def test_register_authorize_with_pkce_and_read_my_credentials(client, world):
    course, ana, _ben, ana_awards, ben_award, foreign = world
    ob = ObClient(client)
    ob.discover()
    scheme = ob.discovery["components"]["securitySchemes"]["OAuth2ACG"]
    assert set(ob.flows["scopes"]) == set(spec.SCOPES)
    assert scheme["x-imssf-registrationUrl"].endswith(spec.REGISTER_PATH)
    assert (
        ob.discovery["info"]["termsOfService"] and ob.discovery["info"]["x-imssf-privacyPolicyUrl"]
    )
    assert ob.api.endswith("/ims/ob/v3p0")

    registered = ob.register()
    assert registered.status_code == 201
    body = registered.get_json()
    for name in ("client_id", "client_secret", "client_id_issued_at", "client_secret_expires_at"):
        assert name in body
    assert body["client_name"] == "Example Wallet"
    assert body["token_endpoint_auth_method"] == "client_secret_basic"

    scope = f"{READ} {PROFILE}"
    code, verifier = _authorized(client, ob, course, ana, scope)

    # A wrong code_verifier is refused; the right one then gets the tokens.
    wrong = ob.exchange(code, verifier[::-1], scope)
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_grant"
    tokens = ob.exchange(code, verifier, scope)
    assert tokens.status_code == 200, tokens.get_json()
    grant = tokens.get_json()
    assert grant["token_type"].lower() == "bearer" and grant["expires_in"] == 3600
    assert set(grant["scope"].split()) == {READ, PROFILE}
    assert "refresh_token" in grant
    # The code is single-use.
    assert ob.exchange(code, verifier, scope).get_json()["error"] == "invalid_grant"

    listed = ob.get("/credentials", grant["access_token"])
    assert listed.status_code == 200
    _valid(listed.get_json(), "ob_v3p0_getopenbadgecredentialsresponse_schema")
    ids = [c["id"] for c in listed.get_json()["credential"]]
    assert ids == [a.credential["id"] for a in ana_awards]  # only hers, only this LMS
    assert ben_award.credential["id"] not in ids and foreign.credential["id"] not in ids
    assert listed.headers["X-Total-Count"] == "3"

    # Paging: limit/offset, with the spec's Link relations.
    page = ob.get("/credentials", grant["access_token"], limit=1, offset=1)
    assert [c["id"] for c in page.get_json()["credential"]] == [ana_awards[1].credential["id"]]
    links = dict(
        (rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', page.headers["Link"])
    )
    assert set(links) == {"next", "last", "first", "prev"}
    assert query_of(links["next"])["offset"] == "2" and query_of(links["last"])["offset"] == "2"
    assert query_of(links["prev"])["offset"] == "0"
    last = ob.get("/credentials", grant["access_token"], limit=1, offset=2)
    assert "next" not in last.headers["Link"]
    # since: only credentials issued after it.
    later = ob.get("/credentials", grant["access_token"], since="2999-01-01T00:00:00Z")
    assert later.get_json()["credential"] == [] and later.headers["X-Total-Count"] == "0"
    bad = ob.get("/credentials", grant["access_token"], limit=0)
    assert bad.status_code == 400
    _valid(bad.get_json(), "ob_v3p0_imsx_statusinfo_schema")

    profile = ob.get("/profile", grant["access_token"])
    assert profile.status_code == 200
    _valid(profile.get_json(), "ob_v3p0_profile_schema")
    assert profile.get_json()["name"] == "Ana Lima"

    # Refresh: a new access token; the old refresh token is spent.
    refreshed = ob.token({"grant_type": "refresh_token", "refresh_token": grant["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.get_json()
    fresh = refreshed.get_json()
    assert ob.get("/credentials", fresh["access_token"]).status_code == 200
    assert ob.get("/credentials", grant["access_token"]).status_code == 401
    again = ob.token({"grant_type": "refresh_token", "refresh_token": grant["refresh_token"]})
    assert again.get_json()["error"] == "invalid_grant"

    # Revocation ends the grant.
    revoked = client.post(
        path(
            ob.discovery["components"]["securitySchemes"]["OAuth2ACG"][
                "x-badgebridge-revocationUrl"
            ]
        ),
        data={"token": fresh["refresh_token"], "token_type_hint": "refresh_token"},
        headers=ob.basic(),
    )
    assert revoked.status_code == 200
    gone = ob.get("/credentials", fresh["access_token"])
    assert gone.status_code == 401
    _valid(gone.get_json(), "ob_v3p0_imsx_statusinfo_schema")
    assert (
        gone.get_json()["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]
        == "unauthorizedrequest"
    )


def test_each_learner_reaches_only_their_own_and_scopes_are_enforced(client, world):
    course, _ana, ben, _ana_awards, ben_award, _foreign = world
    ob = ObClient(client)
    ob.discover()
    assert ob.register().status_code == 201
    code, verifier = _authorized(client, ob, course, ben, PROFILE)
    grant = ob.exchange(code, verifier, PROFILE).get_json()
    # Ben's token reads Ben's profile only, and no credentials without the scope.
    assert ob.get("/profile", grant["access_token"]).get_json()["name"] == "Ben Okafor"
    refused = ob.get("/credentials", grant["access_token"])
    assert refused.status_code == 403
    _valid(refused.get_json(), "ob_v3p0_imsx_statusinfo_schema")
    assert "insufficient_scope" in refused.headers.get("WWW-Authenticate", "")

    code, verifier = _authorized(client, ob, course, ben, READ)
    bens = ob.get("/credentials", ob.exchange(code, verifier, READ).get_json()["access_token"])
    assert [c["id"] for c in bens.get_json()["credential"]] == [ben_award.credential["id"]]
    assert ob.get("/credentials", None).status_code == 401
    assert ob.get("/credentials", "not-a-token").status_code == 401
    # Another client's secret does not open this client's tokens.
    assert (
        ob.token({"grant_type": "refresh_token", "refresh_token": "x"}, secret="wrong").status_code
        == 401
    )


def test_refusals_at_registration_and_authorization(client, world):
    course, ana, *_ = world
    ob = ObClient(client)
    ob.discover()
    missing = ob.register(software_id="")
    assert missing.status_code == 400
    assert missing.get_json()["error"] == "invalid_client_metadata"
    assert ob.register(client_uri="http://wallet.example/").status_code == 400  # not https
    assert ob.register(tos_uri="https://elsewhere.example/terms").status_code == 400  # 2 hosts
    assert ob.register(token_endpoint_auth_method="none").status_code == 400
    assert ob.register(scope="https://example.org/scope/everything").status_code == 400
    assert ob.register().status_code == 201

    # PKCE: S256 only.
    plain, _verifier, state = ob.start(READ, method="plain")
    assert plain.status_code == 302
    assert query_of(plain.headers["Location"])["error"] == "invalid_request"
    assert query_of(plain.headers["Location"])["state"] == state
    # An unregistered redirect URI: an error page, never a redirect there.
    stray, *_ = ob.start(READ, redirect_uri="https://evil.example/cb")
    assert stray.status_code == 400 and "Location" not in stray.headers

    # The learner denies: the client hears access_denied with its state.
    response, _verifier, state = ob.start(READ)
    page_url, user_code = _waiting_page(client, response)
    denied = approve(client, page_url, user_code, course, ana, decision="deny")
    answer = query_of(denied.headers["Location"])
    assert answer == {"error": "access_denied", "state": state} or (
        answer["error"] == "access_denied" and answer["state"] == state
    )
    # A code that names no waiting app.
    wrong = client.post(
        "/learner/apps/connect", data={"lt": token_for(course, ana), "code": "ZZZZ-ZZZZ"}
    )
    assert wrong.status_code == 404 and "No app is waiting" in wrong.get_data(as_text=True)
    # The waiting page's parameters cannot be swapped after approval.
    response, _verifier, state = ob.start(READ)
    page_url, user_code = _waiting_page(client, response)
    assert client.get(path(page_url.replace(state, "other-state"))).status_code == 410
    # Unknown API paths and methods answer Imsx_StatusInfo.
    unknown = client.get("/ims/ob/v3p0/nothing-here")
    assert unknown.status_code == 404
    _valid(unknown.get_json(), "ob_v3p0_imsx_statusinfo_schema")
    assert client.delete(spec.CREDENTIALS_PATH).status_code == 405


def test_typing_codes_is_rate_limited(client, world):
    course, ana, *_ = world
    lt = token_for(course, ana)
    answers = [
        client.post("/learner/apps/connect", data={"lt": lt, "code": f"AAAA-AAA{n}"}).status_code
        for n in range(12)
    ]
    assert answers[:10] == [404] * 10 and answers[10:] == [429, 429]


def test_state_and_a_granted_scope_are_required(client, world):
    ob = ObClient(client)
    ob.discover()
    assert ob.register(scope=PROFILE).status_code == 201
    # A scope this client did not register grants nothing.
    response, _verifier, state = ob.start(READ)
    answer = query_of(response.headers["Location"])
    assert answer["error"] == "invalid_scope" and answer["state"] == state
    no_state = client.get(
        path(ob.flows["authorizationUrl"]),
        query_string={
            "response_type": "code",
            "client_id": ob.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": PROFILE,
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
        },
    )
    assert query_of(no_state.headers["Location"])["error"] == "invalid_request"


def test_the_connected_apps_page_lists_apps_and_disconnects_them(client, world):
    course, ana, *_ = world
    ob = ObClient(client)
    ob.discover()
    assert ob.register().status_code == 201
    code, verifier = _authorized(client, ob, course, ana, READ)
    grant = ob.exchange(code, verifier, READ).get_json()
    lt = token_for(course, ana)
    my_badges = client.get("/course/learner", query_string={"lt": lt}).get_data(as_text=True)
    assert 'data-testid="connected-apps-link"' in my_badges
    page = client.get("/learner/apps", query_string={"lt": lt}).get_data(as_text=True)
    assert 'data-testid="connected-app"' in page and "Example Wallet" in page
    gone = client.post(f"/learner/apps/{ob.client_id}/disconnect", data={"lt": lt})
    assert gone.status_code == 303
    assert gone.headers["Location"].startswith("/learner/apps?")
    assert ob.get("/credentials", grant["access_token"]).status_code == 401
    refresh = ob.token({"grant_type": "refresh_token", "refresh_token": grant["refresh_token"]})
    assert refresh.get_json()["error"] == "invalid_grant"
    page = client.get("/learner/apps", query_string={"lt": lt}).get_data(as_text=True)
    assert 'data-testid="connected-app"' not in page
    assert 'data-testid="no-connected-apps"' in page
