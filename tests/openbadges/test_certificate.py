"""The printable certificate: the verification page as a PDF, read back as text and images."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import zxingcpp
from freezegun import freeze_time
from PIL import Image
from pypdf import PdfReader

from app.learner.tokens import make_accept_token
from app.openbadges import certificate
from tests.api.test_pipeline_api import create_key
from tests.security.test_privacy import _award_by_api


@pytest.fixture
def admin_headers(app):
    _key, secret = create_key(None)
    return {"Authorization": f"Bearer {secret}"}


def _pdf(client, award_id: str) -> tuple[PdfReader, str]:
    answer = client.get(f"/ob/verify/{award_id}/certificate.pdf")
    assert answer.status_code == 200, answer.status_code
    assert answer.mimetype == "application/pdf"
    assert (
        answer.headers["Content-Disposition"] == 'attachment; filename="Teamwork certificate.pdf"'
    )
    reader = PdfReader(io.BytesIO(answer.data))
    assert len(reader.pages) == 1
    return reader, " ".join(reader.pages[0].extract_text().split())


def test_the_certificate_shows_what_the_page_shows(client, admin_headers):
    award_id = _award_by_api(client, admin_headers)
    page = client.get(f"/ob/verify/{award_id}").text
    assert f'href="http://localhost/ob/verify/{award_id}/certificate.pdf"' in page
    assert "Download certificate (PDF)" in page

    _reader, text = _pdf(client, award_id)
    assert "VALID" in text and "Teamwork" in text and "Issued by Uni" in text
    assert "Ana Lovelace" not in text  # not accepted yet: the page hides the name too

    token = make_accept_token(award_id)
    client.post(f"/learner/accept/{token}", data={"action": "accept"})
    reader, text = _pdf(client, award_id)
    assert "awarded to Ana Lovelace" in text
    assert f"http://localhost/ob/verify/{award_id}" in text

    images = [Image.open(io.BytesIO(image.data)) for image in reader.pages[0].images]
    assert (512, 512) in {image.size for image in images}  # the stored 512 px artwork
    decoded = {
        code.text
        for image in images
        for code in zxingcpp.read_barcodes(image)
        if code.format == zxingcpp.BarcodeFormat.QRCode
    }
    assert decoded == {f"http://localhost/ob/verify/{award_id}"}


def test_a_revoked_award_certificate_says_revoked(client, admin_headers):
    award_id = _award_by_api(client, admin_headers)
    revoked = client.post(
        f"/api/v1/assertions/{award_id}/revoke",
        headers=admin_headers,
        json={"reason": "academic misconduct"},
    )
    assert revoked.status_code == 200, revoked.json
    _reader, text = _pdf(client, award_id)
    assert "REVOKED: this badge certifies nothing" in text
    assert "academic misconduct" in text and "VALID" not in text


def test_an_expired_award_certificate_says_expired(client, admin_headers):
    badge_id = client.get(
        f"/api/v1/assertions/{_award_by_api(client, admin_headers)}", headers=admin_headers
    ).json["badge_id"]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    expiring = client.post(
        f"/api/v1/badges/{badge_id}/assertions",
        headers=admin_headers,
        json={"email": "bo@example.org", "expires": tomorrow},
    )
    assert expiring.status_code == 201, expiring.json
    with freeze_time(datetime.now(UTC) + timedelta(days=2)):
        _reader, text = _pdf(client, expiring.json["id"])
    assert "EXPIRED" in text and "Expired on" in text and "VALID" not in text


@pytest.mark.parametrize("accept", ["application/pdf", "text/html", "application/json"])
def test_an_unknown_award_has_no_certificate(client, accept):
    answer = client.get("/ob/verify/no-such-award/certificate.pdf", headers={"Accept": accept})
    assert answer.status_code == 404
    assert answer.mimetype != "application/pdf"


def _facts(**changes: str) -> certificate.CertificateFacts:
    png = io.BytesIO()
    Image.new("RGBA", (512, 512), (30, 90, 160, 255)).save(png, format="PNG")
    facts = {
        "badge_name": "Teamwork",
        "description": "Works well in a team.",
        "issuer_name": "Uni",
        "recipient_name": "",
    }
    return certificate.CertificateFacts(
        **{**facts, **changes},
        issued_on=datetime(2026, 1, 5, tzinfo=UTC),
        expires_at=None,
        revoked_at=None,
        revocation_reason=None,
        status="valid",
        verify_url="https://badges.example/ob/verify/abc",
        badge_png=png.getvalue(),
    )


def test_names_print_as_they_are_spelled():
    pdf = certificate.render(
        _facts(recipient_name="Zoë Łukasz Жанна Ωμέγα", badge_name="Travail d'équipe")
    )
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Zoë Łukasz Жанна Ωμέγα" in text and "Travail d'équipe" in text
    assert "■" not in text


def test_a_long_description_stops_above_the_qr_code():
    facts = _facts(description="Works well in a team. " * 200)
    found: list[tuple[str, float]] = []
    PdfReader(io.BytesIO(certificate.render(facts))).pages[0].extract_text(
        visitor_text=lambda text, _cm, tm, *_: text.strip() and found.append((text, tm[5]))
    )
    description = [y for text, y in found if "Works well" in text]
    assert 5 < len(description) < 30 and any(text.strip().endswith("…") for text, _ in found)
    qr_top = (18 + 32) * 72 / 25.4  # points: the QR code's top edge
    assert min(description) > qr_top
