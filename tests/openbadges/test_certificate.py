"""The printable certificate: the verification page as a PDF, read back as text and images,
and its drawing checked against HarfBuzz run directly on the bundled fonts."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uharfbuzz as hb
import zxingcpp
from flask_babel import gettext as _
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont
from freezegun import freeze_time
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream
from reportlab.lib.pagesizes import A4

from app.i18n import force_locale
from app.learner.tokens import make_accept_token
from app.openbadges import certificate
from badge_design import fonts
from tests.api.test_pipeline_api import create_key
from tests.security.test_privacy import _award_by_api

ROOT = Path(__file__).resolve().parents[2]


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


def _hb_glyphs(font_file: str, text: str, rtl: bool) -> list[tuple[int, int, int, int]]:
    """(glyph id, x advance, x offset, y offset) of ``text`` shaped by HarfBuzz directly on
    the bundled font file, in font units."""
    ttfont = TTFont(fonts.FONT_DIR / font_file)
    ttfont.flavor = None
    data = io.BytesIO()
    ttfont.save(data)
    font = hb.Font(hb.Face(data.getvalue()))
    font.scale = (1000, 1000)
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.direction = "rtl" if rtl else "ltr"
    buffer.guess_segment_properties()
    hb.shape(font, buffer)
    return [
        (info.codepoint, pos.x_advance, pos.x_offset, pos.y_offset)
        for info, pos in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True)
    ], font


def _contour_starts(font_file: str, text: str, rtl: bool, size: float, shaped: bool = True):
    """Where each contour of ``text``'s glyphs starts, relative to the first one, in points:
    HarfBuzz's glyphs (or, with ``shaped=False``, one nominal glyph per character in reading
    order, as a renderer without shaping draws them) at ``size`` points."""
    glyphs, font = _hb_glyphs(font_file, text, rtl)
    if not shaped:
        nominal = [font.get_nominal_glyph(ord(char)) for char in (text[::-1] if rtl else text)]
        glyphs = [(glyph, font.get_glyph_h_advance(glyph), 0, 0) for glyph in nominal]
    starts, x = [], 0
    for glyph_id, advance, x_offset, y_offset in glyphs:
        pen = RecordingPen()
        font.draw_glyph_with_pen(glyph_id, pen)
        for method, points in pen.value:
            if method == "moveTo":
                starts.append((x + x_offset + points[0][0], y_offset + points[0][1]))
        x += advance
    scale = size / 1000
    return [((sx - starts[0][0]) * scale, (sy - starts[0][1]) * scale) for sx, sy in starts]


def _page_drawing(pdf: bytes) -> tuple[list[tuple[float, float]], list[int], dict[str, float]]:
    """The page's path start points, the text render mode of each string shown and the x of
    each image drawn (by its width in points: the artwork is the widest)."""
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    starts: list[tuple[float, float]] = []
    modes: list[int] = []
    images: dict[str, float] = {}
    matrix = None
    mode = 0
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"m":
            starts.append((float(operands[0]), float(operands[1])))
        elif operator == b"BT":
            mode = 0
        elif operator == b"Tr":
            mode = int(operands[0])
        elif operator in (b"Tj", b"TJ", b"'", b'"'):
            modes.append(mode)
        elif operator == b"cm":
            matrix = [float(value) for value in operands]
        elif operator == b"Do" and matrix:
            images["artwork" if matrix[0] > 150 else "qr"] = matrix[4]
    return starts, modes, images


def _contains(drawn: list[tuple[float, float]], expected: list[tuple[float, float]]) -> bool:
    for i in range(len(drawn) - len(expected) + 1):
        origin = drawn[i]
        if all(
            abs(drawn[i + k][0] - origin[0] - ex) < 0.02
            and abs(drawn[i + k][1] - origin[1] - ey) < 0.02
            for k, (ex, ey) in enumerate(expected)
        ):
            return True
    return False


@pytest.mark.parametrize(
    ("name", "font_file", "rtl", "locale"),
    [
        ("شارة التميز", "noto-sans-arabic-arabic-700-normal.woff", True, "ar"),
        ("प्रमाणपत्र विजेता", "noto-sans-devanagari-devanagari-700-normal.woff", False, "en"),
        ("日本語の達人", fonts.JAPANESE_FILE, False, "en"),
        ("학습의별", fonts.KOREAN_FILE, False, "en"),
        ("学习之星", fonts.CHINESE_FILE, False, "en"),
    ],
    ids=["arabic", "hindi", "japanese", "korean", "chinese"],
)
def test_a_name_in_any_script_is_drawn_as_harfbuzz_shapes_it(app, name, font_file, rtl, locale):
    with app.test_request_context(), force_locale(locale):
        pdf = certificate.render(_facts(badge_name=name, recipient_name=name))
    starts, modes, images = _page_drawing(pdf)
    # The badge name is printed at 24 points, the learner's at 18: both as shaped outlines.
    assert _contains(starts, _contour_starts(font_file, name, rtl, 24))
    assert _contains(starts, _contour_starts(font_file, name, rtl, 18))
    if "arabic" in font_file or "devanagari" in font_file:
        # Arabic joining and Devanagari conjuncts: one glyph per character would differ
        # (CJK characters are one glyph each either way).
        assert not _contains(starts, _contour_starts(font_file, name, rtl, 24, shaped=False))
    # No text is drawn with a font: every string shown is invisible (render mode 3), there
    # for search and copy, and reads back in logical order.
    assert modes and set(modes) == {3}
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert name in text
    # The reader's start edge: the QR code bottom right for a right-to-left language.
    assert (images["qr"] > A4[0] / 2) == rtl


def test_an_arabic_certificate_speaks_arabic(app):
    with app.test_request_context(), force_locale("ar"):
        pdf = certificate.render(_facts(badge_name="Teamwork"))
        heading = _("Certificate of achievement")
    assert heading != "Certificate of achievement"
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert heading in text and "Teamwork" in text


_FRESH_PROCESS = """
import hashlib, io, sys
from datetime import UTC, datetime
from PIL import Image
import app.models
from app.openbadges import certificate
png = io.BytesIO()
Image.new("RGBA", (64, 64), (30, 90, 160, 255)).save(png, format="PNG")
facts = certificate.CertificateFacts(
    badge_name=sys.argv[1], description="d", issuer_name="Uni", recipient_name=sys.argv[1],
    issued_on=datetime(2026, 1, 5, tzinfo=UTC), expires_at=None, revoked_at=None,
    revocation_reason=None, status="valid", verify_url="https://badges.example/v/1",
    badge_png=png.getvalue(),
)
print(hashlib.sha256(certificate.render(facts)).hexdigest())
"""


def test_the_same_facts_give_the_same_bytes_in_a_fresh_process():
    name = "شارة التميز 日本語 प्रमाणपत्र"
    runs = [
        subprocess.run(
            [sys.executable, "-c", _FRESH_PROCESS, name],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1] and len(runs[0].strip()) == 64
