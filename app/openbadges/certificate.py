"""A printable certificate of one award: the public verification page as an A4 PDF.

Built server-side with reportlab from plain values (no request, no rows), so it shows exactly
what the public page shows: the learner's name only when the page shows it, and a revoked or
expired award says so in large type above everything else. The QR code (segno) carries the
public verification URL, so a printed copy leads back to the live status.

Text is drawn the way badge artwork is (``badge_design.fonts``): shaped by HarfBuzz in the
bundled Noto fonts and filled as glyph outlines, so Arabic joins and reads right to left,
Devanagari forms its conjuncts and CJK names print, which reportlab's own text drawing (one
glyph per character, left to right) cannot do. Each line also carries its characters as
invisible text, so the PDF can still be searched, copied and read aloud.
The file is byte-for-byte the same for the same facts (reportlab's invariant mode).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import segno
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont as EmbeddedFont
from reportlab.pdfgen import canvas
from reportlab.pdfgen.canvas import FILL_NON_ZERO

from app.i18n import format_date, html_lang, text_direction
from badge_design.fonts import (
    SUBTITLE_WEIGHT,
    TITLE_WEIGHT,
    UNITS_PER_EM,
    glyph_outlines,
    text_width,
    visual_order,
)

# The status line: what it says and the colour it is printed in (the page's banner colours).
_STATUS = {
    "valid": (_l("VALID: verified badge"), colors.HexColor("#1a7f37")),
    "expired": (
        _l("EXPIRED: this badge no longer certifies anything current"),
        colors.HexColor("#9a6700"),
    ),
    "revoked": (_l("REVOKED: this badge certifies nothing"), colors.HexColor("#b42318")),
}
REGULAR, BOLD = SUBTITLE_WEIGHT, TITLE_WEIGHT
# The invisible text layer's font: one empty glyph for every character, so reportlab gives
# each character its own code and a ToUnicode entry (it writes characters its font lacks
# as code 0, which reads back as nothing).
_HIDDEN = "BadgebridgeHiddenText"
_FONT_LOCK = threading.Lock()


def _register_hidden_font() -> None:
    """Build and register the invisible text layer's font, once per process."""
    with _FONT_LOCK:
        if _HIDDEN in pdfmetrics.getRegisteredFontNames():
            return
        builder = FontBuilder(UNITS_PER_EM, isTTF=True)
        # Fixed dates (the font's "created" and "modified" are copied into the PDF).
        builder.updateHead(created=0, modified=0)
        builder.font.recalcTimestamp = False
        builder.setupGlyphOrder([".notdef", "blank"])
        builder.setupCharacterMap({0x20: "blank"})
        # Every character but the surrogates and the noncharacters U+FFFE and U+FFFF, with
        # the emoji planes' symbols, in one "many to one" subtable (format 13: the format 4
        # a font usually has cannot map this many characters to one glyph).
        many_to_one = CmapSubtable.newSubtable(13)
        many_to_one.platformID, many_to_one.platEncID, many_to_one.language = 3, 10, 0
        codes = (*range(0x20, 0xD800), *range(0xE000, 0xFFFE), *range(0x1F000, 0x1FB00))
        many_to_one.cmap = dict.fromkeys(codes, "blank")
        builder.font["cmap"].tables = [many_to_one]
        builder.setupGlyf({".notdef": TTGlyphPen(None).glyph(), "blank": TTGlyphPen(None).glyph()})
        builder.setupHorizontalMetrics({".notdef": (500, 0), "blank": (500, 0)})
        builder.setupHorizontalHeader(ascent=800, descent=-200)
        builder.setupNameTable({"familyName": _HIDDEN, "styleName": "Regular"})
        builder.setupOS2(fsType=0)  # installable: reportlab refuses to embed otherwise
        builder.setupPost()
        data = io.BytesIO()
        builder.save(data)
        data.seek(0)
        pdfmetrics.registerFont(EmbeddedFont(_HIDDEN, data))


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


def _width(text: str, weight: int, size: float) -> float:
    """The printed width of one line of ``text`` at ``size`` points."""
    return text_width(text, weight) * size / UNITS_PER_EM


