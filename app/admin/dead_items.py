"""The console's dead list: background items of every kind that gave up, with Retry."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import gettext as _

from app.admin import auth
from app.background import dead

bp = auth.console_blueprint("admin_dead", "/admin/dead-items")


@bp.get("/")
@auth.admin_required
def index():
    items = dead.dead_items()
    return render_template(
        "admin/dead_items.html", kinds=list(dead.kinds()), items=items, notice=auth.take_notice()
    )


@bp.post("/<kind>/<int:item_id>/retry")
@auth.admin_required
def retry(kind: str, item_id: int):
    if dead.retry(kind, item_id):
        auth.flash(
            _(
                "Retrying %(kind)s %(item_id)s: it has a fresh set of attempts.",
                kind=kind,
                item_id=item_id,
            )
        )
    else:
        auth.flash(
            _(
                "%(kind)s %(item_id)s is not on the dead list (any more): nothing to retry.",
                kind=kind,
                item_id=item_id,
            )
        )
    return redirect(url_for("admin_dead.index"))
