"""Baking Open Badges into images, and reading them back. Pure bytes: no app, no database.

PNG: one uncompressed ``iTXt`` chunk, spliced in right after ``IHDR`` (the artwork is not
re-encoded, so baking costs a copy and a CRC). Keyword ``openbadges`` (2.0: the assertion
JSON, or a signed assertion) or ``openbadgecredential`` (3.0: the signed credential JSON or a
compact VC-JWT).

SVG: an ``openbadges:assertion`` element (2.0, namespace ``http://openbadges.org``) or an
``openbadges:credential`` element (3.0, namespace ``https://purl.imsglobal.org/ob/v3p0``).
JSON goes in exactly one CDATA section, without a ``verify`` attribute; a signature (JWS or
VC-JWT) goes in ``verify``, as both baking specifications show. ``]]>`` can only occur inside
a JSON string, so it is written ``]]\\u003e`` there: the same JSON in one CDATA section, which
stream extractors that stop at the first ``]]>`` read whole.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import fromstring

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OB2_KEYWORD = "openbadges"
OB3_KEYWORD = "openbadgecredential"
OB2_SVG_NS = "http://openbadges.org"
OB3_SVG_NS = "https://purl.imsglobal.org/ob/v3p0"
_KEYWORDS = (OB2_KEYWORD, OB3_KEYWORD)


class BakingError(ValueError):
    """The image is not a PNG/SVG we can bake into or read from."""


@dataclass(frozen=True)
class BakedData:
    """What an image carries: the keyword (``openbadges``/``openbadgecredential``) and text."""

    keyword: str
    text: str

    @property
    def is_ob3(self) -> bool:
        return self.keyword == OB3_KEYWORD


# --- PNG ---------------------------------------------------------------------------------------


def _chunks(png: bytes):
    """Yield (start, end, type, data) for each chunk; BakingError on a damaged stream."""
    if not png.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG file")
    pos = len(PNG_SIGNATURE)
    while pos < len(png):
        if pos + 8 > len(png):
            raise BakingError("truncated PNG chunk header")
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        end = pos + 12 + length
        if end > len(png):
            raise BakingError("truncated PNG chunk")
        yield pos, end, kind, png[pos + 8 : pos + 8 + length]
        pos = end
        if kind == b"IEND":
            return


def itxt_chunk(keyword: str, text: str) -> bytes:
    """An uncompressed iTXt chunk (empty language tag and translated keyword)."""
    data = keyword.encode("latin-1") + b"\0\0\0\0\0" + text.encode("utf-8")
    body = b"iTXt" + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def _itxt_keyword(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("latin-1")


def bake_png(png: bytes, keyword: str, text: str) -> bytes:
    """``png`` with one ``keyword`` iTXt chunk after IHDR (an older one is replaced)."""
    if keyword not in _KEYWORDS:
        raise BakingError(f"unknown Open Badges keyword {keyword!r}")
    parts = [PNG_SIGNATURE]
    seen_ihdr = False
    for start, end, kind, data in _chunks(png):
        if kind == b"iTXt" and _itxt_keyword(data) == keyword:
            continue  # the spec forbids two chunks with our keyword: drop the old one
        parts.append(png[start:end])
        if kind == b"IHDR":
            seen_ihdr = True
            parts.append(itxt_chunk(keyword, text))
    if not seen_ihdr:
        raise BakingError("PNG has no IHDR chunk")
    return b"".join(parts)


def unbake_png(png: bytes) -> BakedData | None:
    """The first Open Badges iTXt chunk of ``png``, or None."""
    for _start, _end, kind, data in _chunks(png):
        if kind != b"iTXt":
            continue
        keyword, _, rest = data.partition(b"\0")
        name = keyword.decode("latin-1")
        if name not in _KEYWORDS or len(rest) < 2:
            continue
        compressed = rest[0] == 1
        # after the flags: language tag \0 translated keyword \0 text
        _lang, _, rest = rest[2:].partition(b"\0")
        _translated, _, text = rest.partition(b"\0")
        if compressed:
            text = zlib.decompress(text)
        return BakedData(name, text.decode("utf-8"))
    return None


# --- SVG ---------------------------------------------------------------------------------------

_SVG_START = re.compile(r"<svg\b[^>]*?(/?)>", re.DOTALL)
_NS_ATTR = re.compile(r"""\s+xmlns:openbadges\s*=\s*(["'])[^"']*\1""")
_OLD_ELEMENT = re.compile(
    r"<openbadges:(assertion|credential)\b[^>]*?(/>|>.*?</openbadges:\1\s*>)\s*", re.DOTALL
)


def _attr(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


# Characters XML 1.0 does not allow even in CDATA; in JSON they can only be inside strings.
_NOT_XML = re.compile("[\ufffe\uffff]")


def _json_cdata(text: str) -> str:
    """JSON ``text`` as one CDATA section. ``]]>``, ``<`` and non-XML characters can only be in
    JSON strings, where their ``\\u`` escapes mean the same: the JSON value is unchanged."""
    text = text.replace("]]>", "]]\\u003e")
    # And "<": no string can then end the element early for a reader (or our re-bake) that
    # looks for the closing tag without parsing CDATA.
    text = text.replace("<", "\\u003c")
    text = _NOT_XML.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return "<![CDATA[" + text + "]]>"


def bake_svg(svg: str, keyword: str, text: str) -> str:
    """``svg`` carrying one Open Badges element (an older one is replaced).

    ``keyword`` as for PNG. JSON ``text`` (an assertion or a credential) goes in one CDATA
    section; anything else (a JWS or VC-JWT; a legacy OB 2.0 assertion URL) in ``verify``.
    """
    if keyword == OB2_KEYWORD:
        namespace, name = OB2_SVG_NS, "assertion"
    elif keyword == OB3_KEYWORD:
        namespace, name = OB3_SVG_NS, "credential"
    else:
        raise BakingError(f"unknown Open Badges keyword {keyword!r}")
    if text.lstrip().startswith("{"):
        element = f"<openbadges:{name}>{_json_cdata(text.strip())}</openbadges:{name}>"
    else:
        element = f'<openbadges:{name} verify="{_attr(text)}"></openbadges:{name}>'
    svg = _OLD_ELEMENT.sub("", svg)
    match = _SVG_START.search(svg)
    if match is None:
        raise BakingError("no <svg> element")
    start_tag = _NS_ATTR.sub("", match.group(0))
    self_closing = bool(match.group(1))
    head = start_tag[: -2 if self_closing else -1].rstrip()
    opened = f'{head} xmlns:openbadges="{namespace}">'
    tail = "</svg>" if self_closing else ""
    return svg[: match.start()] + opened + element + tail + svg[match.end() :]


def _find_element(root: Element) -> tuple[str, Element] | None:
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for namespace in (OB2_SVG_NS, OB3_SVG_NS):
            if element.tag == f"{{{namespace}}}assertion":
                return OB2_KEYWORD, element
            if element.tag == f"{{{namespace}}}credential":
                return OB3_KEYWORD, element
    return None


def unbake_svg(svg: str | bytes) -> BakedData | None:
    """The Open Badges element of ``svg`` (its ``verify`` attribute, else its text), or None."""
    try:
        root = fromstring(svg)
    except Exception as exc:  # defusedxml raises several types for hostile or broken XML
        raise BakingError(f"not a readable SVG: {exc}") from None
    found = _find_element(root)
    if found is None:
        return None
    keyword, element = found
    text = element.get("verify") or (element.text or "").strip()
    return BakedData(keyword, text)


def unbake(data: bytes) -> BakedData | None:
    """Read an Open Badge from PNG or SVG bytes; BakingError if it is neither."""
    if data.startswith(PNG_SIGNATURE):
        return unbake_png(data)
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<?xml", b"<svg", b"<!--")) or b"<svg" in head:
        return unbake_svg(data)
    raise BakingError("not a PNG or SVG image")
