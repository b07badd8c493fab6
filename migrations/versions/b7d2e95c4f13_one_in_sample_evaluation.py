"""evaluations: each sampled call has at most one in-sample evaluation

Revision ID: b7d2e95c4f13
Revises: 8e4b1f2c7a90
Create Date: 2026-12-06 10:05:00

Where a sampled call already has several evaluations, the first one started stays in sample
and the others become off-sample evaluations, with a reason that says so.
"""
import sqlalchemy as sa
from alembic import op

revision = 'b7d2e95c4f13'
down_revision = '8e4b1f2c7a90'
branch_labels = None
depends_on = None

REASON = '同一抽中通话的第二份评分（升级时改为标准外）'


def upgrade():
    conn = op.get_bind()
    evaluation = sa.table('evaluation', sa.column('id', sa.Integer()),
                          sa.column('sampled_call_id', sa.Integer()),
                          sa.column('off_sample_reason', sa.String()))
    first = sa.select(sa.func.min(evaluation.c.id)).where(
        evaluation.c.sampled_call_id.is_not(None)).group_by(evaluation.c.sampled_call_id)
    later = [row.id for row in conn.execute(sa.select(evaluation.c.id).where(
        evaluation.c.sampled_call_id.is_not(None), evaluation.c.id.not_in(first)))]
    if later:
        conn.execute(evaluation.update().where(evaluation.c.id.in_(later)).values(
            sampled_call_id=None, off_sample_reason=REASON))
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_evaluation_sampled_call_id'),
                                          ['sampled_call_id'])


def downgrade():
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_evaluation_sampled_call_id'), type_='unique')
