"""Instructor uploads: PNG, JPEG or SVG in, safe badge artwork out.

Uploaded files are hostile until proven otherwise. What arrives is judged by its content,
not its name, then handed to the check for its kind:

* SVG to :mod:`badge_design.svg_sanitize`, which rebuilds it from an allow-list (and
  :mod:`badge_design.svg_cost`, which refuses SVG too costly to draw);
* PNG and JPEG to :mod:`badge_design.raster`, which bounds, verifies and redraws them from
  pixels alone.

Refused files raise :class:`~badge_design.upload_errors.UploadError`; unsafe content removed
from an otherwise fine file is reported in ``ProcessedImage.warnings``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from badge_design.messages import translatable
from badge_design.raster import normalize_raster
from badge_design.render import RenderError, render_pngs
from badge_design.svg_sanitize import sanitize_svg
from badge_design.upload_errors import UploadError


@dataclass(frozen=True)
class ProcessedImage:
    """A safe upload: clean SVG (for SVG uploads), a 512x512 PNG and a 128x128 thumbnail."""

    svg: str | None
    png: bytes
    thumbnail_png: bytes
    warnings: list[str] = field(default_factory=list)


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
            translatable(
                "“%(file)s” is not a PNG, JPEG or SVG file; please upload one of those.",
                file=filename,
            )
        )
    if not data:
        raise UploadError(translatable("The file is empty."))
    kind = _sniff(data)
    if kind is None:
        raise UploadError(
            translatable(
                "“%(file)s” is not a valid PNG, JPEG or SVG image (its content is not"
                " recognisable as any of them).",
                file=filename,
            )
        )
    notes: list[str] = []
    if kind != _EXTENSIONS[extension]:
        notes.append(
            translatable(
                "The file is named %(extension)s but contains a %(kind)s image; it was"
                " processed as %(kind)s.",
                extension=extension,
                kind=kind.upper(),
            )
        )
    if kind == "svg":
        svg, svg_notes = sanitize_svg(data)
        notes.extend(svg_notes)
        try:
            png, thumbnail = render_pngs(svg)
        except RenderError as exc:
            raise UploadError(
                translatable("The SVG could not be drawn; please export it again.")
            ) from exc
        return ProcessedImage(svg=svg, png=png, thumbnail_png=thumbnail, warnings=notes)
    png, thumbnail, raster_notes = normalize_raster(data, kind)
    notes.extend(raster_notes)
    return ProcessedImage(svg=None, png=png, thumbnail_png=thumbnail, warnings=notes)
