"""Instructor uploads: PNG, JPEG or SVG in, safe badge artwork out.

Uploaded files are hostile until proven otherwise. What arrives is judged by its content,
not its name, and:

* SVG is parsed with defusedxml (no DTD, so no entities: no billion laughs, no XXE) and
  rebuilt from an *allow-list* of elements, attributes and style properties. Anything not on
  the list is dropped: scripts, event handlers, ``foreignObject``, animation, filters. The
  only references kept are ``#local`` ones, plus ``data:image/png|jpeg`` images (which are
  checked like any uploaded raster). A block-list (strip ``<script>`` and ``onload``) always
  misses something; an allow-list fails closed.
* Raster images are decoded by Pillow only after their header has shown a sane pixel
  count (a 50 kB PNG can claim 100 000 x 100 000 pixels), then re-encoded from pixels onto a
  transparent square canvas: metadata (EXIF with GPS, text chunks, ICC profiles) cannot
  survive that.

Attacks on the parser or the renderer (entities, cycles, ``<use>`` bombs, oversize input)
refuse the whole file with :class:`UploadError`; unsafe content inside an otherwise fine SVG
is removed and reported in ``ProcessedImage.warnings``.

Rooms: this module (what the file is, and the one entry point), :mod:`.raster` (PNG and
JPEG), :mod:`.svg_sanitize` (the SVG allow-list and the drawing-cost limits),
:mod:`.upload_errors` (the refusal both raise).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from badge_design.raster import MAX_RASTER_BYTES, normalize_raster
from badge_design.render import RenderError, render_pngs
from badge_design.svg_sanitize import sanitize_svg
from badge_design.upload_errors import UploadError

# Callers reach the checks through this module (the limit the designer shows, the refusal).
__all__ = [
    "MAX_RASTER_BYTES",
    "ProcessedImage",
    "UploadError",
    "normalize_raster",
    "process_upload",
    "sanitize_svg",
]


@dataclass(frozen=True)
class ProcessedImage:
    """A safe upload: clean SVG (for SVG uploads), a 512x512 PNG and a 128x128 thumbnail."""

    svg: str | None
    png: bytes
    thumbnail_png: bytes
    warnings: list[str] = field(default_factory=list)


# --- what the file is ---------------------------------------------------------------------

_EXTENSIONS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".svg": "svg"}


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in data[:4096]:
        return "svg"
    return None


def process_upload(filename: str, data: bytes) -> ProcessedImage:
    """Check, clean and normalise an uploaded badge image.

    Accepts PNG, JPEG and SVG, recognised by content (a name that disagrees gives a
    warning). Raises :class:`UploadError` with a readable message for refused files.
    """
    extension = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if extension not in _EXTENSIONS:
        raise UploadError(
            f"“{filename}” is not a PNG, JPEG or SVG file; please upload one of those."
        )
    if not data:
        raise UploadError("The file is empty.")
    kind = _sniff(data)
    if kind is None:
        raise UploadError(
            f"“{filename}” is not a valid PNG, JPEG or SVG image (its content is not "
            "recognisable as any of them)."
        )
    notes: list[str] = []
    if kind != _EXTENSIONS[extension]:
        notes.append(
            f"The file is named {extension} but contains a {kind.upper()} image; "
            f"it was processed as {kind.upper()}."
        )
    if kind == "svg":
        svg, svg_notes = sanitize_svg(data)
        notes.extend(svg_notes)
        try:
            png, thumbnail = render_pngs(svg)
        except RenderError as exc:
            raise UploadError("The SVG could not be drawn; please export it again.") from exc
        return ProcessedImage(svg=svg, png=png, thumbnail_png=thumbnail, warnings=notes)
    png, thumbnail, raster_notes = normalize_raster(data, kind)
    notes.extend(raster_notes)
    return ProcessedImage(svg=None, png=png, thumbnail_png=thumbnail, warnings=notes)
