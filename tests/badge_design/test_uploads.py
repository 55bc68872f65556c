"""Uploads: the hostile corpus is refused or neutralised, and good files come out clean."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring
from PIL import Image
from PIL.ExifTags import IFD

from badge_design import svg_sanitize
from badge_design.design import validate_design
from badge_design.svg_sanitize import sanitize_svg
from badge_design.templates import render_svg
from badge_design.upload_errors import UploadError
from badge_design.uploads import ProcessedImage, process_upload

HOSTILE = Path(__file__).resolve().parent / "hostile"

# file -> words of the refusal message
REFUSED = {
    "billion_laughs.svg": "declares XML entities",
    "xxe_file.svg": "declares XML entities",
    "xxe_parameter_entity.svg": "declares XML entities",
    "use_bomb.svg": "too complex to draw",
    "use_cycle.svg": "refers to itself in a loop",
    "no_size.svg": "no usable viewBox or width and height",
    "html_not_svg.svg": "not a valid PNG, JPEG or SVG image",
    "xml_not_svg.svg": "XML but not an SVG image",
    "garbage.png": "not a valid PNG image",
    "gif_polyglot.png": "not a valid PNG, JPEG or SVG image",
    "notes.txt": "is not a PNG, JPEG or SVG file",
}

# file -> (words that must appear in some warning, text that must not survive)
NEUTRALISED = {
    "script_tag.svg": ("Removed <script>", ["script", "alert", "fetch("]),
    "onload_handler.svg": ("Removed event handler", ["onload", "onclick", "alert", "OnMouseOver"]),
    "foreign_object.svg": (
        "Removed <foreignObject>",
        ["foreignObject", "iframe", "body", "javascript"],
    ),
    "javascript_href.svg": ("outside the file", ["javascript", "alert", "<a", "animate", "<set"]),
    "external_image.svg": ("Removed an image", ["127.0.0.1", "passwd", "<image", "svg+xml"]),
    "css_url.svg": ("referred to", ["127.0.0.1", "@import", "passwd", "behavior", "\\75"]),
    "external_use.svg": ("outside the file", ["127.0.0.1", "passwd", "other.svg"]),
    "huge_dimensions.svg": (None, ["100000000"]),
    "script_named.png": ("named .png but contains a SVG", ["script", "alert"]),
}


def test_corpus_is_fully_covered() -> None:
    files = {path.name for path in HOSTILE.iterdir()}
    assert files == set(REFUSED) | set(NEUTRALISED)


@pytest.mark.parametrize(("name", "words"), sorted(REFUSED.items()))
def test_hostile_file_is_refused(name: str, words: str) -> None:
    with pytest.raises(UploadError) as caught:
        process_upload(name, (HOSTILE / name).read_bytes())
    assert words in str(caught.value)


@pytest.mark.parametrize(("name", "expected"), sorted(NEUTRALISED.items()))
def test_hostile_file_is_neutralised(name: str, expected: tuple[str | None, list[str]]) -> None:
    warning, forbidden = expected
    result = process_upload(name, (HOSTILE / name).read_bytes())
    assert result.svg is not None
    if warning is not None:
        assert any(warning in note for note in result.warnings), result.warnings
    for text in forbidden:
        assert text.lower() not in result.svg.lower(), text
    root = fromstring(result.svg)
    assert (root.get("width"), root.get("height")) == ("512", "512")
    _assert_png(result.png, 512)
    _assert_png(result.thumbnail_png, 128)


def test_safe_content_of_neutralised_files_survives() -> None:
    result = process_upload("x.svg", (HOSTILE / "external_use.svg").read_bytes())
    assert '<circle id="dot"' in result.svg
    assert '<use href="#dot" x="20"/>' in result.svg
    css = process_upload("x.svg", (HOSTILE / "css_url.svg").read_bytes()).svg
    assert "stroke:#000" in css  # the safe half of a style attribute is kept


def _assert_png(data: bytes, size: int) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG" and image.size == (size, size)
    return image


def _chunks(png: bytes) -> list[bytes]:
    names, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        names.append(png[offset + 4 : offset + 8])
        offset += 12 + length
    return names


def _png_bytes(image: Image.Image, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", **params)
    return out.getvalue()


def _bomb(width: int, height: int) -> bytes:
    """A small PNG that really holds ``width`` x ``height`` 1-bit pixels of zeros."""
    row = b"\x00" + b"\x00" * (width // 8)  # filter byte + 1-bit pixels
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def png_bomb() -> bytes:
    """A ~100 kB PNG of 30 000 x 30 000 pixels (900 MP: 3.6 GB once decoded as RGBA)."""
    return _bomb(30_000, 30_000)


def test_png_decompression_bomb_is_refused(png_bomb: bytes) -> None:
    assert len(png_bomb) < 200_000
    with pytest.raises(UploadError, match=r"too large to process \(more than 40,000,000"):
        process_upload("bomb.png", png_bomb)


def test_image_over_our_pixel_limit_is_refused_before_decoding() -> None:
    # 7000 x 7000 is under Pillow's own bomb threshold, so our limit is what stops it.
    with pytest.raises(UploadError, match=r"7,000 x 7,000 pixels; at most 40,000,000"):
        process_upload("big.png", _bomb(7_000, 7_000))


def test_jpeg_exif_gps_is_stripped_and_orientation_applied() -> None:
    image = Image.new("RGB", (400, 200), (0, 128, 0))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif.get_ifd(IFD.GPSInfo).update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=95)
    data = out.getvalue()
    assert b"SpyCam" in data and Image.open(io.BytesIO(data)).getexif().get_ifd(IFD.GPSInfo)

    result = process_upload("photo.jpg", data)
    assert result.svg is None
    png = _assert_png(result.png, 512)
    assert b"SpyCam" not in result.png
    assert set(_chunks(result.png)) <= {b"IHDR", b"IDAT", b"IEND"}
    assert not png.getexif()
    # Rotated upright: the 400x200 photo is now 200 wide, 400 tall, centred on 512.
    rgba = png.convert("RGBA")
    assert rgba.getpixel((256, 10))[3] == 255  # tall picture reaches the top
    assert rgba.getpixel((10, 256))[3] == 0  # padded at the sides
    assert any("not square" in note for note in result.warnings)


def test_png_polyglot_text_chunks_and_trailing_html_are_dropped() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    info.add_itxt("openbadges", "https://evil.example/assertion")
    data = _png_bytes(Image.new("RGBA", (600, 600), (200, 10, 10, 255)), pnginfo=info)
    data += b"<html><script>alert(2)</script></html>"
    result = process_upload("logo.png", data)
    for blob in (result.png, result.thumbnail_png):
        assert b"script" not in blob and b"openbadges" not in blob and b"<html" not in blob
        assert set(_chunks(blob)) <= {b"IHDR", b"IDAT", b"IEND"}
    assert result.warnings == []


def test_small_raster_is_scaled_with_a_warning() -> None:
    result = process_upload("tiny.PNG", _png_bytes(Image.new("RGB", (64, 64), "blue")))
    image = _assert_png(result.png, 512).convert("RGBA")
    assert image.getpixel((256, 256)) == (0, 0, 255, 255)
    assert any("blurry" in note for note in result.warnings)


def test_jpeg_named_png_is_processed_with_a_note() -> None:
    out = io.BytesIO()
    Image.new("RGB", (512, 512), "white").save(out, "JPEG")
    result = process_upload("scan.png", out.getvalue())
    assert any("named .png but contains a JPEG" in note for note in result.warnings)


def test_truncated_png_is_refused() -> None:
    data = _png_bytes(Image.effect_noise((300, 300), 50))
    with pytest.raises(UploadError, match="damaged or truncated"):
        process_upload("cut.png", data[: len(data) // 2])


def test_oversize_files_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(svg_sanitize, "MAX_SVG_BYTES", 100)
    with pytest.raises(UploadError, match="larger than"):
        process_upload("big.svg", (HOSTILE / "script_tag.svg").read_bytes())
    with pytest.raises(UploadError, match="The file is empty"):
        process_upload("empty.png", b"")


def test_too_many_elements_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">' + "<g/>" * 30_000 + "</svg>"
    with pytest.raises(UploadError, match="more than 20,000 elements"):
        sanitize_svg(svg)
    deep = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">'
        + "<g>" * 100
        + "</g>" * 100
        + "</svg>"
    )
    with pytest.raises(UploadError, match="nested more than 64 levels"):
        sanitize_svg(deep)


def test_embedded_png_image_is_kept_and_checked(png_bomb: bytes) -> None:
    import base64

    good = base64.b64encode(_png_bytes(Image.new("RGB", (4, 4), "red"))).decode()
    bomb = base64.b64encode(png_bomb).decode()
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4">'
        f'<image href="data:image/png;base64,{good}" width="4" height="4"/>'
        f'<image href="data:image/png;base64,{bomb}" width="4" height="4"/></svg>'
    )
    clean, notes = sanitize_svg(svg)
    assert clean.count("<image") == 1 and good in clean and bomb not in clean
    assert any("Removed an image" in note for note in notes)


def test_exported_svg_with_doctype_and_editor_metadata_is_accepted() -> None:
    svg = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
     xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
     width="200mm" height="100mm" viewBox="0 0 200 100" inkscape:version="1.3">
  <sodipodi:namedview id="nv" pagecolor="#fff"/>
  <metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>
  <style>.a { fill: #c00 } .b { fill: url(#grad) }</style>
  <defs><linearGradient id="grad"><stop offset="0" stop-color="#fff"/></linearGradient></defs>
  <g inkscape:label="Layer 1"><rect class="a" width="200" height="100"/></g>
</svg>"""
    result = process_upload("logo.svg", svg)
    assert result.warnings == []
    assert "inkscape" not in result.svg and "sodipodi" not in result.svg
    assert ".a { fill: #c00 }" in result.svg
    image = _assert_png(result.png, 512).convert("RGBA")
    assert image.getpixel((256, 256)) == (204, 0, 0, 255)  # the class style applies
    assert image.getpixel((256, 20))[3] == 0  # 2:1 picture letterboxed in the square


