"""Baking and un-baking PNG and SVG (pure bytes)."""

from __future__ import annotations

import io
import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from badge_design.baking import (
    OB2_KEYWORD,
    OB3_KEYWORD,
    bake_png,
    bake_svg,
    unbake,
)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (16, 16), (200, 30, 30, 255)).save(out, "PNG")
    return out.getvalue()


PNG = _png()
SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10"/></svg>'
payload = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                  max_size=200).filter(lambda t: t.strip() == t)


def _chunk_types(png: bytes) -> list[bytes]:
    types, pos = [], 8
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        types.append(kind)
        pos += 12 + length
    return types


@settings(max_examples=80, deadline=None)
@given(st.sampled_from([OB2_KEYWORD, OB3_KEYWORD]), payload, payload)
def test_png_round_trip_one_chunk(keyword, first, second):
    baked = bake_png(bake_png(PNG, keyword, first), keyword, second)  # re-bake replaces
    data = unbake(baked)
    assert (data.keyword, data.text) == (keyword, second)
    assert _chunk_types(baked).count(b"iTXt") == 1
    assert _chunk_types(baked)[:2] == [b"IHDR", b"iTXt"]
    Image.open(io.BytesIO(baked)).load()  # still a valid PNG (CRCs checked)


@settings(max_examples=80, deadline=None)
@given(payload)
def test_svg_round_trip(text):
    url = "https://example.org/ob/v2/assertions/1?a=" + text.replace('"', "")
    assert unbake(bake_svg(SVG, OB2_KEYWORD, url).encode()).text == url
    credential = '{"id": "x", "name": "' + text.replace('"', "").replace("\\", "") + ']]>"}'
    baked = bake_svg(bake_svg(SVG, OB3_KEYWORD, "old"), OB3_KEYWORD, credential)
    assert baked.count("openbadges:credential>") == 2  # one element: open and close tags
    assert unbake(baked.encode()).text == credential.strip()
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in baked


def test_jwt_goes_in_verify_attribute():
    baked = bake_svg(SVG, OB3_KEYWORD, "a.b.c")
    assert 'verify="a.b.c"' in baked and unbake(baked.encode()).text == "a.b.c"
