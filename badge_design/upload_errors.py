"""The one refusal of an instructor upload, shared by the raster and SVG checks."""

from __future__ import annotations


class UploadError(ValueError):
    """An uploaded file was refused; the message says why, in words for the instructor."""
