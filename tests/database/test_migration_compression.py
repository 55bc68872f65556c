"""Migration 0022: on PostgreSQL built with lz4, an assertion's signed documents are
compressed with lz4 (pglz cost a third of the server's work per issued assertion)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.extensions import db


def test_the_signed_documents_of_an_assertion_are_compressed_with_lz4(app) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite does not compress")
    if not db.session.scalar(
        text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
    ):
        pytest.skip("this PostgreSQL was built without lz4")
    methods: dict[str, str] = dict(
        db.session.execute(
            text(
                "SELECT attname, attcompression FROM pg_attribute "
                "WHERE attrelid = 'ob_assertion'::regclass "
                "AND attname IN ('credential', 'credential_jwt')"
            )
        ).all()
    )
    assert methods == {"credential": "l", "credential_jwt": "l"}
