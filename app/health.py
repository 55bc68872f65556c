"""Health endpoints: /healthz checks the database and the queue; /livez only the process."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from sqlalchemy import text

from app.background.queue import queue_health
from app.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    checks: dict[str, dict[str, object]] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except Exception as exc:  # report, never raise: this endpoint is for load balancers
        db.session.rollback()
        checks["database"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    ok, detail = queue_health()
    checks["queue"] = {"ok": ok, ("detail" if ok else "error"): detail[:300]}
    healthy = all(c["ok"] for c in checks.values())
    return jsonify(status="ok" if healthy else "unavailable", checks=checks), (
        200 if healthy else 503
    )


@bp.get("/livez")
def livez():
    """Liveness only (no dependencies): the process answers HTTP."""
    return "ok", 200, {"Content-Type": "text/plain"}


def init_app(app: Flask) -> None:
    """Register ``/healthz`` and ``/livez``."""
    app.register_blueprint(bp)
