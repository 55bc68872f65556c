"""Another kind of credential offered through the same registry, pages and endpoints (what
the course record does with ``register_offerable``), and the deep links as pure functions."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.openbadges.jsonld import OB3_CONTEXT
from app.wallets import badge, documents, registry
from app.wallets.registry import register_offerable
from tests.wallets.conftest import add_to_wallet
from tests.wallets.test_oid4vci import Session
from tests.wallets.wallet import Wallet


@pytest.fixture
def second_kind(monkeypatch):
    """A kind "record" registered for this test only (built like the badge, named apart)."""
    monkeypatch.setattr(registry, "_registry", dict(registry._registry))
    register_offerable(
        "record",
        badge.build,
        find=badge.find,
        credential_type="RecordCredential",
        context=OB3_CONTEXT,
    )


def test_a_registered_kind_is_offered_like_a_badge(client, earned, tool_url, second_kind):
    metadata = requests.get(tool_url + "/.well-known/openid-credential-issuer", timeout=60).json()
    configurations = metadata["credential_configurations_supported"]
    assert {"RecordCredential_ldp_vc", "RecordCredential_jwt_vc_json"} <= set(configurations)
    assert "OpenBadgeCredential_ldp_vc" in configurations

    response = client.post(
        f"/learner/wallet/record/{earned.assertion.public_id}", data={"lt": earned.token}
    )
    db.session.rollback()  # the test client shares this thread's session: end its read
    assert response.status_code == 200
    link = response.get_data(as_text=True).split('data-testid="wallet-link"')[0]
    offer_link = link.rsplit('href="', 1)[1].rstrip('" ').replace("&amp;", "&")
    session = Session(Wallet(), offer_link)
    assert session.offer["credential_configuration_ids"] == [
        "RecordCredential_ldp_vc",
        "RecordCredential_jwt_vc_json",
    ]
    answer = session.credential(session.access(), "RecordCredential_ldp_vc")
    assert answer.status == 200, answer.body
    # …and an offer of one kind is not good for another's configuration.
    other = add_to_wallet(client, earned.assertion.public_id, earned.token)
    refused = Session(Wallet(), other.href("wallet-link"))
    answer = refused.credential(refused.access(), "RecordCredential_ldp_vc")
    assert (answer.status, answer.body["error"]) == (400, "unknown_credential_configuration")


def test_an_unregistered_kind_is_not_found(client, earned):
    response = client.post(
        f"/learner/wallet/nothing/{earned.assertion.public_id}", data={"lt": earned.token}
    )
    assert response.status_code == 404


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        min_size=1,
        max_size=40,
    )
)
def test_deep_links_carry_the_offer_key_intact(app, key):
    offer = urlsplit(documents.offer_link(key))
    assert offer.scheme == "openid-credential-offer"
    uri = parse_qs(offer.query)["credential_offer_uri"][0]
    assert uri == app.config["PUBLIC_BASE_URL"] + f"/wallet/offers/{key}"
    lcw = urlsplit(documents.lcw_link(key))
    request = json.loads(parse_qs(lcw.query)["request"][0])
    assert (
        request["protocols"]["vcapi"] == app.config["PUBLIC_BASE_URL"] + f"/wallet/exchanges/{key}"
    )
    assert request["credentialRequestOrigin"] == app.config["PUBLIC_BASE_URL"]
