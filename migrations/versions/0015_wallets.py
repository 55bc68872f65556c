"""wallets: "Add to wallet" offers and the bound copies they deliver

``wallet_offer``: one single-use, short-lived offer of a learner's credential to a wallet
(OID4VCI pre-authorized code or a VC-API exchange); its secrets are stored as SHA-256 hashes.
``wallet_credential``: each bound copy (the credential with the wallet's DID as subject), kept
to serve it again; it shares the award's status list entry. New tables only: no data moves.

Revision ID: 0015_wallets
Revises: 0014_criteria
Create Date: 2026-12-05 18:45:46.132180

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_wallets"
down_revision = "0014_criteria"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('wallet_offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('source_id', sa.String(length=200), nullable=False),
    sa.Column('lti_user_id', sa.Integer(), nullable=True),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('tx_code_hash', sa.String(length=64), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('challenge', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('redeemed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('access_token_hash', sa.String(length=64), nullable=True),
    sa.Column('access_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['lti_user_id'], ['lti_user.id'], name=op.f('fk_wallet_offer_lti_user_id_lti_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_offer')),
    sa.UniqueConstraint('access_token_hash', name=op.f('uq_wallet_offer_access_token_hash')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_wallet_offer_code_hash')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_wallet_offer_key_hash')),
    sa.UniqueConstraint('public_id', name=op.f('uq_wallet_offer_public_id'))
    )
    with op.batch_alter_table('wallet_offer', schema=None) as batch_op:
        batch_op.create_index('ix_wallet_offer_lti_user_id', ['lti_user_id'], unique=False)

    op.create_table('wallet_credential',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('source_id', sa.String(length=200), nullable=False),
    sa.Column('lti_user_id', sa.Integer(), nullable=True),
    sa.Column('holder', sa.String(length=400), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('credential', sa.JSON(), nullable=False),
    sa.Column('credential_jwt', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['lti_user_id'], ['lti_user.id'], name=op.f('fk_wallet_credential_lti_user_id_lti_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['offer_id'], ['wallet_offer.id'], name=op.f('fk_wallet_credential_offer_id_wallet_offer'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_credential')),
    sa.UniqueConstraint('offer_id', name=op.f('uq_wallet_credential_offer_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_wallet_credential_public_id'))
    )
    with op.batch_alter_table('wallet_credential', schema=None) as batch_op:
        batch_op.create_index('ix_wallet_credential_source', ['kind', 'source_id'], unique=False)



def downgrade():
    with op.batch_alter_table('wallet_credential', schema=None) as batch_op:
        batch_op.drop_index('ix_wallet_credential_source')

    op.drop_table('wallet_credential')
    with op.batch_alter_table('wallet_offer', schema=None) as batch_op:
        batch_op.drop_index('ix_wallet_offer_lti_user_id')

    op.drop_table('wallet_offer')
