"""A course's native gradebook as columns and `GradeEvent`s, beside the AGS sync.

The course sync (:func:`app.grades.sync.sync_course`) calls :func:`read_native`; its events go
through the same ``ingest`` as AGS results, so only changed grades are stored and evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from app import secret_box
from app.connectors.base import ConnectorError, GradebookSource, NativeColumn
from app.connectors.canvas import CanvasClient, CanvasSource
from app.connectors.canvas_oauth import (
    AccessTokens,
    AuthorizationNeeded,
    OAuthTokens,
    StaticToken,
)
from app.connectors.models import ConnectorAuth, ConnectorKind, GradebookConnector
from app.connectors.moodle import MoodleClient, MoodleSource
from app.database import in_transaction
from app.extensions import db
from app.grades.columns import mirror_columns
from app.grades.models import Column
from app.grades.operations import GradeEvent
from app.grades.roster import user_ids_by_sub
from app.i18n import stored, translatable
from app.models import Context, LtiUser, Membership, Registration
from app.models.base import utcnow
from app.settings import number


@dataclass
class NativeRead:
    """A course's native columns (how many) and the events of their grades."""

    columns: int = 0
    events: list[GradeEvent] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def source_for(connector: GradebookConnector, context_id: int) -> GradebookSource:
    """The connector's source for one course, with its token decrypted (Canvas OAuth: the
    course's authorization, refreshed as needed)."""
    if connector.kind == ConnectorKind.MOODLE:
        token = secret_box.decrypt(connector.token_encrypted).decode()
        return MoodleSource(MoodleClient(connector.base_url, token))
    if connector.kind == ConnectorKind.CANVAS:
        pause = number("CANVAS_THROTTLE_PAUSE_SECONDS", 1.0)
        tokens: AccessTokens = (
            OAuthTokens(connector, context_id)
            if connector.auth == ConnectorAuth.OAUTH
            else StaticToken(secret_box.decrypt(connector.token_encrypted).decode())
        )
        return CanvasSource(
            CanvasClient(connector.base_url, tokens, pause=pause),
            lambda: learner_subs(context_id),
            tool_url=str(current_app.config.get("PUBLIC_BASE_URL") or ""),
        )
    raise ConnectorError(
        translatable("Badgebridge has no %(kind)s connector.", kind=repr(connector.kind))
    )


def learner_subs(context_id: int) -> list[str]:
    """The LTI ``sub`` of every active learner of the course (from the NRPS roster)."""
    return list(
        db.session.scalars(
            select(LtiUser.sub)
            .join(Membership, Membership.user_id == LtiUser.id)
            .where(
                Membership.context_id == context_id,
                Membership.active.is_(True),
                Membership.is_staff.is_(False),
            )
            .order_by(LtiUser.sub)
        )
    )


def read_native(context_id: int) -> NativeRead:
    """Read the course's native gradebook when its registration has an enabled connector
    (else nothing). Records the outcome on the connector for the console; raises
    :class:`ConnectorError` when the read failed."""
    context = db.session.get_one(Context, context_id)
    connector = db.session.get(GradebookConnector, context.registration_id)
    if connector is None or not connector.enabled:
        return NativeRead()
    registration_id, kind = connector.registration_id, connector.kind
    source = source_for(connector, context_id)
    # The tool's own columns come through AGS: the same column twice would confuse staff.
    own = {
        source.key_of_lineitem(url)
        for url in db.session.scalars(
            select(Column.lti_lineitem_id).where(
                Column.context_id == context_id, Column.source == "ags"
            )
        )
    }
    try:
        read = source.read(source.course_ref(context.lti_context_id, context.lms_course_id))
    except AuthorizationNeeded:
        raise  # one course's authorization: its staff act, the admin's connector is fine
    except ConnectorError as exc:
        message = stored(exc.message)
        in_transaction(lambda: _note(registration_id, message))
        raise
    issuer = db.session.get_one(Registration, registration_id).issuer
    columns = [c for c in read.columns if c.key not in own]
    keys = in_transaction(lambda: upsert_native_columns(context_id, kind, columns))
    ids = in_transaction(lambda: user_ids_by_sub(issuer, {g.user_sub for g in read.grades}))
    events = [
        GradeEvent(
            context_id=context_id,
            column_id=keys[g.column_key],
            user_id=ids[g.user_sub],
            score=g.score,
            maximum=g.maximum,
            timestamp=g.timestamp,
            source=kind,
        )
        for g in read.grades
        if g.column_key in keys
    ]
    in_transaction(lambda: _note(registration_id, stored(read.warnings) or None))
    return NativeRead(len(keys), events, read.warnings)


def _note(registration_id: int, error: str | None) -> None:
    connector = db.session.get_one(GradebookConnector, registration_id)
    connector.last_error = error
    connector.last_read_at = utcnow()


def upsert_native_columns(
    context_id: int, source: str, columns: Iterable[NativeColumn]
) -> dict[str, int]:
    """Mirror a source's columns (see :func:`mirror_columns`). Returns key -> column id of
    the listed ones."""
    listed = {
        c.key: {"label": c.label, "score_maximum": c.score_maximum, "kind": c.kind} for c in columns
    }
    existing = mirror_columns(context_id, source, listed)
    return {key: existing[key].id for key in listed}
