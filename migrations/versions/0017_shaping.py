"""badge content in several languages

``ob_badge_translation``: a badge's name, description and criteria text in one more language
(BCP 47 tag), one row per (badge, language). The badge's own columns stay its default
language (``ob_badge.language``); existing badges have no variants.

Revision ID: 0017_shaping
Revises: 0016_ob3api
Create Date: 2026-12-05 19:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017_shaping"
down_revision = "0016_ob3api"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ob_badge_translation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('badge_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('criteria_narrative', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['badge_id'], ['ob_badge.id'], name=op.f('fk_ob_badge_translation_badge_id_ob_badge'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ob_badge_translation')),
    sa.UniqueConstraint('badge_id', 'language', name=op.f('uq_ob_badge_translation_badge_id_language'))
    )


def downgrade():
    op.drop_table('ob_badge_translation')
