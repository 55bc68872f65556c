"""SVG to PNG with cairosvg, locked down so rendering never reads a file or the network.

cairosvg resolves every reference an SVG makes (``<image href>``, ``<use href>``,
CSS ``@import``/``url()``) through a *url fetcher*. Ours fetches nothing: it decodes
inline ``data:image/png`` and ``data:image/jpeg`` URIs itself (without urllib, which
would accept other schemes) and answers every other request with nothing. Together with
``unsafe=False`` (no XML entities, no huge trees) this is what makes it safe to render an
instructor's uploaded SVG on the server; badge_design.svg_sanitize cleans such SVG first too.
"""

from __future__ import annotations

import base64
import binascii
import io
import re

THUMBNAIL_SIZE = 128
FULL_SIZE = 512
#: Largest PNG edge we render; a bigger request is almost certainly a mistake or an abuse.
MAX_SIZE = 2048

_DATA_IMAGE = re.compile(
    r"^data:image/(png|jpeg);base64,(?P<data>[A-Za-z0-9+/=\s]*)$", re.IGNORECASE
)
# What cairosvg gets back for a refused reference: an empty SVG where it wanted SVG (for
# `<use>` of another document), and no bytes otherwise (an `<image>` with fewer than five
# bytes is skipped; an empty stylesheet has no rules).
_EMPTY_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


class RenderError(ValueError):
    """The SVG could not be rendered (malformed, or refused by cairosvg's safe mode)."""


def refusing_url_fetcher(url: str, resource_type: str) -> bytes:
    """A cairosvg ``url_fetcher`` that only decodes inline PNG/JPEG data URIs.

    Everything else (http, https, file, relative paths, ``data:`` of other types) is
    answered with empty content, so it never leaves the process.
    """
    match = _DATA_IMAGE.match(url or "")
    if match and resource_type.startswith("image/") and resource_type != "image/svg+xml":
        try:
            return base64.b64decode(match.group("data"), validate=False)
        except (binascii.Error, ValueError):
            return b""
    return _EMPTY_SVG if resource_type == "image/svg+xml" else b""


def render_png(svg: str | bytes, size: int = FULL_SIZE) -> bytes:
    """Rasterise ``svg`` to a ``size``x``size`` PNG (512 by default; 128 for thumbnails).

    Never touches the network or the file system; raises :class:`RenderError` when cairosvg
    cannot parse or draw the document.
    """
    if not 1 <= size <= MAX_SIZE:
        raise ValueError(f"size must be between 1 and {MAX_SIZE}, got {size}")
    # Imported here: only the render child draws (badge_design.worker preloads it there), and
    # a web or queue process is spared cairosvg, cairo and Pillow (about 20 MiB).
    from cairosvg.surface import PNGSurface

    data = svg.encode("utf-8") if isinstance(svg, str) else svg
    try:
        png = PNGSurface.convert(
            bytestring=data,
            unsafe=False,
            url_fetcher=refusing_url_fetcher,
            output_width=size,
            output_height=size,
        )
    except MemoryError:
        raise  # out of memory is the caller's limit speaking, not a malformed document
    except Exception as exc:
        # Uploaded SVG is untrusted: cairosvg reports malformed input through many
        # exception types (parse errors, bad numbers, cairo errors, deep recursion), and
        # callers only need to know this document cannot be drawn.
        raise RenderError(f"the SVG could not be rendered ({type(exc).__name__})") from exc
    assert isinstance(png, bytes)
    return png


def render_pngs(svg: str | bytes) -> tuple[bytes, bytes]:
    """The 512 px PNG and the 128 px thumbnail of ``svg``, drawing the SVG once.

    The thumbnail is scaled down from the full-size pixels: an SVG's cost is in drawing it,
    so a second cairosvg pass for the small size would double the cost for nothing.
    """
    from PIL import Image

    png = render_png(svg, FULL_SIZE)
    with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
        small = image.convert("RGBA").resize(
            (THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS
        )
    out = io.BytesIO()
    small.save(out, format="PNG")
    return png, out.getvalue()