@pytest.mark.parametrize("template", ["circle", "star", "rosette"])
def test_our_own_badges_pass_unchanged(template: str) -> None:
    svg = render_svg(
        validate_design({"template": template, "tier": "gold", "alt_text": "Fish & <Chips>"})
    )
    result = process_upload("badge.svg", svg.encode())
    assert isinstance(result, ProcessedImage)
    assert result.svg == svg
    assert result.warnings == []


def test_text_is_removed_with_advice() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        '<text x="1" y="5" style="font-size:999999px">Hi<tspan>!</tspan></text>'
        '<rect width="2" height="2"/></svg>'
    )
    result = process_upload("text.svg", svg.encode())
    assert "<text" not in result.svg and "Hi" not in result.svg and "<rect" in result.svg
    assert any("convert text to paths" in note for note in result.warnings)


def test_colour_profile_is_applied_then_dropped() -> None:
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = _png_bytes(Image.new("RGB", (512, 512), (10, 120, 200)), icc_profile=srgb)
    result = process_upload("profiled.png", data)
    image = _assert_png(result.png, 512)
    assert "icc_profile" not in image.info and b"iCCP" not in _chunks(result.png)
    r, g, b, a = image.convert("RGBA").getpixel((256, 256))
    assert a == 255 and abs(r - 10) <= 2 and abs(g - 120) <= 2 and abs(b - 200) <= 2
    broken = _png_bytes(Image.new("RGB", (512, 512), "red"), icc_profile=b"not a profile")
    assert any("colour profile" in note for note in process_upload("x.png", broken).warnings)


def test_stylesheet_may_paint_with_gradients_but_not_apply_masks_or_markers() -> None:
    base = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><style>{}</style>'
        '<linearGradient id="g"><stop offset="0" stop-color="#f00"/></linearGradient>'
        '<marker id="k"><path class="p" d="M0 0L1 1"/></marker>'
        '<path class="p" d="M0 0L5 5"/></svg>'
    )
    clean, notes = sanitize_svg(base.format(".p { fill: url(#g); stroke: url(#g) }"))
    assert "url(#g)" in clean and notes == []
    clean, notes = sanitize_svg(base.format(".p { marker-start: url(#k) }"))
    assert "marker-start" not in clean
    assert notes == ["Removed an embedded stylesheet that applied masks, clips or markers."]
