"""The course's columns: mirrors of a source's columns (AGS line items, a gradebook
connector's columns) that write only what changed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.grades.models import Column
from app.models import Context


def mirror_columns(
    context_id: int, source: str, facts_by_key: dict[str, dict[str, Any]]
) -> dict[str, Column]:
    """Mirror one source's columns of a course (AGS line items, a gradebook connector's
    columns): new keys become columns, changed facts are written, columns the source no
    longer lists turn inactive and keep their grades. Writes only changes; returns every
    column of the source by key."""
    existing = {
        c.lti_lineitem_id: c
        for c in db.session.scalars(
            select(Column).where(Column.context_id == context_id, Column.source == source)
        )
    }
    for key, listed in facts_by_key.items():
        facts = {**listed, "active": True}
        column = existing.get(key)
        if column is None:
            column = Column(context_id=context_id, lti_lineitem_id=key, source=source, **facts)
            db.session.add(column)
            existing[key] = column
            continue
        for name, value in facts.items():
            if getattr(column, name) != value:
                setattr(column, name, value)
    for key, column in existing.items():
        if key not in facts_by_key and column.active:
            column.active = False
    db.session.flush()
    return existing


def upsert_columns(context: Context, line_items: Iterable[dict[str, Any]]) -> list[Column]:
    """Mirror the AGS line items as columns; returns the active ones. Writes only changes."""
    facts_by_key = {
        str(item["id"]): {
            "label": str(item.get("label") or ""),
            "score_maximum": to_float(item.get("scoreMaximum")),
            "tag": str(item.get("tag") or ""),
            "resource_link_id": str(item.get("resourceLinkId") or ""),
        }
        for item in line_items
        if item.get("id")
    }
    return [c for c in mirror_columns(context.id, "ags", facts_by_key).values() if c.active]


def to_float(value: Any) -> float | None:
    try:
        return float(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None