def _wrap(text: str, weight: int, size: float, width: float) -> list[str]:
    """``text`` in lines no wider than ``width``: broken between words, and inside a word
    only when it is wider than a line alone (a URL, or Chinese and Japanese, which use no
    spaces)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        joined = f"{line} {word}" if line else word
        if _width(joined, weight, size) <= width:
            line = joined
            continue
        if line:
            lines.append(line)
        line = ""
        for char in word:
            if line and _width(line + char, weight, size) > width:
                lines.append(line)
                line = ""
            line += char
    return [*lines, line] if line else lines


def _draw(pdf: canvas.Canvas, text: str, left: float, y: float, weight: int, size: float) -> None:
    """Fill one line's glyph outlines from ``left`` on the baseline ``y``, with the line's
    characters as invisible text over it (in visual order, as PDF text is stored: readers
    turn right-to-left runs back when they extract it)."""
    scale = size / UNITS_PER_EM
    path = pdf.beginPath()
    for x, y_offset, outline in glyph_outlines(text, weight):
        origin_x, origin_y = left + x * scale, y + y_offset * scale
        current = start = (origin_x, origin_y)
        for command, coords in outline:
            points = [
                (origin_x + coords[i] * scale, origin_y + coords[i + 1] * scale)
                for i in range(0, len(coords), 2)
            ]
            if command == "M":
                path.moveTo(*points[0])
                start = points[0]
            elif command == "L":
                path.lineTo(*points[0])
            elif command == "Q":
                # PDF has cubic curves only; a quadratic one is the cubic with its control
                # points two thirds of the way to the quadratic's.
                (qx, qy), (ex, ey) = points
                path.curveTo(
                    current[0] + 2 / 3 * (qx - current[0]),
                    current[1] + 2 / 3 * (qy - current[1]),
                    ex + 2 / 3 * (qx - ex),
                    ey + 2 / 3 * (qy - ey),
                    ex,
                    ey,
                )
            elif command == "C":
                path.curveTo(*points[0], *points[1], *points[2])
            else:  # "Z"
                path.close()
            current = points[-1] if points else start
    # TrueType outlines are filled by the nonzero winding rule (counters wind the other way).
    pdf.drawPath(path, stroke=0, fill=1, fillMode=FILL_NON_ZERO)
    hidden = pdf.beginText(left, y)
    hidden.setTextRenderMode(3)  # neither filled nor stroked: there to be found, not seen
    hidden.setFont(_HIDDEN, size)
    natural = pdfmetrics.stringWidth(text, _HIDDEN, size)
    if natural:
        # Stretched over the drawn line, so selecting the text selects what is seen.
        hidden.setHorizScale(100 * _width(text, weight, size) / natural)
    hidden.textOut(visual_order(text))
    pdf.drawText(hidden)


def _centred(
    pdf: canvas.Canvas,
    text: str,
    y: float,
    weight: int,
    size: float,
    width: float,
    floor: float = 0.0,
) -> float:
    """Draw ``text`` centred, wrapped to ``width``; return the y below the last line.

    Lines that would go below ``floor`` are left out (the last one kept ends with "…"), so
    a long description never runs into the QR code.
    """
    lines = _wrap(text, weight, size, width) or [""]
    room = max(1, int((y - floor) // (size * 1.3)) + 1) if floor else len(lines)
    if len(lines) > room:
        lines = [*lines[: room - 1], lines[room - 1].rstrip(" .") + "…"]
    for line in lines:
        _draw(pdf, line, (A4[0] - _width(line, weight, size)) / 2, y, weight, size)
        y -= size * 1.3
    return y


def _aside(pdf: canvas.Canvas, lines: Iterable[str], edge: float, y: float, rtl: bool) -> None:
    """Small lines beside the QR code, from ``edge``: leftwards for a right-to-left reader."""
    for index, line in enumerate(lines):
        left = edge - _width(line, REGULAR, 9) if rtl else edge
        _draw(pdf, line, left, y - index * 12, REGULAR, 9)


def render(facts: CertificateFacts) -> bytes:
    """The certificate of ``facts`` in the current locale, as the bytes of a one-page A4 PDF."""
    _register_hidden_font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1, invariant=True, lang=html_lang())
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
        # Room for Arabic and Devanagari marks, which rise above the capitals.
        y = _centred(pdf, facts.recipient_name, y - 2 * mm, BOLD, 18, text_w)
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

    # The QR code and the URL it carries, at the reader's start edge of the page (left, or
    # right for a right-to-left language): scan or type it to check the status now.
    rtl = text_direction() == "rtl"
    qr_left = page_w - 20 * mm - qr if rtl else 20 * mm
    pdf.drawImage(ImageReader(io.BytesIO(qr_png(facts.verify_url))), qr_left, 18 * mm, qr, qr)
    lines = [
        _("Check this certificate's current status:"),
        *_wrap(facts.verify_url, REGULAR, 9, text_w - qr - 6 * mm),
    ]
    edge = qr_left - 6 * mm if rtl else qr_left + qr + 6 * mm
    _aside(pdf, lines, edge, 18 * mm + qr - 6 * mm, rtl)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
