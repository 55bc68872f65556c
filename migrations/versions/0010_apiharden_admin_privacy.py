"""admin sign-in security and privacy defaults

Console sessions kept server-side (``admin_session``), failed sign-in counters
(``admin_login_throttle``), TOTP and recovery codes on ``admin_user``; the per-badge choice
to put exact scores into public evidence (``ob_badge.evidence_shows_scores``, off).
Existing rows keep working: accounts without TOTP, badges without scores in evidence.

Revision ID: 0010_apiharden_admin_privacy
Revises: 0009_launchtrust_inst_admins
Create Date: 2026-12-05 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_apiharden_admin_privacy'
down_revision = '0009_launchtrust_inst_admins'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('admin_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('second_factor_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['admin_user.id'], name=op.f('fk_admin_session_user_id_admin_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_admin_session_token_hash'))
    )
    with op.batch_alter_table('admin_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_session_user_id'), ['user_id'], unique=False)
    op.create_table('admin_login_throttle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_login_throttle')),
    sa.UniqueConstraint('key', name=op.f('uq_admin_login_throttle_key'))
    )
    with op.batch_alter_table('admin_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recovery_code_hashes', sa.JSON(), nullable=False,
                                      server_default='[]'))
    with op.batch_alter_table('ob_badge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evidence_shows_scores', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('ob_badge', schema=None) as batch_op:
        batch_op.drop_column('evidence_shows_scores')
    with op.batch_alter_table('admin_user', schema=None) as batch_op:
        batch_op.drop_column('recovery_code_hashes')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_secret_encrypted')
    op.drop_table('admin_login_throttle')
    with op.batch_alter_table('admin_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_session_user_id'))
    op.drop_table('admin_session')
