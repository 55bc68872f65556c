"""Canvas OAuth 2, the LMS's course id from custom parameters, public learner profiles

``gradebook_connector``: ``auth`` (``token`` for every existing connector: they keep working
as they did), the Canvas API developer key's ``oauth_client_id`` and encrypted secret, and its
``enforce_scopes`` switch. ``canvas_authorization``: each course's grant (refresh and access
tokens encrypted). ``context.lms_course_id``: the LMS's course id from the launch's custom
parameters (empty until the next launch). ``learner_profile`` / ``profile_badge``: the opt-in
public profile and the awards chosen for it (nobody has one yet).

Revision ID: 0019_canvas
Revises: 0018_speed_cohort
Create Date: 2026-12-05 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019_canvas"
down_revision = "0018_speed_cohort"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('gradebook_connector', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auth', sa.String(length=20), nullable=False,
                                      server_default='token'))
        batch_op.add_column(sa.Column('oauth_client_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('oauth_secret_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('enforce_scopes', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('context', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lms_course_id', sa.String(length=64), nullable=True))
    op.create_table('canvas_authorization',
    sa.Column('context_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('canvas_user_id', sa.String(length=64), nullable=False),
    sa.Column('refresh_token_encrypted', sa.Text(), nullable=False),
    sa.Column('access_token_encrypted', sa.Text(), nullable=True),
    sa.Column('access_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['context_id'], ['context.id'], name=op.f('fk_canvas_authorization_context_id_context'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['lti_user.id'], name=op.f('fk_canvas_authorization_user_id_lti_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('context_id', name=op.f('pk_canvas_authorization'))
    )
    op.create_table('learner_profile',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=32), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['lti_user.id'], name=op.f('fk_learner_profile_user_id_lti_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_learner_profile')),
    sa.UniqueConstraint('slug', name=op.f('uq_learner_profile_slug'))
    )
    op.create_table('profile_badge',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assertion_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assertion_id'], ['ob_assertion.id'], name=op.f('fk_profile_badge_assertion_id_ob_assertion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['learner_profile.user_id'], name=op.f('fk_profile_badge_user_id_learner_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'assertion_id', name=op.f('pk_profile_badge'))
    )


def downgrade():
    op.drop_table('profile_badge')
    op.drop_table('learner_profile')
    op.drop_table('canvas_authorization')
    with op.batch_alter_table('context', schema=None) as batch_op:
        batch_op.drop_column('lms_course_id')
    with op.batch_alter_table('gradebook_connector', schema=None) as batch_op:
        batch_op.drop_column('enforce_scopes')
        batch_op.drop_column('oauth_secret_encrypted')
        batch_op.drop_column('oauth_client_id')
        batch_op.drop_column('auth')
