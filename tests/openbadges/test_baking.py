"""Baking and un-baking PNG and SVG (pure bytes)."""

from __future__ import annotations

import io
import json
import re
import struct

import pytest
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
payload = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=200
).filter(lambda t: t.strip() == t)


def _chunk_types(png: bytes) -> list[bytes]:
    types, pos = [], 8
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
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


# Strings built to break a naive baker: CDATA ends, tags, entities, quotes, backslashes,
# characters XML forbids, and anything else UTF-8 can carry.
hostile = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "]]>",
                "]]",
                "]",
                ">",
                "<![CDATA[",
                "</openbadges:credential>",
                "</openbadges:assertion>",
                "<!--",
                "&amp;",
                "&",
                '"',
                "'",
                "\\",
                "\ufffe",
                "\uffff",
                "\x00",
                "\n",
                "\u2028",
                'verify="x"',
            ]
        ),
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20),
    ),
    max_size=12,
).map("".join)
# A stream extractor: the first CDATA section of the element, up to the first "]]>".
_STREAM = re.compile(r"<openbadges:(?:assertion|credential)>\s*<!\[CDATA\[(.*?)\]\]>", re.S)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([OB2_KEYWORD, OB3_KEYWORD]), hostile, hostile)
def test_svg_json_in_one_cdata_section_whatever_its_strings(keyword, first, second):
    old = json.dumps({"id": "urn:x:1", "name": first}, ensure_ascii=False)
    document = {"id": "urn:x:2", "name": second, "tags": [first, second]}
    text = json.dumps(document, ensure_ascii=False)
    baked = bake_svg(bake_svg(SVG, keyword, old), keyword, text)  # re-bake replaces
    assert baked.count("<![CDATA[") == 1 and "verify=" not in baked.split("CDATA")[0]
    (section,) = _STREAM.findall(baked)
    assert json.loads(section) == document
    found = unbake(baked.encode())
    assert found.keyword == keyword and json.loads(found.text) == document


@settings(max_examples=80, deadline=None)
@given(st.sampled_from([OB2_KEYWORD, OB3_KEYWORD]), hostile)
def test_png_carries_the_json_exactly(keyword, value):
    text = json.dumps({"id": "urn:x:1", "name": value}, ensure_ascii=False)
    assert unbake(bake_png(PNG, keyword, text)).text == text


def test_legacy_assertion_url_goes_in_verify():
    url = "https://example.org/ob/v2/assertions/1?a=1&b=2"
    baked = bake_svg(SVG, OB2_KEYWORD, url)
    assert 'verify="https://example.org/ob/v2/assertions/1?a=1&amp;b=2"' in baked
    assert unbake(baked.encode()).text == url


@pytest.mark.parametrize("keyword", [OB2_KEYWORD, OB3_KEYWORD])
def test_signatures_go_in_the_verify_attribute(keyword):
    baked = bake_svg(SVG, keyword, "a.b.c")
    assert 'verify="a.b.c"' in baked and "CDATA" not in baked
    assert unbake(baked.encode()).text == "a.b.c"


def test_served_ob2_bakes_carry_the_assertion_and_verify(client, badge):
    from app.openbadges import operations
    from app.openbadges.verify import verify

    assertion = operations.issue(badge, operations.Recipient(email="ana@example.org")).assertion
    base = f"/ob/v2/assertions/{assertion.public_id}"
    png = client.get(f"{base}/badge.png").get_data()
    carried = json.loads(unbake(png).text)
    assert carried["type"] == "Assertion" and carried["id"] == f"http://localhost{base}"
    svg = client.get(f"{base}/badge.svg").get_data(as_text=True)
    assert "verify=" not in svg and svg.count("<![CDATA[") == 1
    assert json.loads(unbake(svg.encode()).text) == carried
    for baked in (png, svg.encode()):
        report = verify(baked, email="ana@example.org")
        assert report.valid and report.details["format"] == "ob2-hosted", report.errors
