"""Finished badge artwork: checked, cleaned and rendered once, in a limited child process.

This is the one door from "an instructor's design or upload" to "bytes to store": callers
get an :class:`Artwork` (SVG, 512 px PNG, 128 px thumbnail) and store it; nothing after this
point renders. Drawing happens in :mod:`badge_design.worker`'s child process, so a file that
costs too much is stopped by the kernel and refused with words an instructor can act on.
Call it before opening a database transaction: a render holds no lock while it runs.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Literal

from badge_design.design import MAX_TITLE_CHARS, design_to_dict, validate_design
from badge_design.fonts import unsupported_characters
from badge_design.messages import Message, translatable
from badge_design.render import RenderError, render_pngs
from badge_design.templates import render_svg
from badge_design.upload_errors import UploadError
from badge_design.uploads import process_upload
from badge_design.worker import DEFAULT_LIMITS, LimitExceeded, Limits, WorkerError, run_limited


@dataclass(frozen=True)
class Artwork:
    """Artwork ready to store: what to serve and bake, and how it was made."""

    svg: str
    png: bytes
    thumbnail_png: bytes
    #: The validated design document it was drawn from (None for an upload).
    design: dict[str, Any] | None = None
    #: What the upload checker removed or changed, for the instructor.
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _too_complex(exc: LimitExceeded, what: Literal["image", "design"]) -> Message:
    if exc.resource == "memory":
        spent = translatable("more than %(mb)d MB of memory", mb=exc.limits.memory_bytes // 2**20)
    elif exc.resource == "CPU time":
        spent = translatable(
            "more than %(seconds)s seconds of processing", seconds=exc.limits.cpu_seconds
        )
    else:
        spent = translatable(
            "longer than %(seconds)s seconds", seconds=f"{exc.limits.wall_seconds:g}"
        )
    if what == "image":
        return translatable(
            "This image is too complex to render: drawing it took %(spent)s. Simplify it"
            " (fewer points, markers, dashes or masks) or upload it as a PNG.",
            spent=spent,
        )
    return translatable(
        "This design is too complex to render: drawing it took %(spent)s. Simplify it"
        " (fewer points, markers, dashes or masks) or upload it as a PNG.",
        spent=spent,
    )


def svg_around_png(png: bytes) -> str:
    """An SVG that shows ``png`` (raster uploads need an SVG to bake into; not traced)."""
    encoded = base64.b64encode(png).decode()
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        ' width="512" height="512" viewBox="0 0 512 512">'
        f'<image width="512" height="512" xlink:href="data:image/png;base64,{encoded}"/>'
        "</svg>"
    )


def default_design(badge_name: str) -> dict[str, Any]:
    """The design of a badge nobody designed: its name as the title, in what the font draws.

    A name in a script the bundled font lacks ("数据 🏅") or with line breaks still gets a
    badge; the characters the font cannot draw are left out of the picture (the name itself,
    in documents and pages, keeps them all).
    """
    words = " ".join(badge_name.split())  # line breaks and tabs become single spaces
    missing = set(unsupported_characters(words))
    drawable = "".join(ch for ch in words if ch not in missing and ch.isprintable())
    return {"title": " ".join(drawable.split())[:MAX_TITLE_CHARS].strip()}


def _upload_in_child(filename: str, data: bytes) -> Artwork:
    processed = process_upload(filename, data)
    return Artwork(
        svg=processed.svg or svg_around_png(processed.png),
        png=processed.png,
        thumbnail_png=processed.thumbnail_png,
        warnings=tuple(processed.warnings),
    )


def _svg_in_child(svg: str) -> tuple[bytes, bytes]:
    return render_pngs(svg)


def artwork_from_upload(filename: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> Artwork:
    """Check, clean and render an uploaded PNG, JPEG or SVG, within ``limits``.

    Raises :class:`UploadError` with a readable reason for refused files, including files
    that take too much time or memory to draw.
    """
    try:
        return run_limited(_upload_in_child, filename, data, limits=limits).value
    except LimitExceeded as exc:
        raise UploadError(_too_complex(exc, "image")) from exc
    except WorkerError as exc:
        raise UploadError(
            translatable("The image could not be drawn; please export it again.")
        ) from exc


def artwork_from_design(document: Any, limits: Limits = DEFAULT_LIMITS) -> Artwork:
    """Validate a design document and render it, within ``limits``.

    Raises :class:`~badge_design.design.DesignError` naming each bad field, or
    :class:`RenderError` when the design could not be drawn within the limits.
    """
    design = validate_design(document)  # in this process: per-field errors, no drawing
    svg = render_svg(design)
    try:
        png, thumbnail = run_limited(_svg_in_child, svg, limits=limits).value
    except LimitExceeded as exc:
        raise RenderError(_too_complex(exc, "design")) from exc
    except WorkerError as exc:
        raise RenderError(translatable("The design could not be drawn; please try again.")) from exc
    return Artwork(svg=svg, png=png, thumbnail_png=thumbnail, design=design_to_dict(design))
