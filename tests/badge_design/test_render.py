"""PNG rendering: sizes, colours, and proof that no render reaches the network or disk."""

from __future__ import annotations

import base64
import io
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from badge_design.design import validate_design
from badge_design.render import RenderError, refusing_url_fetcher, render_png
from badge_design.templates import render_svg


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


@pytest.mark.parametrize("size", [512, 128])
def test_renders_square_png_of_the_asked_size(size: int) -> None:
    png = render_png(render_svg(validate_design({})), size)
    image = _image(png)
    assert image.format == "PNG"
    assert image.size == (size, size)


def test_colours_come_out_as_designed() -> None:
    design = validate_design(
        {
            "fill": {"type": "solid", "color": "#336699"},
            "title": "",
            "icon": None,
            "border": {"color": "#000", "width": 0},
        }
    )
    image = _image(render_png(render_svg(design))).convert("RGBA")
    assert image.getpixel((256, 256)) == (0x33, 0x66, 0x99, 255)
    assert image.getpixel((2, 2))[3] == 0  # outside the circle stays transparent


def test_png_bytes_are_stable_for_a_design() -> None:
    svg = render_svg(validate_design({"template": "star", "tier": "silver"}))
    assert render_png(svg) == render_png(svg.encode())


def test_bad_input_raises_render_error() -> None:
    with pytest.raises(RenderError):
        render_png("<svg")
    with pytest.raises(ValueError, match="size must be between"):
        render_png(render_svg(validate_design({})), 0)


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        _Recorder.hits.append(self.path)
        body = _red_png()
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _red_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (255, 0, 0)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def http_server() -> Iterator[str]:
    _Recorder.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Audit:
    """Records file opens and network activity while ``active`` (audit hooks are forever,
    so the hook stays installed but only listens during a test)."""

    active = False
    events: list[tuple[str, str]] = []

    @classmethod
    def hook(cls, event: str, args: tuple) -> None:
        if cls.active and event in ("open", "socket.connect", "urllib.Request", "os.listdir"):
            cls.events.append((event, repr(args)[:200]))


sys.addaudithook(_Audit.hook)


def test_render_never_touches_network_or_files(http_server: str, tmp_path: Path) -> None:
    red_file = tmp_path / "red.png"
    red_file.write_bytes(_red_png())
    css_file = tmp_path / "evil.css"
    css_file.write_text("rect { fill: #ff0000 }")
    svg = f"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
      viewBox="0 0 100 100" width="100" height="100">
      <style>@import url("{http_server}/import.css"); @import url("file://{css_file}");</style>
      <rect width="100" height="100" fill="#ffffff"/>
      <image href="{http_server}/image.png" x="0" y="0" width="50" height="50"/>
      <image xlink:href="file://{red_file}" x="50" y="0" width="50" height="50"/>
      <image href="{red_file}" x="0" y="50" width="50" height="50"/>
      <image href="file:///etc/passwd" x="50" y="50" width="50" height="50"/>
      <use href="{http_server}/sprite.svg#icon"/>
      <use xlink:href="file://{tmp_path}/sprite.svg#icon"/>
      <circle cx="50" cy="50" r="10" fill="url({http_server}/paint.svg#p)"/>
    </svg>"""
    _Audit.events = []
    _Audit.active = True
    try:
        png = render_png(svg, 100)
    finally:
        _Audit.active = False
    assert _Recorder.hits == []
    assert _Audit.events == []
    image = _image(png).convert("RGB")
    colours = image.getcolors(maxcolors=100 * 100) or []
    reds = sum(count for count, (r, g, _) in colours if r > 200 and g < 80)
    assert reds == 0
    assert b"root:" not in png


def test_inline_png_data_uri_is_drawn() -> None:
    uri = "data:image/png;base64," + base64.b64encode(_red_png()).decode()
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        f'<image href="{uri}" width="10" height="10"/></svg>'
    )
    image = _image(render_png(svg, 16)).convert("RGB")
    assert image.getpixel((8, 8)) == (255, 0, 0)


@pytest.mark.parametrize(
    ("url", "kind", "expected"),
    [
        ("http://127.0.0.1/x.png", "image/*", b""),
        ("file:///etc/passwd", "image/*", b""),
        ("file:///etc/passwd", "text/css", b""),
        ("data:text/css,@import url(http://x)", "text/css", b""),
        (
            "data:image/svg+xml;base64,PHN2Zz4=",
            "image/svg+xml",
            b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>',
        ),
    ],
)
def test_url_fetcher_refuses(url: str, kind: str, expected: bytes) -> None:
    assert refusing_url_fetcher(url, kind) == expected
