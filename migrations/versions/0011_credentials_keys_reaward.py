"""issuer key algorithms

``ob_issuer_key.algorithm``: every existing key is Ed25519 (the default); issuers get their
P-256 key (VC-JWT ES256) the first time they sign a JWT.

Revision ID: 0011_credentials_keys_reaward
Revises: 0010_apiharden_admin_privacy
Create Date: 2026-12-05 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_credentials_keys_reaward'
down_revision = '0010_apiharden_admin_privacy'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ob_issuer_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('algorithm', sa.String(length=20), nullable=False,
                                      server_default='Ed25519'))


def downgrade():
    with op.batch_alter_table('ob_issuer_key', schema=None) as batch_op:
        batch_op.drop_column('algorithm')
