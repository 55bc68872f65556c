"""What an admin changes: a registration's gradebook connector (kind, LMS URL, token)."""

from __future__ import annotations

from flask_babel import gettext as _

from app import outbound, secret_box
from app.connectors.models import ConnectorKind, GradebookConnector
from app.extensions import db


class ConnectorSettingsError(ValueError):
    """Settings that cannot be saved; the text says which field and why."""


def connector_of(registration_id: int) -> GradebookConnector | None:
    """The registration's connector, if one was set."""
    return db.session.get(GradebookConnector, registration_id)


def save_connector(
    registration_id: int, *, kind: str, base_url: str, token: str | None, enabled: bool
) -> GradebookConnector:
    """Set the registration's connector. An empty ``token`` keeps the stored one (the form
    never shows it back); a new connector needs one. Commits."""
    if kind not in ConnectorKind.ALL:
        raise ConnectorSettingsError(
            _("Choose a connector: %(value)s.", value=", ".join(ConnectorKind.ALL))
        )
    base_url = (base_url or "").strip().rstrip("/")
    try:
        outbound.check_url(base_url)
    except outbound.OutboundRefused as exc:
        raise ConnectorSettingsError(_("Site URL: %(exc)s.", exc=exc)) from None
    token = (token or "").strip()
    row = connector_of(registration_id)
    if row is None:
        if not token:
            raise ConnectorSettingsError(_("Token: paste the web service token."))
        row = GradebookConnector(registration_id=registration_id, token_encrypted="")
        db.session.add(row)
    row.kind, row.base_url, row.enabled = kind, base_url, enabled
    if token:
        row.token_encrypted = secret_box.encrypt(token.encode())
        row.last_error = None
    db.session.commit()
    return row
