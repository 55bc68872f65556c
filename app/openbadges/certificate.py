"""A printable certificate of one award: the public verification page as an A4 PDF.

Built server-side with reportlab from plain values (no request, no rows), so it shows exactly
what the public page shows: the learner's name only when the page shows it, and a revoked or
expired award says so in large type above everything else. The QR code (segno) carries the
public verification URL, so a printed copy leads back to the live status.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from datetime import datetime

import segno
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from fontTools.merge import Merger
from fontTools.ttLib import TTFont
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont as EmbeddedFont
from reportlab.pdfgen import canvas

from app.i18n import SUPPORTED, force_locale, format_date, text_direction
from badge_design.fonts import FONT_DIR, SUBSETS, SUBTITLE_WEIGHT, TITLE_WEIGHT

# The status line: what it says and the colour it is printed in (the page's banner colours).
_STATUS = {
    "valid": (_l("VALID: verified badge"), colors.HexColor("#1a7f37")),
    "expired": (
        _l("EXPIRED: this badge no longer certifies anything current"),
        colors.HexColor("#9a6700"),
    ),
    "revoked": (_l("REVOKED: this badge certifies nothing"), colors.HexColor("#b42318")),
}
# The badges' own font (Noto Sans), embedded: PDF's built-in Helvetica has no "Ł" or "Ж",
# and a learner's name must print as they spell it.
REGULAR, BOLD = "BadgebridgeSans", "BadgebridgeSans-Bold"
_FONT_LOCK = threading.Lock()


def _register_fonts() -> None:
    """Register the bundled font with reportlab once per process (about 0.4 s each weight).

    The font ships split by script; merged into one TrueType font, every script in it
    prints from one face, so wrapping and centring measure the real glyphs.
    """
    with _FONT_LOCK:
        if BOLD in pdfmetrics.getRegisteredFontNames():
            return
        for name, weight in ((REGULAR, SUBTITLE_WEIGHT), (BOLD, TITLE_WEIGHT)):
            parts = []
            for subset in SUBSETS:
                part = TTFont(FONT_DIR / f"noto-sans-{subset}-{weight}-normal.woff")
                part.flavor = None  # WOFF to plain TrueType, which the merger and PDF take
                parts.append(io.BytesIO())
                part.save(parts[-1])
                parts[-1].seek(0)
            merged = io.BytesIO()
            Merger().merge(parts).save(merged)
            merged.seek(0)
            pdfmetrics.registerFont(EmbeddedFont(name, merged))


@dataclass(frozen=True)
class CertificateFacts:
    """What the certificate prints, as the public verification page shows it."""

    badge_name: str
    description: str
    issuer_name: str
    recipient_name: str  # "" when the page does not show it (privacy: not accepted yet)
    issued_on: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    revocation_reason: str | None
    status: str  # "valid", "expired" or "revoked"
    verify_url: str
    badge_png: bytes


def qr_png(url: str) -> bytes:
    """The QR code of ``url`` as a PNG (error correction M: survives a smudged printout)."""
    out = io.BytesIO()
    segno.make_qr(url, error="m").save(out, kind="png", scale=8, border=4)
    return out.getvalue()


def _centred(
    pdf: canvas.Canvas,
    text: str,
    y: float,
    font: str,
    size: float,
    width: float,
    floor: float = 0.0,
) -> float:
    """Draw ``text`` centred, wrapped to ``width``; return the y below the last line.

    Lines that would go below ``floor`` are left out (the last one kept ends with "…"), so
    a long description never runs into the QR code.
    """
    lines = simpleSplit(text, font, size, width) or [""]
    room = max(1, int((y - floor) // (size * 1.3)) + 1) if floor else len(lines)
    if len(lines) > room:
        lines = [*lines[: room - 1], lines[room - 1].rstrip(" .") + "…"]
    for line in lines:
        pdf.setFont(font, size)
        pdf.drawCentredString(A4[0] / 2, y, line)
        y -= size * 1.3
    return y


def render_localized(facts: CertificateFacts) -> bytes:
    """The certificate in the reader's language, or in English for a right-to-left one: the
    embedded font has no Arabic glyphs and reportlab draws text unshaped, so an Arabic
    certificate would print as boxes (badge_design's shaped fonts can lift this)."""
    if text_direction() == "rtl":
        with force_locale(SUPPORTED[0]):
            return render(facts)
    return render(facts)


def render(facts: CertificateFacts) -> bytes:
    """The certificate of ``facts`` as the bytes of a one-page A4 PDF."""
    _register_fonts()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{facts.badge_name} · {facts.issuer_name}")
    pdf.setAuthor(facts.issuer_name)
    pdf.setSubject(_("Certificate of an Open Badge, verifiable at %(url)s", url=facts.verify_url))
    page_w, page_h = A4
    text_w = page_w - 40 * mm
    label, colour = _STATUS[facts.status]
    label = str(label)

    # The status first and in colour: a revoked certificate must not pass for a valid one.
    pdf.setFillColor(colour)
    pdf.rect(20 * mm, page_h - 38 * mm, text_w, 18 * mm, stroke=0, fill=1)
    pdf.setFillColor(colors.white)
    _centred(pdf, label, page_h - 31 * mm, BOLD, 15, text_w - 8 * mm)
    pdf.setFillColor(colors.black)

    y = _centred(pdf, _("Certificate of achievement"), page_h - 52 * mm, REGULAR, 14, text_w)
    size = 70 * mm
    pdf.drawImage(
        ImageReader(io.BytesIO(facts.badge_png)),
        (page_w - size) / 2,
        y - size - 4 * mm,
        size,
        size,
        mask="auto",
    )
    y -= size + 14 * mm
    y = _centred(pdf, facts.badge_name, y, BOLD, 24, text_w)
    if facts.recipient_name:
        y = _centred(pdf, _("awarded to"), y - 2 * mm, REGULAR, 12, text_w)
        y = _centred(pdf, facts.recipient_name, y, BOLD, 18, text_w)
    issued_by = _("Issued by %(issuer)s", issuer=facts.issuer_name)
    y = _centred(pdf, issued_by, y - 3 * mm, REGULAR, 13, text_w)
    issued_on = _("Issued on %(date)s", date=format_date(facts.issued_on.date()))
    y = _centred(pdf, issued_on, y, REGULAR, 11, text_w)
    if facts.expires_at:
        day = format_date(facts.expires_at.date())
        expiry = (
            _("Expired on %(date)s", date=day)
            if facts.status == "expired"
            else _("Expires on %(date)s", date=day)
        )
        y = _centred(pdf, expiry, y, REGULAR, 11, text_w)
    if facts.status == "revoked":
        revoked = (
            _("Revoked on %(date)s", date=format_date(facts.revoked_at.date()))
            if facts.revoked_at
            else _("Revoked")
        )
        if facts.revocation_reason:
            revoked += ": " + facts.revocation_reason
        pdf.setFillColor(colour)
        y = _centred(pdf, revoked, y, BOLD, 12, text_w)
        pdf.setFillColor(colors.black)
    qr = 32 * mm
    _centred(pdf, facts.description, y - 4 * mm, REGULAR, 10, text_w, floor=18 * mm + qr + 8 * mm)

    # The QR code and the URL it carries, bottom left: scan or type it to check the status now.
    pdf.drawImage(ImageReader(io.BytesIO(qr_png(facts.verify_url))), 20 * mm, 18 * mm, qr, qr)
    pdf.setFont(REGULAR, 9)
    lines = [
        _("Check this certificate's current status:"),
        *simpleSplit(facts.verify_url, REGULAR, 9, text_w - qr - 6 * mm),
    ]
    for index, line in enumerate(lines):
        pdf.drawString(20 * mm + qr + 6 * mm, 18 * mm + qr - 6 * mm - index * 12, line)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
