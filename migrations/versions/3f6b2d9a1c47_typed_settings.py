"""typed settings: a setting's value is stored as JSON text, so numbers, switches, times of day
and lists fit one column

Revision ID: 3f6b2d9a1c47
Revises: 772832f17247
Create Date: 2026-12-06 07:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '3f6b2d9a1c47'
down_revision = '772832f17247'
branch_labels = None
depends_on = None


def upgrade():
    # A whole number's decimal text is already its JSON text.
    with op.batch_alter_table('setting', schema=None) as batch_op:
        batch_op.alter_column('value', existing_type=sa.Integer(), type_=sa.Text(),
                              existing_nullable=False, postgresql_using='value::text')


def downgrade():
    op.execute("DELETE FROM setting WHERE value NOT GLOB '[0-9]*'"
               if op.get_bind().dialect.name == 'sqlite'
               else "DELETE FROM setting WHERE value !~ '^[0-9]+$'")
    with op.batch_alter_table('setting', schema=None) as batch_op:
        batch_op.alter_column('value', existing_type=sa.Text(), type_=sa.Integer(),
                              existing_nullable=False, postgresql_using='value::integer')
