"""Wiring of the web side: blueprints of the product areas, error pages, template globals."""

from __future__ import annotations

import logging

from flask import Flask, g, render_template, request
from werkzeug.exceptions import HTTPException

from app.api.auth import ApiError
from app.security import headers as security_headers
from app.security.limits import rate_limit

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Register the product's blueprints and the error handlers."""
    from app import admin
    from app.course import lifecycle_views  # noqa: F401  (its routes join course_awards_bp)
    from app.course.awards_views import bp as course_awards_bp
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
    from app.sharing.views import bp as sharing_bp

    app.register_blueprint(learner_bp)
    app.register_blueprint(sharing_bp)
    rate_limit("RATE_LIMIT_SHARE")(sharing_bp)

    from app.analytics.views import admin_bp as analytics_admin_bp
    from app.analytics.views import staff_bp as analytics_staff_bp
    from app.audit.cli import audit_cli
    from app.webhooks.views import bp as webhooks_admin_bp

    app.register_blueprint(analytics_staff_bp)
    app.register_blueprint(analytics_admin_bp)
    app.register_blueprint(webhooks_admin_bp)
    from app.connectors.views import bp as connectors_admin_bp
    from app.privacy.views import bp as people_admin_bp

    app.register_blueprint(connectors_admin_bp)

    app.register_blueprint(people_admin_bp)
    from app.landing import bp as landing_bp

    app.register_blueprint(landing_bp)
    app.cli.add_command(audit_cli)
    admin.init_app(app)
    from app import launch_session

    launch_session.init_app(app)  # launch tokens never reach the request log

    from app.analytics.views import channel_label
    from app.awards.lifecycle import state_label
    from app.designer.labels import design_label

    app.jinja_env.globals.update(
        state_label=state_label, channel_label=channel_label, design_label=design_label
    )

    @app.context_processor
    def inject_launch_token() -> dict[str, object]:
        return {"launch_token": getattr(g, "launch_token", None)}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.response is not None:  # a view that drew its own error page (abort(Response))
            return exc.response
        # The API answers JSON whatever the client accepts (an unknown path, a wrong method
        # or a body over the size limit never reach the API blueprint's own handlers).
        wants_json = request.accept_mimetypes.best != "text/html"
        if request.path.startswith("/api/") or (request.path.startswith("/ob/") and wants_json):
            return ApiError.from_http(exc).response()
        return render_template(
            "error.html", title=exc.name, message=exc.description, status=exc.code
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
            title="Something went wrong",
            message="An unexpected error occurred. It has been logged; please try again.",
            status=500,
        ), 500

    security_headers.init_app(app)
