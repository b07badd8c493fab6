"""quality: critical items (致命项), the scorecard a sampling rule names, an evaluation's
overall comment

Revision ID: c3a8f0d61e25
Revises: b7d2e95c4f13
Create Date: 2026-12-06 10:10:00

A rule written before a center could keep several scorecards was scored on the first one, so
it names that one.
"""
import sqlalchemy as sa
from alembic import op

revision = 'c3a8f0d61e25'
down_revision = 'b7d2e95c4f13'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scorecard_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('critical', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('sampling_rule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scorecard_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_sampling_rule_scorecard_id_scorecard'),
                                    'scorecard', ['scorecard_id'], ['id'], ondelete='RESTRICT')
    op.execute('UPDATE sampling_rule SET scorecard_id = (SELECT min(id) FROM scorecard)')
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment', sa.String(length=2000), server_default='',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_column('comment')
    with op.batch_alter_table('sampling_rule', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sampling_rule_scorecard_id_scorecard'),
                                 type_='foreignkey')
        batch_op.drop_column('scorecard_id')
    with op.batch_alter_table('scorecard_item', schema=None) as batch_op:
        batch_op.drop_column('critical')
