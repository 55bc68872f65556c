"""AGS results paging per registration; staff status a launch established

``registration.ags_results_paging``: False once the platform failed a paged results request
that succeeded unpaged (Moodle 4.5 with LTI 1.3), so later syncs skip the failing request.
``membership.launch_staff``: what the person's last launch in the course said (None: no
launch yet), so a roster sync never demotes launch-established staff.

Revision ID: 0007_ags_paging_launch_staff
Revises: 0006_audit_webhooks_analytics
Create Date: 2026-12-05 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_ags_paging_launch_staff'
down_revision = '0006_audit_webhooks_analytics'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ags_results_paging', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('launch_staff', sa.Boolean(), nullable=True))
    # Staff held today came from a launch or from a roster that called them Instructor; either
    # way they are staff now, and the next roster must not demote them. Learners stay unknown
    # until their next launch.
    op.execute("UPDATE membership SET launch_staff = is_staff WHERE is_staff")


def downgrade():
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('launch_staff')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('ags_results_paging')
