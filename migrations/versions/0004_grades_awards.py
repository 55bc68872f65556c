"""grades and awards: columns, grades, jobs, outbox, review queue, decisions

Revision ID: 0004_grades_awards
Revises: 0003_admin_users
Create Date: 2026-11-24 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_grades_awards'
down_revision = '0003_admin_users'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('grade_event_secret',
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('secret_encrypted', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_grade_event_secret_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('registration_id', name=op.f('pk_grade_event_secret'))
    )
    op.create_table('grade_column',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('context_id', sa.Integer(), nullable=False),
    sa.Column('lti_lineitem_id', sa.String(length=1000), nullable=False),
    sa.Column('label', sa.String(length=500), nullable=False),
    sa.Column('score_maximum', sa.Float(), nullable=True),
    sa.Column('tag', sa.String(length=255), nullable=False),
    sa.Column('resource_link_id', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['context_id'], ['context.id'], name=op.f('fk_grade_column_context_id_context'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_column')),
    sa.UniqueConstraint('context_id', 'lti_lineitem_id', name=op.f('uq_grade_column_context_id_lti_lineitem_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_grade_column_public_id'))
    )
    op.create_table('grade',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('column_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('maximum', sa.Float(), nullable=True),
    sa.Column('timestamp', sa.DateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['column_id'], ['grade_column.id'], name=op.f('fk_grade_column_id_grade_column'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['lti_user.id'], name=op.f('fk_grade_user_id_lti_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade')),
    sa.UniqueConstraint('column_id', 'user_id', name=op.f('uq_grade_column_id_user_id'))
    )
    with op.batch_alter_table('grade', schema=None) as batch_op:
        batch_op.create_index('ix_grade_user_id', ['user_id'], unique=False)

    op.create_table('award_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('badge_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['badge_id'], ['ob_badge.id'], name=op.f('fk_award_review_badge_id_ob_badge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['lti_user.id'], name=op.f('fk_award_review_decided_by_id_lti_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['lti_user.id'], name=op.f('fk_award_review_user_id_lti_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_review')),
    sa.UniqueConstraint('badge_id', 'user_id', name=op.f('uq_award_review_badge_id_user_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_award_review_public_id'))
    )
    op.create_table('background_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('context_id', sa.Integer(), nullable=True),
    sa.Column('badge_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.String(length=100), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['badge_id'], ['ob_badge.id'], name=op.f('fk_background_job_badge_id_ob_badge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['context_id'], ['context.id'], name=op.f('fk_background_job_context_id_context'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_background_job')),
    sa.UniqueConstraint('public_id', name=op.f('uq_background_job_public_id'))
    )
    with op.batch_alter_table('background_job', schema=None) as batch_op:
        batch_op.create_index('ix_background_job_context_kind', ['context_id', 'kind', 'state'], unique=False)

    op.create_table('award_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('badge_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('assertion_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assertion_id'], ['ob_assertion.id'], name=op.f('fk_award_decision_assertion_id_ob_assertion'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['badge_id'], ['ob_badge.id'], name=op.f('fk_award_decision_badge_id_ob_badge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['lti_user.id'], name=op.f('fk_award_decision_user_id_lti_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_decision'))
    )
    with op.batch_alter_table('award_decision', schema=None) as batch_op:
        batch_op.create_index('ix_award_decision_badge_user', ['badge_id', 'user_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('assertion_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assertion_id'], ['ob_assertion.id'], name=op.f('fk_outbox_assertion_id_ob_assertion'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_dedupe_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_assertion_id'), ['assertion_id'], unique=False)
        batch_op.create_index('ix_outbox_state_next', ['state', 'next_attempt_at'], unique=False)



def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_state_next')
        batch_op.drop_index(batch_op.f('ix_outbox_assertion_id'))

    op.drop_table('outbox')
    with op.batch_alter_table('award_decision', schema=None) as batch_op:
        batch_op.drop_index('ix_award_decision_badge_user')

    op.drop_table('award_decision')
    with op.batch_alter_table('background_job', schema=None) as batch_op:
        batch_op.drop_index('ix_background_job_context_kind')

    op.drop_table('background_job')
    op.drop_table('award_review')
    with op.batch_alter_table('grade', schema=None) as batch_op:
        batch_op.drop_index('ix_grade_user_id')

    op.drop_table('grade')
    op.drop_table('grade_column')
    op.drop_table('grade_event_secret')
