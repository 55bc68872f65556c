"""The one error a refused upload raises, whichever check refused it.

Its own module because the raster checks, the SVG sanitizer, the drawing-cost check and the
upload entry point all raise it, and the entry point imports the others.
"""

from __future__ import annotations


class UploadError(ValueError):
    """An uploaded file was refused; the message says why, in words for the instructor."""
