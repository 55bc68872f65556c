"""The console page of a registration's gradebook connector (thin: parse, call, render)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.admin import auth as admin_auth
from app.connectors import operations
from app.connectors.canvas_oauth import SCOPES
from app.connectors.models import ConnectorAuth, ConnectorKind

bp = admin_auth.console_blueprint("admin_connectors", "/admin/connectors")


@bp.route("/<public_id>", methods=["GET", "POST"])
@admin_auth.admin_required
def registration_connector(public_id: str):
    """Show and save the connector (the token is never shown back)."""
    registration = admin_auth.console_registration(public_id)
    error = None
    if request.method == "POST":
        form = request.form
        try:
            operations.save_connector(
                registration.id,
                kind=form.get("kind", ""),
                base_url=form.get("base_url", ""),
                token=form.get("token"),
                enabled=form.get("enabled") == "on",
                auth=form.get("auth", ConnectorAuth.TOKEN),
                client_id=form.get("client_id"),
                client_secret=form.get("client_secret"),
                enforce_scopes=form.get("enforce_scopes") == "on",
            )
        except operations.ConnectorSettingsError as exc:
            error = str(exc)
        else:
            admin_auth.flash(
                _("Gradebook connector saved; it is read at the next check of each course.")
            )
            return redirect(
                url_for("admin_connectors.registration_connector", public_id=registration.public_id)
            )
    return render_template(
        "admin/connector.html",
        registration=registration,
        connector=operations.connector_of(registration.id),
        kinds=ConnectorKind.ALL,
        scopes=SCOPES,
        redirect_uri=url_for("canvas_oauth.callback", _external=True),
        form=request.form if error else None,
        error=error,
        notice=admin_auth.take_notice(),
    ), 422 if error else 200
