"""Wiring of the web side: blueprints of the product areas, error pages, template globals."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from app.api.auth import ApiError
from app.ob3api import spec as ob3_spec
from app.security import headers as security_headers
from app.security.limits import rate_limit

log = logging.getLogger(__name__)


#: Error pages in the reader's language: werkzeug's own title and description are English.
HTTP_ERRORS = {
    400: (_l("Bad request"), _l("The request could not be understood. Check what was sent.")),
    403: (_l("Not allowed"), _l("You are not allowed to open this page.")),
    404: (_l("Page not found"), _l("There is nothing at this address. Check the link.")),
    405: (_l("Not allowed"), _l("This page cannot be used this way.")),
    409: (_l("Conflict"), _l("This cannot be done in the current state.")),
    410: (_l("Gone"), _l("This is no longer available.")),
    413: (_l("Too large"), _l("What was sent is larger than the tool accepts.")),
    429: (
        _l("Too many requests"),
        _l("Too many requests in a short time. Wait a moment and try again."),
    ),
}


#: Registration and deployment states as the console shows them (stored values stay English).
STATUS_LABELS = {
    "active": _l("active"),
    "pending": _l("pending"),
    "disabled": _l("disabled"),
    "retiring": _l("retiring"),
    "retired": _l("retired"),
}


def status_label(status: str) -> str:
    """A registration's or deployment's status in the reader's language."""
    return str(STATUS_LABELS.get(status, status))


def http_error_text(exc: HTTPException) -> tuple[str, str]:
    """The title and sentence of an HTTP error page: a view's own description (already in the
    reader's language), else the translated generic one for the status."""
    title, generic = HTTP_ERRORS.get(exc.code or 500, (exc.name, exc.description or ""))
    own = exc.description if exc.description != type(exc).description else None
    return str(title), str(own or generic)


def init_app(app: Flask) -> None:
    """Register the product's blueprints and the error handlers."""
    from app import admin
    from app.awards import lifecycle_views  # noqa: F401  (its routes join course_awards_bp)
    from app.awards.views import bp as course_awards_bp
    from app.course.views import bp as course_bp

    app.register_blueprint(course_bp)
    app.register_blueprint(course_awards_bp)

    from app.designer.views import bp as designer_bp

    app.register_blueprint(designer_bp)

    from app.api.blueprint import bp as api_bp
    from app.openbadges.views import bp as openbadges_bp

    app.register_blueprint(openbadges_bp)
    rate_limit("RATE_LIMIT_PUBLIC_PAGES")(openbadges_bp)
    app.register_blueprint(api_bp)

    from app.learner.views import bp as learner_bp
    from app.profile.views import bp as profile_bp
    from app.sharing.views import bp as sharing_bp

    app.register_blueprint(learner_bp)
    app.register_blueprint(sharing_bp)
    from app import wallets

    wallets.init_app(app)
    app.register_blueprint(profile_bp)
    rate_limit("RATE_LIMIT_PUBLIC_PAGES")(profile_bp)
    rate_limit("RATE_LIMIT_SHARE")(sharing_bp)

    from app.analytics.views import admin_bp as analytics_admin_bp
    from app.analytics.views import staff_bp as analytics_staff_bp
    from app.audit.cli import audit_cli
    from app.webhooks.views import bp as webhooks_admin_bp

    app.register_blueprint(analytics_staff_bp)
    app.register_blueprint(analytics_admin_bp)
    app.register_blueprint(webhooks_admin_bp)
    from app.connectors.oauth_views import bp as canvas_oauth_bp
    from app.connectors.views import bp as connectors_admin_bp
    from app.privacy.views import bp as people_admin_bp

    app.register_blueprint(connectors_admin_bp)
    app.register_blueprint(canvas_oauth_bp)

    app.register_blueprint(people_admin_bp)
    from app.landing import bp as landing_bp

    app.register_blueprint(landing_bp)
    app.cli.add_command(audit_cli)
    admin.init_app(app)
    from app import launch_session

    launch_session.init_app(app)  # the token in templates; never in the request log

    from app.analytics.views import channel_label
    from app.awards.lifecycle import state_label
    from app.designer.labels import design_label

    app.jinja_env.globals.update(
        state_label=state_label,
        channel_label=channel_label,
        design_label=design_label,
        status_label=status_label,
    )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.response is not None:  # a view that drew its own error page (abort(Response))
            return exc.response
        # The API answers JSON whatever the client accepts (an unknown path, a wrong method
        # or a body over the size limit never reach the API blueprint's own handlers).
        wants_json = request.accept_mimetypes.best != "text/html"
        if request.path.startswith(ob3_spec.API_PREFIX):  # the OB 3.0 API's own error bodies
            return ob3_spec.error_response(exc.code or 500, exc.description or exc.name)
        if request.path.startswith("/api/") or (request.path.startswith("/ob/") and wants_json):
            return ApiError.from_http(exc).response()
        title, message = http_error_text(exc)
        return render_template(
            "error.html", title=title, message=message, status=exc.code
        ), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if request.path.startswith("/api/"):
            return ApiError(
                500,
                "internal_error",
                "An unexpected error occurred. It has been logged; please try again.",
            ).response()
        return render_template(
            "error.html",
            title=_("Something went wrong"),
            message=_("An unexpected error occurred. It has been logged; please try again."),
            status=500,
        ), 500

    security_headers.init_app(app)
