"""What an admin changes: a registration's gradebook connector (kind, LMS URL, token)."""

from __future__ import annotations

from flask_babel import gettext as _

from app import outbound, secret_box
from app.connectors.models import ConnectorAuth, ConnectorKind, GradebookConnector
from app.extensions import db


class ConnectorSettingsError(ValueError):
    """Settings that cannot be saved; the text says which field and why."""


def connector_of(registration_id: int) -> GradebookConnector | None:
    """The registration's connector, if one was set."""
    return db.session.get(GradebookConnector, registration_id)


def save_connector(
    registration_id: int,
    *,
    kind: str,
    base_url: str,
    token: str | None,
    enabled: bool,
    auth: str = ConnectorAuth.TOKEN,
    client_id: str | None = None,
    client_secret: str | None = None,
    enforce_scopes: bool = False,
) -> GradebookConnector:
    """Set the registration's connector. An empty ``token`` (or ``client_secret``) keeps the
    stored one (the form never shows it back); a new connector needs one. ``auth="oauth"``
    (Canvas only) keeps a Canvas API developer key instead of a token. Commits."""
    if kind not in ConnectorKind.ALL:
        raise ConnectorSettingsError(
            _("Choose a connector: %(value)s.", value=", ".join(ConnectorKind.ALL))
        )
    if auth not in ConnectorAuth.ALL:
        raise ConnectorSettingsError(_("Choose how Badgebridge signs in: a token or OAuth 2."))
    if auth == ConnectorAuth.OAUTH:
        return _save_oauth(
            registration_id,
            base_url=base_url,
            client_id=(client_id or "").strip(),
            client_secret=(client_secret or "").strip(),
            enforce_scopes=enforce_scopes,
            enabled=enabled,
            kind=kind,
        )
    base_url = _checked_url(base_url)
    token = (token or "").strip()
    row = connector_of(registration_id)
    # A new connector, or one leaving OAuth, has no token to keep.
    if not token and (row is None or row.auth != ConnectorAuth.TOKEN):
        raise ConnectorSettingsError(_("Token: paste the web service token."))
    if row is None:
        row = GradebookConnector(registration_id=registration_id, token_encrypted="")
        db.session.add(row)
    row.kind, row.base_url, row.enabled = kind, base_url, enabled
    row.auth = ConnectorAuth.TOKEN
    if token:
        row.token_encrypted = secret_box.encrypt(token.encode())
        row.last_error = None
    db.session.commit()
    return row


def _checked_url(base_url: str) -> str:
    base_url = (base_url or "").strip().rstrip("/")
    try:
        outbound.check_url(base_url)
    except outbound.OutboundRefused as exc:
        raise ConnectorSettingsError(_("Site URL: %(reason)s.", reason=exc)) from None
    return base_url


def _save_oauth(
    registration_id: int,
    *,
    kind: str,
    base_url: str,
    client_id: str,
    client_secret: str,
    enforce_scopes: bool,
    enabled: bool,
) -> GradebookConnector:
    if kind != ConnectorKind.CANVAS:
        raise ConnectorSettingsError(_("OAuth 2 is for Canvas; Moodle uses a web service token."))
    base_url = _checked_url(base_url)
    if not client_id.isdigit():
        raise ConnectorSettingsError(
            _(
                "Client ID: paste the developer key's ID (a number such as 170000000000012,"
                " shown under Details in Admin > Developer Keys)."
            )
        )
    row = connector_of(registration_id)
    if not client_secret and (row is None or not row.oauth_secret_encrypted):
        raise ConnectorSettingsError(
            _("Client secret: paste the developer key's key (Show Key under Details).")
        )
    if row is None:
        row = GradebookConnector(registration_id=registration_id, token_encrypted="")
        db.session.add(row)
    row.kind, row.base_url, row.enabled = kind, base_url, enabled
    row.auth, row.oauth_client_id, row.enforce_scopes = (
        ConnectorAuth.OAUTH,
        client_id,
        enforce_scopes,
    )
    if client_secret:
        row.oauth_secret_encrypted = secret_box.encrypt(client_secret.encode())
    row.last_error = None
    db.session.commit()
    return row
