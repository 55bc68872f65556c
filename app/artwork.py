"""Badge artwork for the API, the CLI and scripts: rendered before any transaction.

The Open Badges core stores finished artwork and never draws. Callers that create or
redesign a badge get its :class:`~badge_design.artwork.Artwork` here first (a design, an
upload, or the default design titled with the badge's name), so the render runs in its
limited child process while no database row is locked. Refusals become the OB core's
``OperationError("invalid_artwork")``, which the API and CLI already report. The designer
calls ``badge_design.artwork`` itself, to keep its per-field messages.
"""

from __future__ import annotations

from typing import Any

from app.openbadges.badges import Upload
from app.openbadges.errors import OperationError
from badge_design.artwork import (
    Artwork,
    artwork_from_design,
    artwork_from_upload,
    default_design,
)
from badge_design.design import DesignError
from badge_design.render import RenderError
from badge_design.upload_errors import UploadError


def badge_artwork(
    badge_name: str, *, design: dict[str, Any] | str | None = None, upload: Upload | None = None
) -> Artwork:
    """The artwork for a badge: from ``upload``, else ``design``, else the default design.

    Raises OperationError with the checker's message when the artwork is refused.
    """
    try:
        if upload is not None:
            return artwork_from_upload(upload.filename, upload.data)
        return artwork_from_design(default_design(badge_name) if design is None else design)
    except (DesignError, UploadError, RenderError) as exc:
        raise OperationError("invalid_artwork", str(exc)) from exc
