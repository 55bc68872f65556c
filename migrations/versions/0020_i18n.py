"""a person's language, from their last launch

``lti_user.locale``: the supported locale of the person's last launch (``pt_BR``); their emails
are written in it. Existing people: "" (the default language) until their next launch.

Revision ID: 0020_i18n
Revises: 0019_canvas
Create Date: 2026-12-05 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020_i18n"
down_revision = "0019_canvas"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lti_user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('locale', sa.String(length=20), server_default='', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('lti_user', schema=None) as batch_op:
        batch_op.drop_column('locale')
