"""registration changes waiting for an admin

A dynamic registration run again for a known (issuer, client_id) now proposes its new
endpoints and keys in ``registration_change`` instead of overwriting the registration.

Revision ID: 0008_outbound_reg_changes
Revises: 0007_ags_paging_launch_staff
Create Date: 2026-12-05 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_outbound_reg_changes'
down_revision = '0007_ags_paging_launch_staff'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('registration_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('proposed', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_registration_change_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_change')),
    sa.UniqueConstraint('public_id', name=op.f('uq_registration_change_public_id'))
    )
    with op.batch_alter_table('registration_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_change_registration_id'), ['registration_id'], unique=False)


def downgrade():
    with op.batch_alter_table('registration_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_change_registration_id'))
    op.drop_table('registration_change')
