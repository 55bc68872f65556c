"""learner side: share and download events, verification views, email deliveries

Revision ID: 0005_learner_sharing
Revises: 0004_grades_awards
Create Date: 2026-11-24 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_learner_sharing'
down_revision = '0004_grades_awards'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('share_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assertion_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=30), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assertion_id'], ['ob_assertion.id'], name=op.f('fk_share_event_assertion_id_ob_assertion'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_event'))
    )
    with op.batch_alter_table('share_event', schema=None) as batch_op:
        batch_op.create_index('ix_share_event_assertion_channel', ['assertion_id', 'channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_event_created_at'), ['created_at'], unique=False)

    op.create_table('verification_view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assertion_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assertion_id'], ['ob_assertion.id'], name=op.f('fk_verification_view_assertion_id_ob_assertion'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_view'))
    )
    with op.batch_alter_table('verification_view', schema=None) as batch_op:
        batch_op.create_index('ix_verification_view_assertion_created', ['assertion_id', 'created_at'], unique=False)

    op.create_table('email_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('assertion_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=320), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assertion_id'], ['ob_assertion.id'], name=op.f('fk_email_delivery_assertion_id_ob_assertion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['lti_user.id'], name=op.f('fk_email_delivery_user_id_lti_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_delivery')),
    sa.UniqueConstraint('key', name=op.f('uq_email_delivery_key'))
    )
    with op.batch_alter_table('email_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_delivery_assertion_id'), ['assertion_id'], unique=False)
        batch_op.create_index('ix_email_delivery_state', ['state'], unique=False)


def downgrade():
    with op.batch_alter_table('email_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_email_delivery_state')
        batch_op.drop_index(batch_op.f('ix_email_delivery_assertion_id'))
    op.drop_table('email_delivery')
    with op.batch_alter_table('verification_view', schema=None) as batch_op:
        batch_op.drop_index('ix_verification_view_assertion_created')
    op.drop_table('verification_view')
    with op.batch_alter_table('share_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_event_created_at'))
        batch_op.drop_index('ix_share_event_assertion_channel')
    op.drop_table('share_event')
