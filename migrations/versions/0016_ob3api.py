"""OB 3.0 API: the provider's clients, consent requests, authorization codes and tokens; the
consumer's registrations at hosts and pushes in flight (new tables only; no existing data
changes).

Revision ID: 0016_ob3api
Revises: 0015_wallets
Create Date: 2026-12-05 18:46:28.371183

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016_ob3api"
down_revision = "0015_wallets"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ob3_client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('client_secret_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id_issued_at', sa.Integer(), nullable=False),
    sa.Column('client_metadata', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ob3_client')),
    sa.UniqueConstraint('client_id', name=op.f('uq_ob3_client_client_id'))
    )
    op.create_table('ob3_host',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base_url', sa.String(length=1000), nullable=False),
    sa.Column('api_base', sa.String(length=1000), nullable=False),
    sa.Column('authorization_url', sa.String(length=1000), nullable=False),
    sa.Column('token_url', sa.String(length=1000), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('client_secret_encrypted', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ob3_host')),
    sa.UniqueConstraint('base_url', name=op.f('uq_ob3_host_base_url'))
    )
    op.create_table('ob3_authorization_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('redirect_uri', sa.Text(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('code_challenge', sa.String(length=128), nullable=False),
    sa.Column('code_challenge_method', sa.String(length=10), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('auth_time', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_ob3_authorization_code_registration_id_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['lti_user.id'], name=op.f('fk_ob3_authorization_code_user_id_lti_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ob3_authorization_code')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_ob3_authorization_code_code_hash'))
    )
    with op.batch_alter_table('ob3_authorization_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ob3_authorization_code_client_id'), ['client_id'], unique=False)

    op.create_table('ob3_consent_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('user_code', sa.String(length=16), nullable=False),
    sa.Column('client_pk', sa.Integer(), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('redirect_uri', sa.Text(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_pk'], ['ob3_client.id'], name=op.f('fk_ob3_consent_request_client_pk_ob3_client'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_ob3_consent_request_registration_id_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['lti_user.id'], name=op.f('fk_ob3_consent_request_user_id_lti_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ob3_consent_request')),
    sa.UniqueConstraint('public_id', name=op.f('uq_ob3_consent_request_public_id')),
    sa.UniqueConstraint('user_code', name=op.f('uq_ob3_consent_request_user_code'))
    )
    op.create_table('ob3_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('access_token_hash', sa.String(length=64), nullable=False),
    sa.Column('refresh_token_hash', sa.String(length=64), nullable=True),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.Integer(), nullable=False),
    sa.Column('expires_in', sa.Integer(), nullable=False),
    sa.Column('access_token_revoked_at', sa.Integer(), nullable=True),
    sa.Column('refresh_token_revoked_at', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_ob3_token_registration_id_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['lti_user.id'], name=op.f('fk_ob3_token_user_id_lti_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ob3_token')),
    sa.UniqueConstraint('access_token_hash', name=op.f('uq_ob3_token_access_token_hash')),
    sa.UniqueConstraint('refresh_token_hash', name=op.f('uq_ob3_token_refresh_token_hash'))
    )
    with op.batch_alter_table('ob3_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ob3_token_client_id'), ['client_id'], unique=False)

    op.create_table('ob3_push',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=64), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('assertion_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_verifier_encrypted', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assertion_id'], ['ob_assertion.id'], name=op.f('fk_ob3_push_assertion_id_ob_assertion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['host_id'], ['ob3_host.id'], name=op.f('fk_ob3_push_host_id_ob3_host'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['lti_user.id'], name=op.f('fk_ob3_push_user_id_lti_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ob3_push')),
    sa.UniqueConstraint('state', name=op.f('uq_ob3_push_state'))
    )


def downgrade():
    op.drop_table('ob3_push')
    with op.batch_alter_table('ob3_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ob3_token_client_id'))

    op.drop_table('ob3_token')
    op.drop_table('ob3_consent_request')
    with op.batch_alter_table('ob3_authorization_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ob3_authorization_code_client_id'))

    op.drop_table('ob3_authorization_code')
    op.drop_table('ob3_host')
    op.drop_table('ob3_client')
