"""admin console accounts and registration sources (dynamic registration records)

Revision ID: 0003_admin_users
Revises: 0002_open_badges
Create Date: 2026-11-24 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_admin_users'
down_revision = '0002_open_badges'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('admin_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('password_hash', sa.String(length=500), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_user')),
    sa.UniqueConstraint('email', name=op.f('uq_admin_user_email')),
    sa.UniqueConstraint('public_id', name=op.f('uq_admin_user_public_id'))
    )
    op.create_table('registration_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('openid_configuration_url', sa.String(length=1000), nullable=True),
    sa.Column('platform_version', sa.String(length=100), nullable=False),
    sa.Column('granted_scopes', sa.JSON(), nullable=False),
    sa.Column('tool_configuration', sa.JSON(), nullable=True),
    sa.Column('adopt_deployments', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_registration_source_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_source')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_registration_source_registration_id'))
    )


def downgrade():
    op.drop_table('registration_source')
    op.drop_table('admin_user')
