"""email deliveries carry next_attempt_at like every background row

Email, webhook and outbox rows and tracked jobs now share one set of attempt columns
(``app.background.leases``); ``email_delivery`` was the one without ``next_attempt_at``.
Nullable, no backfill needed: existing rows have no retry scheduled by this column (huey and
the mail sweep keep scheduling them as before), and every other column keeps its data.

Revision ID: 0012_bgwork_email_next_attempt
Revises: 0011_connectors_gradebook
Create Date: 2026-12-05 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_bgwork_email_next_attempt'
down_revision = '0011_connectors_gradebook'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('email_delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('email_delivery', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')
