"""issuer key algorithms; expired awards can be awarded again; platform name; badge type

``ob_issuer_key.algorithm``: every existing key is Ed25519 (the default); issuers get their
P-256 key (VC-JWT ES256) the first time they sign a JWT.

``ob_assertion.replaced_at``: set on an expired award when the badge is awarded again; the
one-live-award index now covers assertions neither revoked nor replaced (existing rows: none
replaced, so the index keeps exactly the rows it had).

``registration.platform_name``: the institution's name from launches (empty until the next
launch), which names the issuer created for it.

``ob_badge.achievement_type`` and ``ob_badge.language``: OB 3.0 achievementType and inLanguage
(existing badges: Badge, en, as every credential said or implied so far).

Revision ID: 0013_credentials_keys_reaward
Revises: 0012_bgwork_email_next_attempt
Create Date: 2026-12-05 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_credentials_keys_reaward'
down_revision = '0012_bgwork_email_next_attempt'
branch_labels = None
depends_on = None

_OLD_LIVE = sa.text('revoked_at IS NULL')
_NEW_LIVE = sa.text('revoked_at IS NULL AND replaced_at IS NULL')


def _live_index(where):
    op.create_index('uq_ob_assertion_live', 'ob_assertion', ['badge_id', 'recipient_key'],
                    unique=True, sqlite_where=where, postgresql_where=where)


def upgrade():
    with op.batch_alter_table('ob_issuer_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('algorithm', sa.String(length=20), nullable=False,
                                      server_default='Ed25519'))
    with op.batch_alter_table('ob_assertion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=True))
    op.drop_index('uq_ob_assertion_live', table_name='ob_assertion')
    _live_index(_NEW_LIVE)
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform_name', sa.String(length=200), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('ob_badge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('achievement_type', sa.String(length=60), nullable=False,
                                      server_default='Badge'))
        batch_op.add_column(sa.Column('language', sa.String(length=35), nullable=False,
                                      server_default='en'))


def downgrade():
    with op.batch_alter_table('ob_badge', schema=None) as batch_op:
        batch_op.drop_column('language')
        batch_op.drop_column('achievement_type')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('platform_name')
    # Under the old index a replaced award would collide with its successor: it is marked
    # revoked (when it was replaced) so that only the newest stays live.
    op.drop_index('uq_ob_assertion_live', table_name='ob_assertion')
    op.execute("UPDATE ob_assertion SET revoked_at = replaced_at, "
               "revocation_reason = 'expired; awarded again' WHERE replaced_at IS NOT NULL")
    _live_index(_OLD_LIVE)
    with op.batch_alter_table('ob_assertion', schema=None) as batch_op:
        batch_op.drop_column('replaced_at')
    with op.batch_alter_table('ob_issuer_key', schema=None) as batch_op:
        batch_op.drop_column('algorithm')
