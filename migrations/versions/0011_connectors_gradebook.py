"""gradebook connectors: Moodle web services and the Canvas REST API beside AGS

``gradebook_connector`` holds a registration's connector (kind, LMS URL, encrypted token);
``grade_column.source`` says where a column comes from (``ags`` for every existing column).

Revision ID: 0011_connectors_gradebook
Revises: 0010_apiharden_admin_privacy
Create Date: 2026-12-05 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_connectors_gradebook'
down_revision = '0010_apiharden_admin_privacy'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('gradebook_connector',
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('base_url', sa.String(length=1000), nullable=False),
    sa.Column('token_encrypted', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_gradebook_connector_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('registration_id', name=op.f('pk_gradebook_connector'))
    )
    with op.batch_alter_table('grade_column', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), nullable=False,
                                      server_default='ags'))


def downgrade():
    with op.batch_alter_table('grade_column', schema=None) as batch_op:
        batch_op.drop_column('source')
    op.drop_table('gradebook_connector')
