"""An import batch keeps the text encoding found in its .csv, for the preview.

Revision ID: 03dedaff684c
Revises: c3a8f0d61e25
Create Date: 2026-12-06 16:24:40.534698

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '03dedaff684c'
down_revision = 'c3a8f0d61e25'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('encoding', sa.String(length=40), server_default='',
                                      nullable=False))



def downgrade():
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_column('encoding')

