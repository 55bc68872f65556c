"""a digest of each AGS column's results as last stored

``grade_column.results_digest``: SHA-256 of the results a sync last read for the column; a
sync that reads the same results again skips the column (no grade is read or written).
Existing columns: none (their next sync compares every result, as before, and stores it).

Revision ID: 0018_speed_cohort
Revises: 0017_shaping
Create Date: 2026-12-05 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018_speed_cohort"
down_revision = "0017_shaping"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('grade_column', schema=None) as batch_op:
        batch_op.add_column(sa.Column('results_digest', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('grade_column', schema=None) as batch_op:
        batch_op.drop_column('results_digest')
