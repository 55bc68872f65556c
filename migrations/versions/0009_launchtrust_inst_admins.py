"""registration opt-in: institution administrators are staff

Staff status now comes from a course's membership roles only; a registration may let the
LMS's institution (and system) administrators in as staff. Off for every existing row.

Revision ID: 0009_launchtrust_inst_admins
Revises: 0008_outbound_reg_changes
Create Date: 2026-12-05 16:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_launchtrust_inst_admins'
down_revision = '0008_outbound_reg_changes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('institution_admins_are_staff', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('institution_admins_are_staff')
