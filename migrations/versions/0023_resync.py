"""the digest of each AGS column's results as the platform's bytes, and their count

``grade_column.results_body_digest``: SHA-256 of the bodies of the results pages a sync last
read for the column (with ``results_digest``, that of their decoded results); the same bytes
again are not even decoded. ``grade_column.results_count``: how many results they held (a
sync that skips them still reports how many it read). Existing columns: none (their next
sync decodes their results once, finds them unchanged by ``results_digest`` and records
both).

Revision ID: 0023_resync
Revises: 0022_pgcohort
Create Date: 2026-12-06 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0023_resync"
down_revision = "0022_pgcohort"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('grade_column', schema=None) as batch_op:
        batch_op.add_column(sa.Column('results_body_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('results_count', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('grade_column', schema=None) as batch_op:
        batch_op.drop_column('results_count')
        batch_op.drop_column('results_body_digest')
